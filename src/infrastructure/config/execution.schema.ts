import { z } from 'zod';
import { bool, bytes, int, list } from './config-values.js';

export const DEFAULT_ALLOWED_COMMANDS = [
  'echo', 'ls', 'cat', 'head', 'tail', 'wc', 'grep', 'sort', 'uniq', 'cut', 'tr', 'diff', 'stat', 'file',
  'pwd', 'date', 'whoami', 'uname', 'hostname', 'uptime', 'df', 'du', 'ps', 'sha256sum', 'md5sum', 'true', 'false',
];

export const DEFAULT_BLOCKED_COMMANDS = [
  'rm', 'rmdir', 'dd', 'mkfs', 'fdisk', 'shutdown', 'reboot', 'halt', 'poweroff', 'sudo', 'su', 'doas',
  'chmod', 'chown', 'kill', 'killall', 'pkill', 'mount', 'umount', 'curl', 'wget', 'nc', 'ncat', 'ssh', 'scp',
  'sh', 'bash', 'zsh', 'dash', 'env', 'xargs', 'eval', 'exec', 'nohup', 'setsid', 'crontab', 'systemctl',
];

/**
 * Variables that change what a child runs or loads before its own code (the dynamic loader, language
 * start-up hooks, shell start-up files). Refused from a caller and dropped from env_passthrough.
 * A trailing `*` matches a prefix.
 */
export const DEFAULT_REFUSED_ENV = [
  'LD_*', 'DYLD_*', 'NODE_OPTIONS', 'NODE_PATH', 'BASH_ENV', 'ENV', 'BASH_FUNC_*', 'SHELLOPTS', 'BASHOPTS', 'PS4', 'IFS',
  'PROMPT_COMMAND', 'PYTHONSTARTUP', 'PYTHONPATH', 'PYTHONHOME', 'PYTHONINSPECT', 'PERL5OPT', 'PERL5LIB', 'PERLLIB',
  'RUBYOPT', 'RUBYLIB', 'GIT_*', 'JAVA_TOOL_OPTIONS', '_JAVA_OPTIONS', 'JDK_JAVA_OPTIONS', 'GCONV_PATH', 'LOCPATH',
  'MALLOC_*', 'GLIBC_TUNABLES', 'POSIXLY_CORRECT', '_POSIX2_VERSION', 'EDITOR', 'VISUAL', 'PAGER',
];

const cpus = z.coerce.number({ error: 'expected a number of CPUs, e.g. 0.5' }).positive({ error: 'expected a number of CPUs above 0' }).max(1024);

/**
 * The keys a per-backend override may change: which programs run and the resources one run gets.
 * Each entry is the schema without its default; the full section adds the defaults below.
 */
const policyKeys = {
  allowed_commands: list,
  blocked_commands: list,
  /** Allowed programs without a reviewed option rule that may run anyway, options unchecked ("*" = all). */
  unreviewed_commands: list,
  /** Argument rules (find_exec, git_config, tar_command, awk_system, inline_code, program_indirection) waived. */
  allowed_argument_rules: list,
  allow_shell: bool,
  allow_paths_outside_roots: bool,
  /** The env allowlist: the server variables a child sees (never secret-named or refused ones). */
  env_passthrough: list,
  /** Refused from callers and dropped from env_passthrough; `NAME*` matches a prefix. */
  env_refused: list,
  command_timeout_ms: int(100, 3_600_000),
  max_command_timeout_ms: int(100, 3_600_000),
  /** A hard ceiling on any run's wall time (ms), below max_command_timeout_ms where a backend needs it. */
  max_execution_time: int(100, 86_400_000),
  max_output_bytes: int(1024, 256 * 1024 * 1024),
  max_memory: bytes,
  max_cpu: cpus,
  max_processes: int(1, 1_000_000),
} as const;

const policyDefaults = {
  allowed_commands: policyKeys.allowed_commands.default(DEFAULT_ALLOWED_COMMANDS),
  blocked_commands: policyKeys.blocked_commands.default(DEFAULT_BLOCKED_COMMANDS),
  unreviewed_commands: policyKeys.unreviewed_commands.default([]),
  allowed_argument_rules: policyKeys.allowed_argument_rules.default([]),
  allow_shell: policyKeys.allow_shell.default(false),
  allow_paths_outside_roots: policyKeys.allow_paths_outside_roots.default(false),
  env_passthrough: policyKeys.env_passthrough.default(['PATH', 'LANG', 'LC_ALL', 'TZ', 'HOME']),
  env_refused: policyKeys.env_refused.default(DEFAULT_REFUSED_ENV),
  command_timeout_ms: policyKeys.command_timeout_ms.default(30_000),
  max_command_timeout_ms: policyKeys.max_command_timeout_ms.default(300_000),
  max_execution_time: policyKeys.max_execution_time.optional(),
  max_output_bytes: policyKeys.max_output_bytes.default(1024 * 1024),
  max_memory: policyKeys.max_memory.optional(),
  max_cpu: policyKeys.max_cpu.optional(),
  max_processes: policyKeys.max_processes.optional(),
};

const policyOverride = z.object(Object.fromEntries(Object.entries(policyKeys).map(([key, schema]) => [key, schema.optional()])) as {
  [K in keyof typeof policyKeys]: z.ZodOptional<(typeof policyKeys)[K]>;
}).strict();

export const BACKENDS = ['native', 'docker', 'ssh', 'host_agent'] as const;
export type BackendName = (typeof BACKENDS)[number];

export const securitySchema = z
  .object({
    ...policyDefaults,
    allow_hardlink_writes: bool.default(false),
    max_file_bytes: int(1024, 1024 * 1024 * 1024).default(10 * 1024 * 1024),
    /** One read_file answer or file:// resource: the answer carries it twice (text + structuredContent), and SDK clients refuse frames over 10 MiB. */
    max_read_bytes: int(1024, 1024 * 1024 * 1024).default(2 * 1024 * 1024),
    max_read_bytes_in_flight: int(1024, 64 * 1024 * 1024 * 1024).default(32 * 1024 * 1024),
    max_read_bytes_in_flight_per_session: int(1024, 64 * 1024 * 1024 * 1024).default(16 * 1024 * 1024),
    max_concurrent_executions: int(1, 100_000).default(16),
    max_concurrent_executions_per_session: int(1, 100_000).default(4),
    max_list_entries: int(1, 1_000_000).default(5000),
    max_search_results: int(1, 100_000).default(1000),
    /**
     * How native commands are kept from the server: `namespace` (a PID namespace per run; refuse to
     * start without it), `auto` (that, else process groups with a warning), `process_group`.
     */
    isolation: z.enum(['auto', 'namespace', 'process_group']).default('auto'),
    /** Policy keys changed for one backend only, e.g. a docker backend may allow more programs than native. */
    overrides: z
      .object(Object.fromEntries(BACKENDS.map((name) => [name, policyOverride.optional()])) as Record<BackendName, z.ZodOptional<typeof policyOverride>>)
      .strict()
      .prefault({}),
  })
  .strict();

const dockerSchema = z
  .object({
    /** A Docker Engine API address; default: DOCKER_HOST, else unix:///var/run/docker.sock (filled in by the loader). */
    host: z.string().min(1).optional(),
    image: z.string().min(1).optional(),
    network: z.string().min(1).default('none'),
    memory: bytes.optional(),
    cpus: cpus.optional(),
    pids_limit: int(1, 1_000_000).optional(),
    user: z.string().min(1).default('65534:65534'),
  })
  .strict();

const sshHostSchema = z
  .object({
    host: z.string().min(1),
    port: int(1, 65535).default(22),
    user: z.string().min(1),
    private_key_path: z.string().min(1),
    /** The server's public key line (`ssh-ed25519 AAAA…`) or its `SHA256:` fingerprint: no trust on first use. */
    host_key: z.string().min(1),
    max_concurrent: int(1, 10_000).default(4),
  })
  .strict();

const sshSchema = z
  .object({
    hosts: z.array(sshHostSchema).default([]),
    strategy: z.enum(['least_busy', 'round_robin']).default('least_busy'),
  })
  .strict();

const hostAgentSchema = z
  .object({
    /** http://127.0.0.1:PORT or unix:///path/to/agent.sock */
    url: z.string().regex(/^(http:\/\/(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|localhost|\[::1\])(:\d+)?\/?|unix:\/\/\/.+)$/, {
      error: 'expected a loopback http://127.0.0.1:PORT or unix:///path.sock address',
    }).optional(),
    /** A file holding the shared HMAC secret (≥ 32 bytes); the path is shown, the secret never read into config. */
    secret_file: z.string().min(1).optional(),
  })
  .strict();

const auditSchema = z
  .object({
    /** Where the execution audit channel writes one JSON line per decision: a file path, or stderr when unset. */
    file: z.string().min(1).optional(),
  })
  .strict();

/** `execution`: where commands run (the backend), under which policy, and where decisions are audited. */
export const executionSchema = z
  .object({
    backend: z.enum(BACKENDS).default('native'),
    security: securitySchema.prefault({}),
    docker: dockerSchema.prefault({}),
    ssh: sshSchema.prefault({}),
    host_agent: hostAgentSchema.prefault({}),
    audit: auditSchema.prefault({}),
  })
  .strict();

export type ExecutionConfig = z.infer<typeof executionSchema>;
export type SecurityConfig = z.infer<typeof securitySchema>;
export type PolicyOverride = z.infer<typeof policyOverride>;
