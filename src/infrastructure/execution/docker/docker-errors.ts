import { ToolFailure } from '../../../application/application.errors.js';
/**
 * Errors of the docker execution backend. Messages name the engine as the configured address and the
 * image by name only; the engine's own text is kept as `cause` for the log, never in the message.
 * `retryable`: nothing ran, and the same request may succeed once the engine is back.
 */
export type DockerErrorCode =
  /** The engine's socket or port did not answer (refused, missing socket, connection lost). */
  | 'docker.unavailable'
  /** The configured image is not in the engine's store; the backend never pulls. */
  | 'docker.image_missing'
  /** The engine refused or failed a call for another reason (bad mount source, runtime error…). */
  | 'docker.engine_error'
  /** `execution.docker.host` is not a unix://, tcp:// or http:// address. */
  | 'docker.invalid_config'
  /** The executor was shut down. */
  | 'docker.stopped';

/** What the model is told for each code (the message adds the detail). */
const ENVELOPES: Readonly<Record<DockerErrorCode, { error: string; suggested_actions: string[] }>> = {
  'docker.unavailable': { error: 'container engine unavailable', suggested_actions: ['retry shortly', 'ask the operator to check execution.docker.host'] },
  'docker.image_missing': { error: 'container image missing', suggested_actions: ['ask the operator to load execution.docker.image into the engine (it is never pulled)'] },
  'docker.engine_error': { error: 'container engine error', suggested_actions: ['retry once', 'report the problem to the server operator if it persists'] },
  'docker.invalid_config': { error: 'docker backend misconfigured', suggested_actions: ['ask the operator to fix execution.docker.host'] },
  'docker.stopped': { error: 'server shutting down', suggested_actions: ['retry against another replica'] },
};

/** A docker backend failure: a ToolFailure, so execute_command answers with an envelope naming it. */
export class DockerExecutorError extends ToolFailure {
  readonly retryable: boolean;

  constructor(
    readonly code: DockerErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    const retryable = code === 'docker.unavailable';
    super({ ...ENVELOPES[code], reason: message, retryable, context: { code } }, options);
    this.name = 'DockerExecutorError';
    this.message = message;
    this.retryable = retryable;
  }
}

interface EngineFailure {
  readonly statusCode?: number;
  readonly code?: string;
  readonly message?: string;
}

/**
 * What an engine call's failure means for the run. The runtime's "executable file not found" and
 * "permission denied" become errno-style ENOENT/EACCES errors, so `execute_command` words them as it
 * does on native ("command not found"); everything else is a DockerExecutorError.
 */
export function engineFailure(error: unknown, command: string, image: string): Error {
  const failure = (error ?? {}) as EngineFailure;
  const text = failure.message ?? '';
  if (failure.statusCode === undefined && failure.code !== undefined) {
    return new DockerExecutorError('docker.unavailable', `the container engine did not answer (${failure.code})`, { cause: error });
  }
  if (/exec: "[^"]*": (executable file not found|stat [^:]*: no such file or directory)/.test(text)) {
    return errno('ENOENT', `${command}: not found in image ${image}`, error);
  }
  if (/exec: "[^"]*": permission denied/.test(text)) {
    return errno('EACCES', `${command}: not executable in image ${image}`, error);
  }
  if (failure.statusCode === 404 && /image/i.test(text)) {
    return new DockerExecutorError('docker.image_missing', `image ${image} is not in the engine's store (it is never pulled)`, { cause: error });
  }
  return new DockerExecutorError('docker.engine_error', `the container engine refused the run (HTTP ${failure.statusCode ?? '?'})`, { cause: error });
}

function errno(code: 'ENOENT' | 'EACCES', message: string, cause: unknown): Error {
  return Object.assign(new Error(message, { cause }), { code });
}
