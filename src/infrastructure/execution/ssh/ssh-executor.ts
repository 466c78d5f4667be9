import { randomUUID } from 'node:crypto';
import type { ExecutionIsolation, ExecutionRequest, ExecutionResult, Executor, ExecutorHealth, LookupContext, ProgramLookup } from '../../../application/ports/executor.js';
import type { Logger } from '../../../application/ports/logger.js';
import { remoteCommandLine, sweepCommandLine } from './remote-command.js';
import { SshExecutorError } from './ssh-errors.js';
import { SshHost, type SshHostConfig } from './ssh-host.js';
import { pickOrder, type SshStrategy } from './ssh-selection.js';
import { SshRun } from './ssh-run.js';
import { cancelledRun } from '../execution-results.js';

/** A program lookup is one tiny remote exec. */
const LOOKUP_TIMEOUT_MS = 5_000;
/** $1 as a path, or the first executable non-directory `$dir/$1` on PATH; exit 1 when there is none. */
const WHICH_SCRIPT = [
  'case $1 in */*) [ -f "$1" ] && [ -x "$1" ] && { printf "%s\\n" "$1"; exit 0; }; exit 1;; esac',
  'IFS=:; for d in $PATH; do [ -f "$d/$1" ] && [ -x "$d/$1" ] && { printf "%s\\n" "$d/$1"; exit 0; }; done; exit 1',
].join('\n');

export interface SshExecutorOptions {
  readonly hosts: readonly SshHostConfig[];
  readonly strategy: SshStrategy;
  /** TCP connect + handshake + authentication (default 10 s). */
  readonly connectTimeoutMs?: number;
  /** Time between health probes of every host (default 30 s). */
  readonly healthIntervalMs?: number;
  /** Bound on one probe, and on one kill sweep (default 5 s). */
  readonly probeTimeoutMs?: number;
  /** How long after an exit or a kill the answer waits for the channel to close (default 500 ms). */
  readonly pipeGraceMs?: number;
  /** How long after its deadline the remote `timeout` backstop kills a run whose connection dropped (default 5 s). */
  readonly backstopGraceMs?: number;
  /** How long shutdown() waits for killed runs to answer (default 3 s). */
  readonly shutdownWaitMs?: number;
}

/**
 * Runs commands on a pool of hosts over SSH (ssh2): key authentication only, host keys pinned (an
 * unknown or changed key is refused; no trust-on-first-use), one connection per host shared by all
 * its runs, `least_busy` or `round_robin` selection, a periodic `true` probe per host.
 *
 * When every reachable host is at its `maxConcurrent`, a request is refused at once with the
 * retryable `ssh.busy` instead of waiting in a queue: the caller's timeout would otherwise be spent
 * queueing, and the tool's per-session budget already bounds concurrency. A host that cannot be
 * reached is marked down and the next one is tried (nothing ran, so trying again is safe); down hosts
 * are skipped until a probe finds them up, or tried last when no host is up at all.
 *
 * The program's environment is exactly `request.env` (plus the run marker), set with `env -i` on the
 * remote side. `request.cwd` is used as is on the host, so the hosts must see the workspace at the same
 * paths; `roots` are not enforced remotely. max_processes and max_memory become RLIMIT_NPROC and
 * RLIMIT_AS through the host's `prlimit` (see remote-command.ts); max_cpu is not enforced.
 */
export class SshExecutor implements Executor {
  readonly backend = 'ssh';
  readonly isolation: ExecutionIsolation = {
    contained: true,
    description: 'runs on remote hosts over SSH: the program never sees this server\'s processes or environment; its process group and marked children are killed on timeout or cancellation',
  };
  private readonly hosts: readonly SshHost[];
  private readonly running = new Set<SshRun>();
  private readonly sweeps = new Set<Promise<void>>();
  private readonly probeTimer: NodeJS.Timeout;
  private readonly probeTimeoutMs: number;
  private readonly pipeGraceMs: number;
  private readonly backstopGraceMs: number;
  private readonly shutdownWaitMs: number;
  private cursor = 0;
  private stopped = false;

  constructor(
    private readonly options: SshExecutorOptions,
    private readonly logger: Logger,
  ) {
    if (options.hosts.length === 0) throw new SshExecutorError('ssh.invalid_config', 'execution.ssh.hosts is empty');
    const timings = { connectTimeoutMs: options.connectTimeoutMs ?? 10_000, keepaliveIntervalMs: 10_000 };
    this.hosts = options.hosts.map((config) => new SshHost(config, timings, logger.child({ component: 'ssh-executor' })));
    this.probeTimeoutMs = options.probeTimeoutMs ?? 5_000;
    this.pipeGraceMs = options.pipeGraceMs ?? 500;
    this.backstopGraceMs = options.backstopGraceMs ?? 5_000;
    this.shutdownWaitMs = options.shutdownWaitMs ?? 3_000;
    this.probeTimer = setInterval(() => void this.probeAll(), options.healthIntervalMs ?? 30_000);
    this.probeTimer.unref();
  }

  async execute(request: ExecutionRequest): Promise<ExecutionResult> {
    if (this.stopped) throw new SshExecutorError('ssh.stopped', 'the ssh executor is shut down');
    if (request.signal?.aborted) return cancelledRun();
    const marker = randomUUID();
    // Built before any host is touched: a request that cannot be quoted safely never reaches one.
    const line = remoteCommandLine(request, marker, request.timeoutMs + this.backstopGraceMs);
    const failures: SshExecutorError[] = [];
    for (const host of this.candidates()) {
      if (request.signal?.aborted) return cancelledRun();
      // Another run may have taken the last slot while this one waited for a connection.
      if (!host.hasRoom) continue;
      host.busy += 1;
      try {
        const channel = await host.exec(line);
        host.runs += 1;
        this.logger.debug('ssh run started', { host: host.name, busy: host.busy });
        return await this.watch(host, new SshRun(channel, request, {
          sweep: () => this.sweep(host, marker),
          pipeGraceMs: this.pipeGraceMs,
          hostName: host.name,
        }));
      } catch (error) {
        if (!(error instanceof SshExecutorError) || error.code === 'ssh.connection_lost') throw error;
        failures.push(error);
      } finally {
        host.busy -= 1;
      }
    }
    if (request.signal?.aborted) return cancelledRun();
    throw failures.length > 0 ? combined(failures) : busy(this.hosts);
  }

  /**
   * Where a program would be found on a host: a fixed `sh` script searches the request's PATH for an
   * executable file (as a run's `env` would; shell builtins do not count), the name passed as a
   * positional parameter, never parsed as shell text. Which host answers is the pool's choice, as
   * for a run; hosts are expected to be alike.
   */
  async which(command: string, where: LookupContext): Promise<ProgramLookup> {
    let result: ExecutionResult;
    try {
      result = await this.execute({
        command: 'sh',
        args: ['-c', WHICH_SCRIPT, 'sh', command],
        cwd: where.cwd,
        env: where.env,
        timeoutMs: LOOKUP_TIMEOUT_MS,
        maxOutputBytes: 4096,
        ...(where.signal ? { signal: where.signal } : {}),
      });
    } catch (error) {
      return { status: 'unknown', reason: error instanceof Error ? error.message : 'the ssh lookup failed' };
    }
    const path = result.stdout.trim().split('\n')[0] ?? '';
    if (result.exitCode === 0 && path.startsWith('/')) return { status: 'found', path };
    if (result.exitCode === 0 || result.exitCode === 1 || result.exitCode === 127) return { status: 'missing' };
    return { status: 'unknown', reason: result.timedOut ? 'the ssh lookup timed out' : `the ssh lookup ended with ${result.exitCode ?? result.signal}` };
  }

  async health(signal?: AbortSignal): Promise<ExecutorHealth> {
    const unknown = this.hosts.filter((host) => host.status === 'unknown');
    if (unknown.length > 0 && !signal?.aborted) await Promise.all(unknown.map((host) => host.probe(this.probeTimeoutMs)));
    const up = this.hosts.filter((host) => host.status !== 'down').length;
    return {
      backend: this.backend,
      status: up === this.hosts.length ? 'up' : up === 0 ? 'down' : 'degraded',
      details: {
        strategy: this.options.strategy,
        hosts_up: up,
        max_processes: "RLIMIT_NPROC via the host's prlimit: counts every process of the ssh user there, and the kernel ignores it for root",
        max_memory: "RLIMIT_AS via the host's prlimit",
        max_cpu: 'not enforced on ssh',
        hosts: this.hosts.map((host) => ({
          host: host.name,
          status: host.status,
          busy: host.busy,
          max_concurrent: host.config.maxConcurrent,
          runs: host.runs,
          ...(host.lastError ? { last_error: host.lastError } : {}),
        })),
      },
    };
  }

  async shutdown(): Promise<void> {
    this.stopped = true;
    clearInterval(this.probeTimer);
    const all = [...this.running];
    for (const run of all) run.cancelNow();
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, this.shutdownWaitMs);
    });
    await Promise.race([Promise.allSettled(all.map((run) => run.result)), deadline]);
    clearTimeout(timer);
    // The sweeps just sent need their connection: end it once they are done (each is bounded).
    await Promise.all(this.sweeps);
    for (const host of this.hosts) host.close();
  }

  private async watch(host: SshHost, run: SshRun): Promise<ExecutionResult> {
    this.running.add(run);
    try {
      return await run.result;
    } catch (error) {
      host.failed(error);
      throw error;
    } finally {
      this.running.delete(run);
    }
  }

  private sweep(host: SshHost, marker: string): void {
    const done = host.fireAndForget(sweepCommandLine(marker), this.probeTimeoutMs);
    this.sweeps.add(done);
    void done.then(() => this.sweeps.delete(done));
  }

  /** Hosts in the order to try: reachable ones by strategy; down ones only when nothing is reachable. */
  private candidates(): SshHost[] {
    const reachable = this.hosts.filter((host) => host.status !== 'down');
    if (reachable.length > 0 && !reachable.some((host) => host.hasRoom)) {
      throw busy(reachable);
    }
    const pool = reachable.length > 0 ? reachable : [...this.hosts];
    const { order, next } = pickOrder(this.options.strategy, pool, this.hosts, this.cursor);
    this.cursor = next;
    return order;
  }

  private async probeAll(): Promise<void> {
    if (this.stopped) return;
    await Promise.all(this.hosts.map((host) => host.probe(this.probeTimeoutMs)));
  }
}

function busy(hosts: readonly SshHost[]): SshExecutorError {
  const load = hosts.map((host) => `${host.name} ${host.busy}/${host.config.maxConcurrent}`).join(', ');
  return new SshExecutorError('ssh.busy', `every reachable ssh host is at its max_concurrent (${load}); retry shortly`);
}


/** One host's error as is; several: their common code if they share one, else `ssh.unavailable`. */
function combined(failures: readonly SshExecutorError[]): SshExecutorError {
  if (failures.length === 1) return failures[0]!;
  const code = failures.every((failure) => failure.code === failures[0]!.code) ? failures[0]!.code : 'ssh.unavailable';
  return new SshExecutorError(code, `no ssh host could start the command: ${failures.map((failure) => failure.message).join('; ')}`, { cause: failures[0] });
}
