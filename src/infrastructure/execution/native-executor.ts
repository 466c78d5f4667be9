import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import type { ExecutionRequest, ExecutionResult, Executor, ExecutorHealth, LookupContext, ProgramLookup } from '../../application/ports/executor.js';
import { EXECUTION_MARKER } from './marked-process-sweep.js';
import { NativeRun } from './native-run.js';
import { chooseIsolation, type ProcessIsolation } from './process-isolation.js';
import { probePidsCgroups, type PidsCgroups, type RunCgroup } from './pids-cgroup.js';
import { probeRlimits, rlimitFlags, type RlimitSupport } from './prlimit.js';
import { resolveProgram } from './program-path.js';
import { cancelledRun } from './execution-results.js';

export interface NativeExecutorOptions {
  /** Time between SIGTERM and SIGKILL when a run times out or is cancelled. */
  readonly killGraceMs?: number;
  /** How long shutdown() waits for killed runs to exit. */
  readonly shutdownWaitMs?: number;
  /**
   * How long a run that exited or was killed waits for its output pipes to close before it answers
   * anyway: a process that escaped the run may hold them open for ever.
   */
  readonly pipeGraceMs?: number;
  /** Defaults to the strongest isolation this machine offers (`chooseIsolation('auto')`). */
  readonly isolation?: ProcessIsolation;
  /** What max_memory / max_processes can become here; defaults to `probeRlimits(isolation)`, run once when first needed. */
  readonly rlimits?: RlimitSupport;
  /** Per-run pids cgroups for max_processes; defaults to `probePidsCgroups()`, run once when first needed. */
  readonly pidsCgroups?: PidsCgroups;
}

/**
 * Runs programs as child processes of this server, each wrapped by its `ProcessIsolation`: in a
 * PID namespace of its own where available (the program cannot see the server, and the whole tree
 * dies with the run), otherwise as a process group plus a sweep of marked processes. Timeouts,
 * cancellation and shutdown signal the whole group; the answer comes at the deadline whatever the
 * pipes do. The child's environment is exactly `request.env` (plus the sweep marker when there is
 * no namespace): nothing is inherited. A run with resource limits starts through `prlimit`, inside
 * the sandbox and right before the program, so only the program and its children carry them; the
 * limits this machine cannot enforce are left off and named in `health()`.
 *
 * A program that cannot be started (ENOENT, EACCES…) rejects with the errno error, so callers can
 * tell "not found" from "ran and failed". Everything after a successful spawn resolves.
 */
export class NativeExecutor implements Executor {
  readonly backend = 'native';
  readonly isolation: ProcessIsolation;
  private probed: RlimitSupport | undefined;
  private cgroups: PidsCgroups | undefined;
  private readonly running = new Set<NativeRun>();
  private readonly killGraceMs: number;
  private readonly shutdownWaitMs: number;
  private readonly pipeGraceMs: number;
  private stopped = false;

  constructor(options: NativeExecutorOptions = {}) {
    this.killGraceMs = options.killGraceMs ?? 1000;
    this.shutdownWaitMs = options.shutdownWaitMs ?? 3000;
    this.pipeGraceMs = options.pipeGraceMs ?? 500;
    this.isolation = options.isolation ?? chooseIsolation('auto');
    this.probed = options.rlimits;
    this.cgroups = options.pidsCgroups;
  }

  /** Measured at start, so /ready stays cheap: how runs are isolated and which limits hold. */
  async health(): Promise<ExecutorHealth> {
    return {
      backend: this.backend,
      status: this.isolation.contained ? 'up' : 'degraded',
      details: {
        isolation: this.isolation.description,
        ...this.rlimits.report,
        ...(this.pidsCgroups.available ? { max_processes: this.pidsCgroups.report } : { max_processes_cgroup: this.pidsCgroups.report }),
      },
    };
  }

  /**
   * What this machine lets a run's limits become. Probed on first need (a run with limits, or
   * health), not at construction: the probe spawns two short processes, which the server's cold
   * start (and every run without limits) should not wait for.
   */
  get rlimits(): RlimitSupport {
    return (this.probed ??= probeRlimits(this.isolation));
  }

  /** Where max_processes is held by a pids cgroup per run (see pids-cgroup.ts); probed on first need like the rlimits. */
  get pidsCgroups(): PidsCgroups {
    return (this.cgroups ??= probePidsCgroups());
  }

  execute(request: ExecutionRequest): Promise<ExecutionResult> {
    if (this.stopped || request.signal?.aborted) return Promise.resolve(cancelledRun());
    return new Promise((resolve, reject) => this.run(request, resolve, reject));
  }

  /** The same resolution a run makes before it spawns (program-path.ts), so the answer cannot drift from execute's. */
  async which(command: string, where: LookupContext): Promise<ProgramLookup> {
    try {
      return { status: 'found', path: resolveProgram(command, where.env, where.cwd) };
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EACCES') return { status: 'not_executable' };
      if (code === 'ENOENT') return { status: 'missing' };
      throw error;
    }
  }

  async shutdown(): Promise<void> {
    this.stopped = true;
    const all = [...this.running];
    for (const run of all) run.cancelNow();
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, this.shutdownWaitMs);
    });
    await Promise.race([Promise.all(all.map((run) => run.result)), deadline]);
    clearTimeout(timer);
    this.cgroups?.close();
  }

  private run(request: ExecutionRequest, resolve: (result: ExecutionResult) => void, reject: (error: Error) => void): void {
    const marker = this.isolation.contained ? undefined : randomUUID();
    const cgroup = request.limits?.maxProcesses !== undefined ? this.pidsCgroups.open(request.limits.maxProcesses) : undefined;
    let child: ChildProcess;
    try {
      child = this.spawn(request, marker, cgroup);
    } catch (error) {
      cgroup?.release();
      reject(error as Error);
      return;
    }
    const run = new NativeRun(child, request, {
      killGraceMs: this.killGraceMs,
      pipeGraceMs: this.pipeGraceMs,
      contained: this.isolation.contained,
      marker,
    });
    this.running.add(run);
    const done = (): void => {
      this.running.delete(run);
      cgroup?.release();
    };
    child.once('error', (error) => {
      if (child.pid !== undefined) return;
      run.abandon();
      done();
      reject(error);
    });
    void run.result.then((result) => {
      done();
      resolve(result);
    });
  }

  private spawn(request: ExecutionRequest, marker: string | undefined, cgroup: RunCgroup | undefined): ChildProcess {
    const env: Record<string, string> = { ...(request.env ?? {}), ...(marker ? { [EXECUTION_MARKER]: marker } : {}) };
    const [program, argv] = request.shell
      ? ['/bin/sh', ['-c', request.command, 'sh', ...request.args]]
      : [request.command, [...request.args]];
    const isolated = this.command(program, argv, env, request, cgroup !== undefined);
    const { file, args } = cgroup ? cgroup.wrap(isolated.file, isolated.args) : isolated;
    return spawn(file, args, {
      cwd: request.cwd,
      env,
      detached: true,
      shell: false,
      stdio: ['pipe', 'pipe', 'pipe'],
      windowsHide: true,
    });
  }

  /**
   * [cgroup entry] isolation( [prlimit FLAGS --] PROGRAM ARGS ): every wrapper takes the next one's
   * argv after `--` or as its operand, so the caller's arguments reach the program byte for byte.
   * The program is resolved first so a missing one stays a spawn error, not a wrapper's exit code.
   * Where a pids cgroup holds max_processes, RLIMIT_NPROC is left off (it would count the user's
   * other processes too).
   */
  private command(program: string, argv: string[], env: Record<string, string>, request: ExecutionRequest, inCgroup: boolean): { file: string; args: string[] } {
    const limits = inCgroup && request.limits ? { ...request.limits, maxProcesses: undefined } : request.limits;
    const wanted = limits !== undefined && (limits.maxMemoryBytes !== undefined || limits.maxProcesses !== undefined);
    const flags = wanted ? rlimitFlags(this.rlimits, limits) : [];
    if (!this.isolation.contained && flags.length === 0 && !inCgroup) return { file: program, args: argv };
    const resolved = resolveProgram(program, env, request.cwd);
    if (flags.length === 0 || !this.rlimits.prlimit) return this.isolation.wrap(resolved, argv);
    return this.isolation.wrap(this.rlimits.prlimit, [...flags, '--', resolved, ...argv]);
  }
}
