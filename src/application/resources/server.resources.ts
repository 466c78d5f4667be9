import type { HealthReport } from '../health/get-health.query.js';
import type { ToolUsageReader } from '../ports/analytics.js';
import type { ClientRequests, Requester } from '../ports/client-requests.js';
import type { ResourceContents, ResourceProvider } from './resource-catalog.js';
import type { WorkspaceScopes } from '../workspace/workspace-scopes.js';
import type { Resource } from '../../domain/resource/resource.js';

const RESOURCES: readonly Resource[] = [
  {
    uri: 'config://server',
    name: 'server-config',
    title: 'Server configuration',
    description: 'The effective configuration of this server, every secret redacted.',
    mimeType: 'application/json',
  },
  {
    uri: 'status://health',
    name: 'server-health',
    title: 'Server health',
    description: 'Uptime, sessions by state, adapter health and version.',
    mimeType: 'application/json',
  },
];

/** The server describing itself. `redactedConfig` is computed once by the composition root. */
export class ServerResources implements ResourceProvider {
  constructor(
    private readonly redactedConfig: Readonly<Record<string, unknown>>,
    /** The health report (status://health); a function, so no query goes back onto the bus. */
    private readonly health: () => Promise<HealthReport>,
    private readonly healthPollMs = 5000,
    private readonly usage?: ToolUsageReader,
    private readonly workspaces?: WorkspaceScopes,
  ) {}

  resources(): readonly Resource[] {
    return RESOURCES;
  }

  templates() {
    return [];
  }

  /**
   * status://health changes when a component's status or the session counts change (not every
   * second of uptime), so it is polled and compared; the configuration never changes at run time.
   */
  async watch(uri: string, onChange: () => void): Promise<(() => void) | undefined> {
    if (uri === 'config://server') return () => undefined;
    if (uri !== 'status://health') return undefined;
    let last = await this.fingerprint();
    const timer = setInterval(() => {
      void this.fingerprint().then((now) => {
        if (now !== last) {
          last = now;
          onChange();
        }
      });
    }, this.healthPollMs);
    timer.unref();
    return () => clearInterval(timer);
  }

  /** With analytics configured, the busiest tools of the last hour; null when analytics cannot answer. */
  private async toolUsage(): Promise<{ toolUsage?: unknown }> {
    if (!this.usage) return {};
    try {
      const rows = await this.usage.toolUsage({ sinceSeconds: 3600 });
      return { toolUsage: { windowSeconds: 3600, tools: [...rows].sort((a, b) => b.calls - a.calls).slice(0, 10) } };
    } catch {
      return { toolUsage: null };
    }
  }

  /** The roots this client's requests get (its own, narrowed by mcp.roots, or the server's). */
  private async roots(client?: ClientRequests): Promise<{ roots?: unknown }> {
    if (!this.workspaces) return {};
    return { roots: await this.workspaces.effective(client) };
  }

  private async fingerprint(): Promise<string> {
    const report = await this.health();
    return JSON.stringify([report.status, report.sessions, report.components]);
  }

  async read(uri: string, requester?: Requester): Promise<ResourceContents[] | undefined> {
    if (uri === 'config://server') return [json(uri, this.redactedConfig)];
    if (uri === 'status://health') {
      const report = await this.health();
      return [json(uri, { ...report, ...(await this.roots(requester?.client)), ...(await this.toolUsage()) })];
    }
    return undefined;
  }
}

function json(uri: string, value: unknown): ResourceContents {
  return { uri, mimeType: 'application/json', text: JSON.stringify(value, null, 2) };
}
