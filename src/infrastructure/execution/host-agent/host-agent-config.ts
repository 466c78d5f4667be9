import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { ConfigError } from '../../config/config-error.js';
import { envLayer, yamlLayer } from '../../config/config-sources.js';
import { bool, bytes, int, list } from '../../config/config-values.js';
import { isLoopback, parseAgentUrl } from './host-agent-protocol.js';

/**
 * The agent's own configuration: the `host_agent` section of its own YAML file (--config) and of
 * TELEMETRYFLOW_MCP_HOST_AGENT__* variables, then --listen / --secret-file. It shares no policy with
 * the server on purpose: the agent runs with other privileges, so it decides for itself.
 * Every other section of the file or environment is ignored, so one file may serve both.
 */
/** The same value parsers as the server's config (lists as JSON or comma-separated, booleans, ranged integers). */
const names = list;
const flag = bool;
const whole = (min: number, max: number) => int(min, max);

const securitySchema = z
  .object({
    /** Empty by default: an agent runs nothing until its operator names what it may run. */
    allowed_commands: names.default([]),
    blocked_commands: names.default([]),
    unreviewed_commands: names.default([]),
    allow_shell: flag.default(false),
    allow_paths_outside_roots: flag.default(false),
    /** Variables a request may set besides PATH (which is always the agent's own `path`). */
    env_allowlist: names.default(['LANG', 'LC_ALL', 'TZ', 'HOME']),
  })
  .strict();

export const hostAgentSchema = z
  .object({
    listen: z.string().min(1).default('unix:///run/tfo-mcp/host-agent.sock'),
    secret_file: z.string().min(1).optional(),
    /** Directories a run's cwd and path arguments must stay in (after resolving symlinks). */
    roots: names.default([]),
    /** PATH for every run: the agent, not the caller, decides which binary a name means. */
    path: z.string().min(1).default('/usr/local/bin:/usr/bin:/bin'),
    /** `stderr` or an absolute file path (appended, created 0600). */
    audit_log: z.string().min(1).default('stderr'),
    log_level: z.enum(['error', 'warn', 'info', 'debug']).default('info'),
    max_timeout_ms: whole(100, 24 * 3_600_000).default(300_000),
    max_output_bytes: whole(1024, 256 * 1024 * 1024).default(1024 * 1024),
    max_request_bytes: whole(1024, 64 * 1024 * 1024).default(10 * 1024 * 1024),
    max_concurrent: whole(1, 10_000).default(8),
    max_nonces: whole(100, 10_000_000).default(100_000),
    /** Ceilings of every run (a request may only ask for less): processes and threads (a pids cgroup as root, else RLIMIT_NPROC), address space. */
    max_processes: whole(1, 1_000_000).optional(),
    max_memory: bytes.optional(),
    security: securitySchema.prefault({}),
  })
  .strict();
export type HostAgentConfig = z.infer<typeof hostAgentSchema>;

export interface HostAgentLoadOptions {
  readonly configPath?: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  readonly listen?: string;
  readonly secretFile?: string;
}

export function loadHostAgentConfig(options: HostAgentLoadOptions): HostAgentConfig {
  const fromFile = options.configPath ? sectionOf(readYaml(options.configPath, options.cwd)) : {};
  const fromEnv = sectionOf(envLayer(options.env).values);
  const fromFlags = { ...(options.listen ? { listen: options.listen } : {}), ...(options.secretFile ? { secret_file: options.secretFile } : {}) };
  const merged = merge(merge(fromFile, fromEnv), fromFlags);
  const parsed = hostAgentSchema.safeParse(merged);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigError(`host_agent.${issue.path.join('.')}`, issue.message);
  }
  const config = parsed.data;
  checkListen(config.listen);
  for (const root of config.roots) {
    if (!isAbsolute(root)) throw new ConfigError('host_agent.roots', `"${root}" is not an absolute path`);
  }
  if (config.audit_log !== 'stderr' && !isAbsolute(config.audit_log)) {
    throw new ConfigError('host_agent.audit_log', 'expected "stderr" or an absolute file path');
  }
  if (config.secret_file === undefined) throw new ConfigError('host_agent.secret_file', 'required (--secret-file PATH): the shared secret the server signs requests with');
  return { ...config, secret_file: resolve(options.cwd, config.secret_file) };
}

/** Loopback or a unix socket only: the agent runs commands for whoever holds the secret, and a secret on the network is one leak away. */
function checkListen(listen: string): void {
  let address;
  try {
    address = parseAgentUrl(listen);
  } catch (error) {
    throw new ConfigError('host_agent.listen', (error as Error).message);
  }
  if (address.kind === 'tcp' && !isLoopback(address.host)) {
    throw new ConfigError('host_agent.listen', `refusing to listen on non-loopback address "${address.host}"; use 127.0.0.1, ::1 or a unix socket`);
  }
}

function readYaml(configPath: string, cwd: string): Record<string, unknown> {
  const path = resolve(cwd, configPath);
  if (!existsSync(path)) throw new ConfigError('--config', `file not found: ${path}`);
  return yamlLayer(readFileSync(path, 'utf8'), path, path).values;
}

function sectionOf(values: Record<string, unknown>): Record<string, unknown> {
  const section = values['host_agent'];
  return isObject(section) ? section : {};
}

function merge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const current = out[key];
    out[key] = isObject(current) && isObject(value) ? merge(current, value) : value;
  }
  return out;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
