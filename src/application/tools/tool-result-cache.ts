import { createHash } from 'node:crypto';
import type { Tool } from '../../domain/tool/tool.js';
import type { Cache } from '../ports/cache.js';

export interface ToolCachePolicy {
  /** 0 turns result caching off. */
  readonly ttlMs: number;
  readonly disabledTools: ReadonlySet<string>;
}

export interface CachedResult {
  content: unknown[];
  structuredContent?: Record<string, unknown>;
}

const GENERATION_KEY = 'tool-results:generation';

/**
 * Results of tools annotated read-only AND idempotent, keyed by tool and a hash of the canonical
 * arguments. Keys carry a generation that any tool with side effects bumps when it succeeds, so a
 * read_file after a write_file through this server (or another replica sharing the cache) never
 * sees the old content. Changes made outside the server are bounded by the TTL.
 */
export class ToolResultCache {
  constructor(
    private readonly cache: Cache,
    private readonly policy: ToolCachePolicy,
  ) {}

  cacheable(tool: Tool): boolean {
    return this.policy.ttlMs > 0 && tool.isCacheable && !this.policy.disabledTools.has(tool.name);
  }

  /** Whether a successful run of `tool` may have changed what cached reads return. */
  invalidates(tool: Tool): boolean {
    return this.policy.ttlMs > 0 && tool.annotations?.readOnlyHint !== true;
  }

  async get(tool: Tool, args: unknown): Promise<CachedResult | undefined> {
    const raw = await this.cache.get(await this.key(tool, args));
    if (raw === undefined) return undefined;
    try {
      return JSON.parse(raw) as CachedResult;
    } catch {
      return undefined;
    }
  }

  async put(tool: Tool, args: unknown, result: CachedResult): Promise<void> {
    await this.cache.set(await this.key(tool, args), JSON.stringify(result), this.policy.ttlMs);
  }

  async invalidate(): Promise<void> {
    await this.cache.set(GENERATION_KEY, `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`, 24 * 3_600_000);
  }

  private async key(tool: Tool, args: unknown): Promise<string> {
    const generation = (await this.cache.get(GENERATION_KEY)) ?? '0';
    const hash = createHash('sha256').update(canonicalJson(args)).digest('base64url');
    return `tool-results:${generation}:${tool.name}:${hash}`;
  }
}

/** JSON with object keys sorted at every depth: equal arguments, equal text. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.keys(value as Record<string, unknown>)
    .sort()
    .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
    .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
  return `{${entries.join(',')}}`;
}
