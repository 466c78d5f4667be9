import type { Logger } from '../../application/ports/logger.js';
import { ConfigError } from './config-error.js';
import type { ResolvedConfig } from './config.schema.js';

/** The parts of the configuration a running server applies without a restart. */
export interface ReloadableConfig {
  /** `mcp.request_state`: rotating the requestState keys must not need a restart. */
  readonly requestState: { readonly keys: readonly string[]; readonly ttlSeconds: number };
  /** `execution`: the backend and its policy switch at run time (runs in flight finish where they started). */
  readonly execution: ResolvedConfig['execution'];
}

/** The config key each reloadable part comes from (what the log names). */
const RELOADABLE_KEYS: Readonly<Record<keyof ReloadableConfig, string>> = { requestState: 'mcp.request_state', execution: 'execution' };

function reloadableOf(config: ResolvedConfig): ReloadableConfig {
  const { keys, ttl_seconds: ttlSeconds } = config.mcp.request_state;
  return { requestState: { keys, ttlSeconds }, execution: config.execution };
}

export type ReloadListener = (config: ReloadableConfig) => void;

/** What an adapter that follows the configuration needs. */
export interface ConfigReloads {
  /** `listener` gets the reloadable parts after each reload that changed any of them. */
  subscribe(listener: ReloadListener): void;
}

export type ReloadOutcome =
  | { readonly kind: 'applied'; readonly reloaded: readonly string[]; readonly needRestart: readonly string[] }
  | { readonly kind: 'unchanged'; readonly needRestart: readonly string[] }
  /** The new configuration did not load; nothing changed. */
  | { readonly kind: 'invalid'; readonly problem: string }
  /** A subscriber could not apply it; the next reload hands it out again. */
  | { readonly kind: 'failed'; readonly problem: string };

/**
 * Re-reads the configuration the server started with (same file, environment and flags, through
 * the same loader) when asked to (main.ts: on SIGHUP), and hands the reloadable parts to the
 * subscribers. Everything else keeps running as started: the log names what changed and needs a
 * restart. A configuration that no longer loads is logged with the loader's problem text and
 * ignored; `reload` never throws, so a bad edit cannot take the server down.
 */
export class ConfigReloader implements ConfigReloads {
  private readonly listeners: ReloadListener[] = [];
  private applied: ReloadableConfig;

  /**
   * @param load loads and validates the configuration as at start-up (throws ConfigError).
   * @param started the configuration the server runs with.
   */
  constructor(
    private readonly load: () => ResolvedConfig,
    private readonly started: ResolvedConfig,
    private readonly logger: Logger,
  ) {
    this.applied = reloadableOf(started);
  }

  subscribe(listener: ReloadListener): void {
    this.listeners.push(listener);
  }

  reload(): ReloadOutcome {
    let next: ResolvedConfig;
    try {
      next = this.load();
    } catch (error) {
      const problem = error instanceof ConfigError ? error.message : `could not read the configuration: ${String(error)}`;
      this.logger.error('configuration reload refused; the running configuration stays', { problem });
      return { kind: 'invalid', problem };
    }
    const parts = reloadableOf(next);
    const reloaded = (Object.keys(RELOADABLE_KEYS) as (keyof ReloadableConfig)[])
      .filter((part) => !sameJson(parts[part], this.applied[part]))
      .map((part) => RELOADABLE_KEYS[part]);
    const needRestart = changedKeys(this.started, next).filter((key) => !isReloadable(key));
    if (needRestart.length > 0) this.logger.warn('configuration changes not applied: they need a restart', { needRestart });
    if (reloaded.length === 0) {
      this.logger.info('configuration reloaded: nothing to apply', { needRestart });
      return { kind: 'unchanged', needRestart };
    }
    const failure = this.notify(parts);
    if (failure !== undefined) return { kind: 'failed', problem: failure };
    this.applied = parts;
    this.logger.info('configuration reloaded', {
      reloaded,
      needRestart,
      requestState: { keyCount: parts.requestState.keys.length, ttlSeconds: parts.requestState.ttlSeconds },
    });
    return { kind: 'applied', reloaded, needRestart };
  }

  /** The first listener's failure, if any (logged); the parts then count as not applied, so the next reload retries. */
  private notify(parts: ReloadableConfig): string | undefined {
    let failure: string | undefined;
    for (const listener of this.listeners) {
      try {
        listener(parts);
      } catch (error) {
        const problem = `applying the reloaded configuration failed: ${error instanceof Error ? error.message : String(error)}`;
        this.logger.error(problem);
        failure ??= problem;
      }
    }
    return failure;
  }
}

function isReloadable(key: string): boolean {
  return Object.values(RELOADABLE_KEYS).some((part) => key === part || key.startsWith(`${part}.`));
}

/** Dotted keys whose values differ (lists compared whole); only names, never values, so nothing secret leaks. */
export function changedKeys(before: unknown, after: unknown, prefix = ''): string[] {
  if (isSection(before) && isSection(after)) {
    const names = [...new Set([...Object.keys(before), ...Object.keys(after)])];
    return names.flatMap((name) => changedKeys(before[name], after[name], prefix ? `${prefix}.${name}` : name));
  }
  return sameJson(before, after) ? [] : [prefix || '(root)'];
}

function isSection(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
