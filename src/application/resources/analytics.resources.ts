import type { ToolUsageReader } from '../ports/analytics.js';
import type { Clock } from '../ports/clock.js';
import type { ResourceContents, ResourceProvider } from './resource-catalog.js';
import type { Resource } from '../../domain/resource/resource.js';

const TOOL_USAGE_URI = 'analytics://tool-usage';
const EXECUTIONS_URI = 'analytics://executions';
export const DEFAULT_TOOL_USAGE_WINDOW_SECONDS = 24 * 3600;
export const DEFAULT_RECENT_EXECUTIONS = 50;

export interface AnalyticsResourcesOptions {
  /** How far back both resources look; bounded so a read never scans all history. */
  readonly windowSeconds?: number;
  /** How many of the latest decisions analytics://executions lists. */
  readonly recentExecutions?: number;
}

/** Statistics from the analytics projection, registered only when analytics.driver is not none. */
export class AnalyticsResources implements ResourceProvider {
  private readonly windowSeconds: number;
  private readonly recentExecutions: number;
  private readonly list: readonly Resource[];

  constructor(
    private readonly reader: ToolUsageReader,
    private readonly clock: Clock,
    options: AnalyticsResourcesOptions = {},
  ) {
    this.windowSeconds = options.windowSeconds ?? DEFAULT_TOOL_USAGE_WINDOW_SECONDS;
    this.recentExecutions = options.recentExecutions ?? DEFAULT_RECENT_EXECUTIONS;
    if (!Number.isSafeInteger(this.windowSeconds) || this.windowSeconds < 1) throw new RangeError('windowSeconds must be a positive integer');
    if (!Number.isSafeInteger(this.recentExecutions) || this.recentExecutions < 1) throw new RangeError('recentExecutions must be a positive integer');
    this.list = [
      {
        uri: TOOL_USAGE_URI,
        name: 'tool-usage',
        title: 'Tool usage',
        description:
          `Per tool over the last ${this.windowSeconds} s: calls, errors, cancellations, mean/p50/p95 duration (ms) and the last call; ` +
          'conversations started, closed and with turns, turns completed and failed, and tokens per model (input, output, cache read and creation).',
        mimeType: 'application/json',
      },
      {
        uri: EXECUTIONS_URI,
        name: 'executions',
        title: 'Command executions',
        description:
          `execute_command decisions over the last ${this.windowSeconds} s: allowed and denied counts, denials by policy rule, ` +
          `runs per execution backend (failures, timeouts, kills, truncation, mean/p95 duration) and the latest ${this.recentExecutions} decisions.`,
        mimeType: 'application/json',
      },
    ];
  }

  resources(): readonly Resource[] {
    return this.list;
  }

  templates() {
    return [];
  }

  async read(uri: string): Promise<ResourceContents[] | undefined> {
    if (uri === TOOL_USAGE_URI) {
      const generatedAt = this.clock.now().toISOString();
      const [tools, usage] = await Promise.all([
        this.reader.toolUsage({ sinceSeconds: this.windowSeconds }),
        this.reader.conversationUsage({ sinceSeconds: this.windowSeconds }),
      ]);
      return json(uri, { generatedAt, windowSeconds: this.windowSeconds, tools, ...usage });
    }
    if (uri === EXECUTIONS_URI) {
      const generatedAt = this.clock.now().toISOString();
      const activity = await this.reader.executionActivity({ sinceSeconds: this.windowSeconds, recentLimit: this.recentExecutions });
      return json(uri, { generatedAt, windowSeconds: this.windowSeconds, ...activity });
    }
    return undefined;
  }
}

function json(uri: string, body: object): ResourceContents[] {
  return [{ uri, mimeType: 'application/json', text: JSON.stringify(body, null, 2) }];
}
