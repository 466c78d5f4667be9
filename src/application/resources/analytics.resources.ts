import type { ToolUsageReader } from '../ports/analytics.js';
import type { Clock } from '../ports/clock.js';
import type { ResourceContents, ResourceProvider } from './resource-catalog.js';
import type { Resource } from '../../domain/resource/resource.js';

const TOOL_USAGE_URI = 'analytics://tool-usage';
export const DEFAULT_TOOL_USAGE_WINDOW_SECONDS = 24 * 3600;

export interface AnalyticsResourcesOptions {
  /** How far back analytics://tool-usage looks; bounded so a read never scans all history. */
  readonly windowSeconds?: number;
}

/** Usage statistics from the analytics projection, registered only when analytics.driver is not none. */
export class AnalyticsResources implements ResourceProvider {
  private readonly windowSeconds: number;
  private readonly list: readonly Resource[];

  constructor(
    private readonly reader: ToolUsageReader,
    private readonly clock: Clock,
    options: AnalyticsResourcesOptions = {},
  ) {
    this.windowSeconds = options.windowSeconds ?? DEFAULT_TOOL_USAGE_WINDOW_SECONDS;
    if (!Number.isSafeInteger(this.windowSeconds) || this.windowSeconds < 1) throw new RangeError('windowSeconds must be a positive integer');
    this.list = [
      {
        uri: TOOL_USAGE_URI,
        name: 'tool-usage',
        title: 'Tool usage',
        description: `Per tool over the last ${this.windowSeconds} s: calls, errors, cancellations, mean/p50/p95 duration (ms) and the last call.`,
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
    if (uri !== TOOL_USAGE_URI) return undefined;
    const generatedAt = this.clock.now().toISOString();
    const tools = await this.reader.toolUsage({ sinceSeconds: this.windowSeconds });
    const body = { generatedAt, windowSeconds: this.windowSeconds, tools };
    return [{ uri, mimeType: 'application/json', text: JSON.stringify(body, null, 2) }];
  }
}
