import Docker from 'dockerode';
import type { ExecutionIsolation, ExecutionRequest, ExecutionResult, Executor, ExecutorHealth } from '../../../application/ports/executor.js';
import type { Logger } from '../../../application/ports/logger.js';
import type { ContainerDefaults } from './container-spec.js';
import { DockerExecutorError } from './docker-errors.js';
import { DockerRun } from './docker-run.js';

/** execution.docker.* in camelCase. */
export interface DockerExecutorOptions {
  /** A Docker API address: unix:///run/podman/podman.sock, tcp://127.0.0.1:2375 or http://…. */
  readonly host: string;
  readonly image: string;
  /** Docker NetworkMode; `none` (the default) leaves the container only a loopback interface. */
  readonly network?: string;
  /** Bytes; the container gets no swap beyond it. */
  readonly memory?: number;
  readonly cpus?: number;
  readonly pidsLimit?: number;
  /** uid:gid inside the container; never root by default. */
  readonly user?: string;
  /** Bytes dropped past the output caps after which a run is killed (default 64 MiB). */
  readonly overflowKillBytes?: number;
  /** How long shutdown() waits for killed runs to be removed. */
  readonly shutdownWaitMs?: number;
}

/**
 * Runs each execution in a fresh container through the Docker Engine API (Docker or podman's
 * compatible service): the configured image, no network by default, a read-only root, no
 * capabilities, a non-root user, memory/CPU/pids limits, the workspace roots mounted at their own
 * paths. The image is never pulled. Where the engine cannot start the program (not in the image),
 * the call rejects with an errno-style ENOENT/EACCES error, as native does; engine trouble rejects
 * with a DockerExecutorError. Everything after a successful start resolves.
 */
export class DockerExecutor implements Executor {
  readonly backend = 'docker';
  readonly isolation: ExecutionIsolation = {
    contained: true,
    description: 'a container per run: own PID, mount and network namespaces, read-only root, all capabilities dropped, removed afterwards',
  };
  private readonly docker: Docker;
  private readonly defaults: ContainerDefaults;
  private readonly running = new Set<DockerRun>();
  private stopped = false;
  private lastHealth: { readonly at: number; readonly answer: Promise<ExecutorHealth> } | undefined;

  constructor(
    private readonly options: DockerExecutorOptions,
    private readonly logger: Logger,
  ) {
    this.docker = new Docker(engineAddress(options.host));
    this.defaults = {
      image: options.image,
      network: options.network ?? 'none',
      user: options.user ?? '65534:65534',
      memory: options.memory,
      cpus: options.cpus,
      pidsLimit: options.pidsLimit,
    };
  }

  async execute(request: ExecutionRequest): Promise<ExecutionResult> {
    if (this.stopped) throw new DockerExecutorError('docker.stopped', 'the docker executor is shut down');
    const run = new DockerRun(this.docker, request, this.defaults, { overflowKillBytes: this.options.overflowKillBytes ?? 64 * 1024 * 1024, streamGraceMs: 1000 }, this.logger);
    this.running.add(run);
    try {
      return await run.result;
    } finally {
      this.running.delete(run);
    }
  }

  /** Up when the engine answers and holds the image; degraded when the image is missing (every run would fail). */
  /**
   * Two engine requests (version, image inspect); probes within HEALTH_REUSE_MS of each other (a load
   * balancer's /ready, get_system_status, several replicas' checks) share one answer.
   */
  health(signal?: AbortSignal): Promise<ExecutorHealth> {
    const now = Date.now();
    if (this.lastHealth && now - this.lastHealth.at < HEALTH_REUSE_MS) return this.lastHealth.answer;
    const answer = this.checkHealth(signal);
    this.lastHealth = { at: now, answer };
    return answer;
  }

  private async checkHealth(signal?: AbortSignal): Promise<ExecutorHealth> {
    const details: Record<string, unknown> = { image: this.defaults.image, network: this.defaults.network, user: this.defaults.user };
    try {
      const version = await this.docker.version({ abortSignal: signal });
      details.engine = engineName(version);
      details.api_version = version.ApiVersion;
    } catch (error) {
      return { backend: this.backend, status: 'down', details: { ...details, reason: `engine not reachable: ${(error as Error).message}` } };
    }
    try {
      await this.docker.getImage(this.defaults.image).inspect();
      details.image_present = true;
    } catch {
      details.image_present = false;
      return { backend: this.backend, status: 'degraded', details: { ...details, reason: 'image not in the engine store (never pulled)' } };
    }
    return { backend: this.backend, status: 'up', details };
  }

  async shutdown(): Promise<void> {
    this.stopped = true;
    const all = [...this.running];
    for (const run of all) run.stop('cancel');
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => (timer = setTimeout(resolve, this.options.shutdownWaitMs ?? 5000)));
    await Promise.race([Promise.allSettled(all.map((run) => run.result)), deadline]);
    clearTimeout(timer);
  }
}

const HEALTH_REUSE_MS = 2000;

/** unix:///path.sock → socket; tcp:// and http:// → host and port. TLS engines are not supported yet. */
export function engineAddress(host: string): Docker.DockerOptions {
  if (host.startsWith('unix://')) return { socketPath: host.slice('unix://'.length) };
  const match = /^(?:tcp|http):\/\/([^/:]+|\[[^\]]+\]):(\d+)\/?$/.exec(host);
  if (match) return { host: match[1], port: Number(match[2]), protocol: 'http' };
  throw new DockerExecutorError('docker.invalid_config', `execution.docker.host must be unix:///path, tcp://host:port or http://host:port (got ${host.split('://')[0]}://…)`);
}

function engineName(version: { Version?: string; Components?: readonly { Name?: string; Version?: string }[] }): string {
  const podman = version.Components?.find((component) => /podman/i.test(component.Name ?? ''));
  return podman ? `podman ${podman.Version ?? version.Version ?? '?'}` : `docker ${version.Version ?? '?'}`;
}
