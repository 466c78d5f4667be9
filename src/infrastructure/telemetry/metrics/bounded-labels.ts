/**
 * Label values from callers are folded into bounded sets before they reach a metric: each distinct
 * value is a time series in every Prometheus that scrapes us, so a client able to choose one (a
 * method string, a tool name it made up) could otherwise grow memory here and there without bound.
 */

export const OTHER = 'other';

/** Every method of the 2025 revisions and 2026-07-28 (notifications included: they are messages too). */
export const MCP_METHODS: readonly string[] = [
  'initialize',
  'ping',
  'tools/list',
  'tools/call',
  'resources/list',
  'resources/templates/list',
  'resources/read',
  'resources/subscribe',
  'resources/unsubscribe',
  'prompts/list',
  'prompts/get',
  'completion/complete',
  'logging/setLevel',
  'server/discover',
  'subscriptions/listen',
  'tasks/get',
  'tasks/list',
  'tasks/result',
  'tasks/update',
  'tasks/cancel',
  'notifications/initialized',
  'notifications/cancelled',
  'notifications/progress',
  'notifications/roots/list_changed',
];

export const EXECUTION_BACKENDS: readonly string[] = ['native', 'docker', 'ssh', 'host_agent', 'none'];

/** A fixed allow-list: anything else is `other`. */
export class FixedLabel {
  readonly #known: ReadonlySet<string>;

  constructor(values: readonly string[]) {
    this.#known = new Set(values);
  }

  of(value: string): string {
    return this.#known.has(value) ? value : OTHER;
  }
}

/** Registered names: printable, short, no spaces or quotes (a tool name as MCP allows it). */
const NAME = /^[A-Za-z0-9_.\-/]{1,64}$/;

/**
 * Values the server registers at run time (tool names): the first `cap` well-formed distinct values
 * are kept as they are, later or malformed ones become `other`. The cap is far above any real
 * catalogue, so in practice only a caller that bypasses the registry ever reaches it.
 */
export class CappedLabel {
  readonly #seen = new Set<string>();

  constructor(readonly cap: number) {}

  of(value: string): string {
    if (this.#seen.has(value)) return value;
    if (this.#seen.size >= this.cap || !NAME.test(value)) return OTHER;
    this.#seen.add(value);
    return value;
  }
}
