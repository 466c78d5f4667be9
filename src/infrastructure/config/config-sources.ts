import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node } from 'yaml';
import { ConfigError } from './config-error.js';
import { isSecretKey } from './redact.js';

export const ENV_PREFIX = 'TELEMETRYFLOW_MCP_';

/** Where one value was set. */
export type ConfigSource =
  | { readonly kind: 'flag'; readonly flag: string; readonly value: string }
  | { readonly kind: 'env'; readonly name: string; readonly value: string }
  | { readonly kind: 'file'; readonly file: string; readonly line: number };

/** A command-line flag that sets one key, e.g. `--port 9000` → server.http.port. */
export interface ConfigFlag {
  readonly flag: string;
  readonly key: string;
  readonly value: string;
}

/** One layer of the configuration: the values it sets, and where each key (dotted path) was set. */
export interface ConfigLayer {
  readonly values: Record<string, unknown>;
  readonly sources: ReadonlyMap<string, ConfigSource>;
}

export type KeyPath = readonly PropertyKey[];

export function flagLayer(flags: readonly ConfigFlag[]): ConfigLayer {
  const values: Record<string, unknown> = {};
  const sources = new Map<string, ConfigSource>();
  for (const { flag, key, value } of flags) {
    setPath(values, key.split('.'), value);
    sources.set(key, { kind: 'flag', flag, value });
  }
  return { values, sources };
}

/** TELEMETRYFLOW_MCP_LOGGING__LEVEL=debug → { logging: { level: 'debug' } }. */
export function envLayer(env: Readonly<Record<string, string | undefined>>): ConfigLayer {
  const values: Record<string, unknown> = {};
  const sources = new Map<string, ConfigSource>();
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith(ENV_PREFIX) || value === undefined) continue;
    const path = name.slice(ENV_PREFIX.length).toLowerCase().split('__').filter(Boolean);
    if (path.length === 0) continue;
    setPath(values, path, value);
    sources.set(path.join('.'), { kind: 'env', name, value });
  }
  return { values, sources };
}

/**
 * Variables of other tools that name one key each (ANTHROPIC_API_KEY → claude.api_key): a layer below
 * the YAML file, so an operator's file or TELEMETRYFLOW_MCP_* setting still wins. Empty values are unset.
 */
export function aliasEnvLayer(env: Readonly<Record<string, string | undefined>>, aliases: Readonly<Record<string, string>>): ConfigLayer {
  const values: Record<string, unknown> = {};
  const sources = new Map<string, ConfigSource>();
  for (const [name, key] of Object.entries(aliases)) {
    const value = env[name];
    if (value === undefined || value.trim() === '') continue;
    setPath(values, key.split('.'), value);
    sources.set(key, { kind: 'env', name, value });
  }
  return { values, sources };
}

/** The YAML text of `file` (as the user should see its name), each key located by its line. */
export function yamlLayer(text: string, file: string, fullPath: string): ConfigLayer {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: false });
  if (document.errors.length > 0) {
    const [error] = document.errors;
    throw new ConfigError(fullPath, `not valid YAML (${error.message.split('\n')[0]})`, `${file} line ${lineCounter.linePos(error.pos[0]).line}`);
  }
  const values: unknown = document.toJS();
  if (values === null || values === undefined) return { values: {}, sources: new Map() };
  if (typeof values !== 'object' || Array.isArray(values)) {
    throw new ConfigError(fullPath, 'the top level must be a mapping of sections', file);
  }
  const sources = new Map<string, ConfigSource>();
  const locate = (node: unknown, path: readonly string[]): void => {
    if (isMap(node)) {
      for (const pair of node.items) {
        if (!isScalar(pair.key)) continue;
        const childPath = [...path, String(pair.key.value)];
        const offset = pair.key.range?.[0];
        if (offset !== undefined) sources.set(childPath.join('.'), { kind: 'file', file, line: lineCounter.linePos(offset).line });
        locate(pair.value, childPath);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, index) => {
        const offset = (item as Node | null)?.range?.[0];
        if (offset !== undefined) sources.set([...path, index].join('.'), { kind: 'file', file, line: lineCounter.linePos(offset).line });
      });
    }
  };
  locate(document.contents, []);
  return { values: values as Record<string, unknown>, sources };
}

/** Finds where a key got its value: the highest-precedence layer that set it, or a section around or inside it. */
export class SourceIndex {
  /** @param layers highest precedence first (flags, environment, file). */
  constructor(private readonly layers: readonly ConfigLayer[]) {}

  sourceOf(path: KeyPath): ConfigSource | undefined {
    const key = path.map(String).join('.');
    for (const { sources } of this.layers) {
      for (let length = path.length; length > 0; length--) {
        const found = sources.get(path.slice(0, length).map(String).join('.'));
        if (found) return found;
      }
      for (const [set, source] of sources) if (key === '' || set.startsWith(`${key}.`)) return source;
    }
    return undefined;
  }

  /** A ConfigError thrown without its source (a check after parsing) gets the source of its key. */
  locate(error: ConfigError): ConfigError {
    if (error.where !== undefined || error.problems.length > 1) return error;
    const source = this.sourceOf(error.key.split('.'));
    return new ConfigError(error.key, error.problem, describeValueSource(source, error.key));
  }
}

/**
 * `TELEMETRYFLOW_MCP_SERVER__HTTP__PORT="abc" (server.http.port)`, `--port "abc" (server.http.port)`,
 * `tfo-mcp.yaml line 5 (server.http.port)` or `server.http.port (default)`. Secrets are never echoed.
 */
export function describeValueSource(source: ConfigSource | undefined, key: string): string {
  if (source === undefined) return `${key} (default)`;
  if (source.kind === 'file') return `${source.file} line ${source.line} (${key})`;
  const shown = shownValue(key, source.value);
  const named = source.kind === 'flag' ? `${source.flag} ${shown}` : `${source.name}=${shown}`;
  return shown === undefined ? `${source.kind === 'flag' ? source.flag : source.name} (value hidden) (${key})` : `${named} (${key})`;
}

/** Where a key was set, without the value: for keys that should not be there at all. */
export function describeKeySource(source: ConfigSource | undefined, key: string): string {
  if (source === undefined) return key;
  if (source.kind === 'file') return `${source.file} line ${source.line}`;
  return source.kind === 'flag' ? source.flag : source.name;
}

const MAX_SHOWN = 60;
const URL_CREDENTIALS = /[a-z][a-z0-9+.-]*:\/\/[^/@\s]*:[^/@\s]*@/i;

/** The value quoted and shortened, or undefined when it must not be shown (a secret). */
export function shownValue(key: string, value: unknown): string | undefined {
  const name = key.split('.').filter((part) => !/^\d+$/.test(part)).pop() ?? '';
  if (isSecretKey(name)) return undefined;
  if (typeof value === 'string' && URL_CREDENTIALS.test(value)) return undefined;
  const text = JSON.stringify(value) ?? String(value);
  return text.length > MAX_SHOWN ? `${text.slice(0, MAX_SHOWN - 2)}…${text.slice(-1)}` : text;
}

function setPath(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    node = (next !== null && typeof next === 'object' ? next : (node[key] = {})) as Record<string, unknown>;
  }
  node[path[path.length - 1]] = value;
}
