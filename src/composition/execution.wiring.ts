import type { CommandLimits } from '../application/tools/command.tools.js';
import type { ExecutionIsolation, ExecutionRequest, ExecutionResult, Executor, ExecutorHealth, LookupContext, ProgramLookup } from '../application/ports/executor.js';
import type { Logger } from '../application/ports/logger.js';
import { CommandPolicy } from '../domain/security/command-policy.js';
import type { ResolvedConfig } from '../infrastructure/config/config.schema.js';
import type { BackendName, SecurityConfig } from '../infrastructure/config/execution.schema.js';
import { NativeExecutor } from '../infrastructure/execution/native-executor.js';
import { chooseIsolation } from '../infrastructure/execution/process-isolation.js';

/** The policy and limits in force for one backend: execution.security with that backend's overrides applied. */
export interface ExecutionSetup {
  readonly backend: BackendName;
  readonly policy: CommandPolicy;
  readonly limits: Omit<CommandLimits, 'executions'>;
}

export function executionSetup(execution: ResolvedConfig['execution']): ExecutionSetup {
  const { backend, security } = execution;
  const s: SecurityConfig = { ...security, ...definedOnly(security.overrides[backend] ?? {}) };
  return {
    backend,
    policy: new CommandPolicy({
      allowedCommands: s.allowed_commands,
      blockedCommands: s.blocked_commands,
      unreviewedCommands: s.unreviewed_commands,
      allowedArgumentRules: s.allowed_argument_rules,
      allowShell: s.allow_shell,
      allowPathsOutsideRoots: s.allow_paths_outside_roots,
    }),
    limits: {
      defaultTimeoutMs: s.command_timeout_ms,
      maxTimeoutMs: s.max_command_timeout_ms,
      maxOutputBytes: s.max_output_bytes,
      envPassthrough: s.env_passthrough,
      envRefused: s.env_refused,
      ...(s.max_execution_time !== undefined ? { maxExecutionTimeMs: s.max_execution_time } : {}),
      ...(s.max_memory !== undefined ? { maxMemoryBytes: s.max_memory } : {}),
      ...(s.max_cpu !== undefined ? { maxCpus: s.max_cpu } : {}),
      ...(s.max_processes !== undefined ? { maxProcesses: s.max_processes } : {}),
    },
  };
}

/**
 * The Executor for `execution.backend`. Backends other than native load their modules (dockerode,
 * ssh2, the agent client) only when chosen; until the import resolves, runs wait for it rather
 * than fall through to another backend.
 */
export function createBackend(e: ResolvedConfig['execution'], logger: Logger): Executor {
  switch (e.backend) {
    case 'native':
      return new NativeExecutor({ isolation: chooseIsolation(e.security.isolation, logger) });
    case 'docker':
      return new DeferredExecutor('docker', import('../infrastructure/execution/docker/docker-executor.js').then(({ DockerExecutor }) =>
        new DockerExecutor({ host: e.docker.host, image: e.docker.image ?? '', network: e.docker.network, user: e.docker.user,
          ...(e.docker.memory ?? e.security.max_memory ? { memory: e.docker.memory ?? e.security.max_memory } : {}),
          ...(e.docker.cpus ?? e.security.max_cpu ? { cpus: e.docker.cpus ?? e.security.max_cpu } : {}),
          ...(e.docker.pids_limit ?? e.security.max_processes ? { pidsLimit: e.docker.pids_limit ?? e.security.max_processes } : {}) }, logger)));
    case 'ssh':
      return new DeferredExecutor('ssh', import('../infrastructure/execution/ssh/ssh-executor.js').then(({ SshExecutor }) =>
        new SshExecutor({
          strategy: e.ssh.strategy,
          hosts: e.ssh.hosts.map((h) => ({ host: h.host, port: h.port, user: h.user, privateKeyPath: h.private_key_path, hostKey: h.host_key, maxConcurrent: h.max_concurrent })),
        }, logger)));
    case 'host_agent':
      return new DeferredExecutor('host_agent', import('../infrastructure/execution/host-agent/host-agent-executor.js').then(({ HostAgentExecutor }) =>
        new HostAgentExecutor({ url: e.host_agent.url ?? '', secretFile: e.host_agent.secret_file ?? '' }, logger)));
  }
}

/** An Executor whose module is still loading: every call waits for it; a load failure fails the call, never another backend. */
class DeferredExecutor implements Executor {
  private loaded: Executor | undefined;

  constructor(readonly backend: string, private readonly loading: Promise<Executor>) {
    loading.then((executor) => (this.loaded = executor), () => undefined);
  }

  get isolation(): ExecutionIsolation {
    return this.loaded?.isolation ?? { contained: true, description: `${this.backend} backend loading` };
  }

  async execute(request: ExecutionRequest): Promise<ExecutionResult> {
    return (await this.loading).execute(request);
  }

  async health(signal?: AbortSignal): Promise<ExecutorHealth> {
    try {
      const executor = await this.loading;
      return executor.health ? await executor.health(signal) : { backend: this.backend, status: 'up', details: {} };
    } catch (error) {
      return { backend: this.backend, status: 'down', details: { problem: `the backend did not load: ${String(error)}` } };
    }
  }

  async which(command: string, where: LookupContext): Promise<ProgramLookup> {
    const executor = await this.loading.catch(() => undefined);
    if (!executor) return { status: 'unknown', reason: `the ${this.backend} backend did not load` };
    return executor.which ? executor.which(command, where) : { status: 'unknown', reason: `the ${this.backend} backend cannot look programs up` };
  }

  async shutdown(): Promise<void> {
    await (await this.loading.catch(() => undefined))?.shutdown();
  }
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
