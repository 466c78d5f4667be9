import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { configSchema, type ResolvedConfig } from './config.schema.js';
import { resolveRoots, RootsProblem, type ResolvedRoots } from './roots.js';

export const ENV_PREFIX = 'TELEMETRYFLOW_MCP_';

/** A configuration problem, named by its key: start-up stops with it (exit code 2). */
export class ConfigError extends Error {
  constructor(readonly key: string, problem: string) {
    super(`${key}: ${problem}`);
    this.name = 'ConfigError';
  }
}

export interface LoadOptions {
  /** --config; without it ./tfo-mcp.yaml is used when present. */
  readonly configPath?: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  /** The user's home directory: never a root by default. */
  readonly home?: string;
  readonly version: string;
  /** Command-line overrides, highest of all (e.g. --transport). */
  readonly overrides?: Record<string, unknown>;
}

/** defaults < YAML file < TELEMETRYFLOW_MCP_* environment < command line. Parsed once, frozen. */
export function loadConfig(options: LoadOptions): ResolvedConfig {
  const fromFile = readYaml(options);
  const fromEnv = readEnv(options.env);
  const merged = deepMerge(deepMerge(deepMerge({}, fromFile), fromEnv), options.overrides ?? {});
  const parsed = configSchema.safeParse(merged);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const key = issue.path.map(String).join('.') || '(root)';
    const problem =
      issue.code === 'unrecognized_keys' ? `unknown key(s) ${issue.keys.map((k) => `"${k}"`).join(', ')}` : issue.message;
    throw new ConfigError(issue.code === 'unrecognized_keys' && key === '(root)' ? issue.keys[0] : key, problem);
  }
  const config = parsed.data;
  assertSafeBind(config.server.http.host, config.server.http.allow_insecure_remote);
  const roots = rootsOf(config.mcp.roots, options);
  return deepFreeze({
    ...config,
    server: { ...config.server, version: config.server.version ?? options.version },
    mcp: { ...config.mcp, roots: roots.roots, roots_source: roots.source, ...(roots.note ? { roots_note: roots.note } : {}) },
  }) as ResolvedConfig;
}

function rootsOf(configured: readonly string[] | undefined, options: LoadOptions): ResolvedRoots {
  try {
    return resolveRoots(configured, options.cwd, options.home);
  } catch (error) {
    if (error instanceof RootsProblem) throw new ConfigError('mcp.roots', error.message);
    throw error;
  }
}

const LOOPBACK = /^(127(\.\d{1,3}){3}|::1|\[::1\]|localhost)$/i;

/** Auth arrives with a later release; until then a remote bind must be asked for explicitly. */
function assertSafeBind(host: string, allowInsecureRemote: boolean): void {
  if (LOOPBACK.test(host) || allowInsecureRemote) return;
  throw new ConfigError(
    'server.http.host',
    `refusing to listen on non-loopback address "${host}" without authentication; set server.http.allow_insecure_remote: true to accept the risk`,
  );
}

export function isLoopbackHost(host: string): boolean {
  return LOOPBACK.test(host);
}

function readYaml(options: LoadOptions): Record<string, unknown> {
  const path = options.configPath ? resolve(options.cwd, options.configPath) : resolve(options.cwd, 'tfo-mcp.yaml');
  if (!existsSync(path)) {
    if (options.configPath) throw new ConfigError('--config', `file not found: ${path}`);
    return {};
  }
  let document: unknown;
  try {
    document = parseYaml(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ConfigError(path, `not valid YAML (${(error as Error).message.split('\n')[0]})`);
  }
  if (document === null || document === undefined) return {};
  if (typeof document !== 'object' || Array.isArray(document)) throw new ConfigError(path, 'the top level must be a mapping of sections');
  return document as Record<string, unknown>;
}

/** TELEMETRYFLOW_MCP_LOGGING__LEVEL=debug → { logging: { level: 'debug' } }. */
export function readEnv(env: Readonly<Record<string, string | undefined>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith(ENV_PREFIX) || value === undefined) continue;
    const path = name.slice(ENV_PREFIX.length).toLowerCase().split('__').filter(Boolean);
    if (path.length === 0) continue;
    let node = out;
    for (const key of path.slice(0, -1)) {
      const next = node[key];
      node = (next !== null && typeof next === 'object' ? next : (node[key] = {})) as Record<string, unknown>;
    }
    node[path[path.length - 1]] = value;
  }
  return out;
}

function deepMerge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const current = out[key];
    out[key] = isPlainObject(current) && isPlainObject(value) ? deepMerge(current, value) : value;
  }
  return out;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
