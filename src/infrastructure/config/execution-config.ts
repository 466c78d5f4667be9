import { ConfigError } from './config-error.js';
import type { AppConfig, ConfigDeprecation } from './config.schema.js';
import type { ExecutionConfig } from './execution.schema.js';

export interface Moved {
  readonly config: AppConfig;
  readonly deprecations: ConfigDeprecation[];
}

/**
 * The `security` section moved to `execution.security` (issue 12); for one release the old keys
 * still apply. Only keys the operator actually set move (the old section's defaults would otherwise
 * overwrite new settings); a key set in both places keeps the new value. Each is reported so the
 * server can warn once, naming the key.
 */
export function moveDeprecatedSecurity(config: AppConfig, raw: Record<string, unknown>): Moved {
  const old = sectionAt(raw, ['security']);
  if (old === undefined || config.security === undefined) return { config, deprecations: [] };
  const current = sectionAt(raw, ['execution', 'security']) ?? {};
  const deprecations: ConfigDeprecation[] = [];
  const moved: Record<string, unknown> = {};
  for (const key of Object.keys(old)) {
    const ignored = key in current;
    deprecations.push({ key: `security.${key}`, movedTo: `execution.security.${key}`, ignored });
    if (!ignored) moved[key] = (config.security as Record<string, unknown>)[key];
  }
  const security = { ...config.execution.security, ...moved } as ExecutionConfig['security'];
  return { config: { ...config, execution: { ...config.execution, security } }, deprecations };
}

/** One line per moved key, for the operator log at start-up. */
export function deprecationMessages(deprecations: readonly ConfigDeprecation[]): string[] {
  return deprecations.map(({ key, movedTo, ignored }) =>
    ignored
      ? `${key} is deprecated and ignored: ${movedTo} is also set and wins; remove ${key}`
      : `${key} is deprecated: move it to ${movedTo} (the old section is read for one more release)`,
  );
}

/** DOCKER_HOST as the Docker CLI reads it, else the engine's usual socket. */
export function dockerHostOf(env: Readonly<Record<string, string | undefined>>): string {
  const value = env.DOCKER_HOST?.trim();
  return value ? value : 'unix:///var/run/docker.sock';
}

/** A backend chosen without what it needs stops start-up naming the missing key, not at the first command. */
export function assertBackendConfigured(execution: ExecutionConfig): void {
  switch (execution.backend) {
    case 'native':
      return;
    case 'docker':
      if (!execution.docker.image) throw new ConfigError('execution.docker.image', 'required when execution.backend is docker (an image with the programs commands may run)');
      return;
    case 'ssh':
      if (execution.ssh.hosts.length === 0) throw new ConfigError('execution.ssh.hosts', 'required when execution.backend is ssh: at least one host with host_key pinned');
      return;
    case 'host_agent':
      if (!execution.host_agent.url) throw new ConfigError('execution.host_agent.url', 'required when execution.backend is host_agent');
      if (!execution.host_agent.secret_file) throw new ConfigError('execution.host_agent.secret_file', 'required when execution.backend is host_agent');
      return;
  }
}

function sectionAt(raw: Record<string, unknown>, path: readonly string[]): Record<string, unknown> | undefined {
  let node: unknown = raw;
  for (const key of path) node = node !== null && typeof node === 'object' && !Array.isArray(node) ? (node as Record<string, unknown>)[key] : undefined;
  return node !== null && typeof node === 'object' && !Array.isArray(node) ? (node as Record<string, unknown>) : undefined;
}
