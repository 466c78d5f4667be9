import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, relative, resolve } from 'node:path';
import { assertApiKeyStore, type AuthConfig } from './auth.schema.js';
import { ConfigError } from './config-error.js';
import { configProblems, plainMessages } from './config-problems.js';
import { aliasEnvLayer, envLayer, flagLayer, SourceIndex, yamlLayer, type ConfigFlag, type ConfigLayer } from './config-sources.js';
import { CLAUDE_ENV_ALIASES, configSchemaFor, type AppConfig, type ResolvedConfig } from './config.schema.js';
import { moveDeprecatedTelemetry } from './telemetry.schema.js';
import { resolveRoots, RootsProblem, type ResolvedRoots } from './roots.js';
import { assertBackendConfigured, dockerHostOf, moveDeprecatedSecurity, type Moved } from './execution-config.js';

export { ConfigError } from './config-error.js';
export { ENV_PREFIX, type ConfigFlag } from './config-sources.js';

export interface LoadOptions {
  /** --config; without it ./tfo-mcp.yaml is used when present. */
  readonly configPath?: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  /** The user's home directory: never a root by default. */
  readonly home?: string;
  readonly version: string;
  /** Command-line flags, highest of all (--transport, --host, --port). */
  readonly flags?: readonly ConfigFlag[];
}

/**
 * defaults < other tools' variables (ANTHROPIC_API_KEY…) < YAML file < TELEMETRYFLOW_MCP_* environment
 * < command-line flags. Parsed once, frozen.
 * Every problem is reported at once, each naming the key and where its value came from.
 */
export function loadConfig(options: LoadOptions): ResolvedConfig {
  const layers = [aliasEnvLayer(options.env, CLAUDE_ENV_ALIASES), readYaml(options), envLayer(options.env), flagLayer(options.flags ?? [])];
  const sources = new SourceIndex([...layers].reverse());
  const merged = layers.reduce<Record<string, unknown>>((config, layer) => deepMerge(config, layer.values), {});
  // Sections the layers leave out (auth, rate_limits, telemetry) are never built: see configSchemaFor.
  const schema = configSchemaFor(merged);
  const parsed = schema.safeParse(merged, { error: plainMessages });
  if (!parsed.success) throw ConfigError.all(configProblems(parsed.error, merged, sources, schema));
  try {
    return resolved(moveDeprecatedSecurity(parsed.data, merged), options, merged);
  } catch (error) {
    // Checks after parsing know the key; the source index adds where its value was set.
    throw error instanceof ConfigError ? sources.locate(error) : error;
  }
}

function resolved({ config, deprecations }: Moved, options: LoadOptions, merged: Readonly<Record<string, unknown>>): ResolvedConfig {
  assertSafeBind(config.server.http.host, config.server.http.allow_insecure_remote || authConfigured(config.auth));
  assertApiKeyStore(config.auth, config.persistence.driver);
  assertRateLimitClasses(config.auth, config.rate_limits);
  assertBackendConfigured(config.execution);
  const roots = rootsOf(config.mcp.roots, options);
  const { security: _moved, ...rest } = config;
  const telemetry = moveDeprecatedTelemetry(config.telemetry, sectionOf(merged.telemetry));
  const execution = { ...config.execution, docker: { ...config.execution.docker, host: config.execution.docker.host ?? dockerHostOf(options.env) } };
  const result = {
    ...rest,
    server: { ...config.server, version: config.server.version ?? options.version },
    mcp: { ...config.mcp, roots: roots.roots, roots_source: roots.source, ...(roots.note ? { roots_note: roots.note } : {}) },
    execution,
    telemetry: telemetry.telemetry,
  };
  // Notes, not configuration: hidden from print, redaction and the reload comparison.
  Object.defineProperty(result, 'security', { value: execution.security, enumerable: false });
  Object.defineProperty(result, 'deprecations', { value: Object.freeze([...deprecations, ...telemetry.deprecations]), enumerable: false });
  return deepFreeze(result) as unknown as ResolvedConfig;
}

/** The section as written (before defaults), to tell a key set from a default. */
function sectionOf(value: unknown): Readonly<Record<string, unknown>> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
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

/** Without authentication (auth.oauth or API keys) a remote bind must be asked for explicitly. */
function assertSafeBind(host: string, allowed: boolean): void {
  if (LOOPBACK.test(host) || allowed) return;
  throw new ConfigError(
    'server.http.host',
    `refusing to listen on non-loopback address "${host}" without authentication; configure auth.oauth or auth.api_keys (or set server.http.allow_insecure_remote: true to accept the risk)`,
  );
}

/**
 * With rate limits on, an API key's `rate_limit_class` must name a `rate_limits.classes` entry: a
 * typo would otherwise put the key under the default limits with only a warning at its first call.
 */
function assertRateLimitClasses(auth: AuthConfig | undefined, limits: AppConfig['rate_limits']): void {
  if (!limits.enabled || auth === undefined) return;
  const known = Object.keys(limits.classes);
  auth.api_keys.forEach((key, index) => {
    const wanted = key.rate_limit_class;
    if (wanted === undefined || Object.hasOwn(limits.classes, wanted)) return;
    const configured = known.length > 0 ? `configured: ${known.join(', ')}` : 'none are configured';
    throw new ConfigError(`auth.api_keys.${index}.rate_limit_class`, `"${wanted}" is not a rate_limits.classes entry (${configured})`);
  });
}

/** Whether HTTP callers must authenticate: an OAuth issuer, API keys in config, or the Postgres key store. */
export function authConfigured(auth: AuthConfig | undefined): boolean {
  return auth !== undefined && (auth.oauth !== undefined || auth.api_keys.length > 0 || auth.api_key_store === 'postgres');
}

export function isLoopbackHost(host: string): boolean {
  return LOOPBACK.test(host);
}

function readYaml(options: LoadOptions): ConfigLayer {
  const path = resolve(options.cwd, options.configPath ?? 'tfo-mcp.yaml');
  if (!existsSync(path)) {
    if (options.configPath) throw new ConfigError('--config', `file not found: ${path}`, `--config ${JSON.stringify(options.configPath)}`);
    return { values: {}, sources: new Map() };
  }
  const shown = relative(options.cwd, path);
  return yamlLayer(readFileSync(path, 'utf8'), shown.startsWith('..') || isAbsolute(shown) ? path : shown, path);
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
