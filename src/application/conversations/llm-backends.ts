import type { ClientRequests } from '../ports/client-requests.js';
import { LlmError, type LlmClient } from '../ports/llm-client.js';
import { SamplingLlmClient } from './sampling-llm-client.js';

/** Refuses every call with one LlmError: the backend cannot serve this caller. */
class UnavailableLlmClient implements LlmClient {
  constructor(
    readonly backend: string,
    private readonly error: () => LlmError,
  ) {}

  complete(): Promise<never> {
    return Promise.reject(this.error());
  }
}

const NO_BACKEND = new UnavailableLlmClient('none', () => new LlmError('llm.not_configured', 'no model backend is configured (claude.backend)', false));

/**
 * Which model answers a turn: the configured client (claude.backend: api), or the caller's own
 * model through MCP sampling (claude.backend: sampling) when the caller declared sampling.
 */
export class LlmBackends {
  /** `api` is the configured client; absent for the sampling backend. */
  constructor(
    readonly backend: 'api' | 'sampling',
    private readonly api: LlmClient | undefined,
  ) {}

  for(client: ClientRequests | undefined): LlmClient {
    if (this.backend === 'api') return this.api ?? NO_BACKEND;
    if (client?.supports.sampling) return new SamplingLlmClient(client);
    return new UnavailableLlmClient(
      'sampling',
      () =>
        new LlmError(
          'llm.sampling_unsupported',
          'claude.backend is sampling, and this client did not declare the sampling capability (no model to ask)',
          false,
        ),
    );
  }
}
