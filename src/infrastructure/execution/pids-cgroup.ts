import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isAlive } from '../system/pid-file.js';
import { findSystemProgram } from './process-isolation.js';

/**
 * max_processes for native runs where RLIMIT_NPROC cannot do it: root is exempt from that rlimit,
 * and it counts every process of the user, not the run's. A pids cgroup per run counts exactly the
 * run's tasks (processes and threads, its two sandbox wrappers included) and makes the fork past
 * `pids.max` fail, whoever the user is: a fork bomb stops at the limit instead of filling the machine.
 *
 * The run enters its cgroup before anything of it can fork: the spawned child is a fixed POSIX sh
 * script, `echo $$ >"$0" && exec "$@"`, given the cgroup's procs file and the run's argv as its
 * positional parameters. The shell never parses the argv (`"$@"` passes each word through), so
 * this adds no shell semantics to the request, and the exec keeps the pid that joined the group.
 * (Writing the child's pid from here after spawn would race its first fork.)
 *
 * Needs a writable pids controller: cgroup v1's `pids` hierarchy, or cgroup v2 where this server's
 * cgroup may enable `pids` for its children (delegated, e.g. systemd `Delegate=yes`). Found and
 * proved once, on first need; where it is missing, runs fall back to the rlimit and health says so.
 */
export interface PidsCgroups {
  /** For health: enforced how, or why not. */
  readonly report: string;
  readonly available: boolean;
  /** A cgroup for one run capped at `maxProcesses` tasks; undefined where there is no controller. */
  open(maxProcesses: number): RunCgroup | undefined;
  /** Removes this server's cgroups (at shutdown; runs are over). */
  close(): void;
}

export interface RunCgroup {
  /** `argv` wrapped so the run joins this cgroup first. */
  wrap(file: string, args: readonly string[]): { file: string; args: string[] };
  /** Kills whatever is left in it, then removes it (retrying while the kernel reaps the last tasks). */
  release(): void;
}

const ENTER = 'echo $$ >"$0" && exec "$@"';
const RELEASE_TRIES = 40;
const RELEASE_INTERVAL_MS = 50;

interface Controller {
  readonly version: 1 | 2;
  /** This server's own cgroup directory in the pids hierarchy. */
  readonly dir: string;
}

export function unavailablePidsCgroups(reason: string): PidsCgroups {
  return { available: false, report: `no pids cgroup: ${reason}`, open: () => undefined, close: () => undefined };
}

/** Finds the controller, creates `tfo-mcp-<pid>` under this server's cgroup and proves a fork past pids.max fails. */
export function probePidsCgroups(options: { readonly platform?: NodeJS.Platform } = {}): PidsCgroups {
  if ((options.platform ?? process.platform) !== 'linux') return unavailablePidsCgroups('cgroups need Linux');
  const sh = findSystemProgram('sh');
  const truth = findSystemProgram('true');
  if (!sh || !truth) return unavailablePidsCgroups('sh or true not found in the system directories');
  const controller = findController();
  if (typeof controller === 'string') return unavailablePidsCgroups(controller);
  sweepStale(controller.dir);
  const base = join(controller.dir, `tfo-mcp-${process.pid}`);
  try {
    mkdirSync(base, { recursive: true });
    if (controller.version === 2) writeFileSync(join(base, 'cgroup.subtree_control'), '+pids');
  } catch (error) {
    removeQuietly(base);
    return unavailablePidsCgroups(`cannot create ${base} (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  const cgroups = new RunCgroups(base, sh, controller.version);
  const problem = cgroups.prove(truth);
  if (problem) {
    cgroups.close();
    return unavailablePidsCgroups(problem);
  }
  return cgroups;
}

class RunCgroups implements PidsCgroups {
  readonly available = true;
  readonly report: string;
  private sequence = 0;

  constructor(
    private readonly base: string,
    private readonly sh: string,
    version: 1 | 2,
  ) {
    this.report = `enforced: a pids cgroup (v${version}) per run, counting its processes and threads (two of them are the sandbox's)`;
  }

  open(maxProcesses: number): RunCgroup | undefined {
    const dir = join(this.base, `run-${(this.sequence += 1)}`);
    try {
      mkdirSync(dir);
      writeFileSync(join(dir, 'pids.max'), String(Math.max(1, Math.floor(maxProcesses))));
    } catch {
      removeQuietly(dir);
      return undefined;
    }
    const procs = join(dir, 'cgroup.procs');
    return {
      wrap: (file, args) => ({ file: this.sh, args: ['-c', ENTER, procs, file, ...args] }),
      release: () => release(dir, RELEASE_TRIES),
    };
  }

  close(): void {
    for (const entry of listDir(this.base)) if (entry.startsWith('run-')) killAndRemove(join(this.base, entry));
    removeQuietly(this.base);
  }

  /** With pids.max 1, the run's sh may join but not fork: `sh -c true` must fail, and a plain run must pass. */
  prove(truth: string): string | undefined {
    const plain = this.open(8);
    const starved = this.open(1);
    if (!plain || !starved) return `cannot create a run cgroup under ${this.base}`;
    try {
      const joined = plainRun(plain.wrap(truth, []));
      if (joined !== 0) return `a run could not join its cgroup (exit ${joined})`;
      const forked = plainRun(starved.wrap(this.sh, ['-c', `${truth}; ${truth}`]));
      if (forked === 0) return 'pids.max did not stop a fork';
      return undefined;
    } finally {
      plain.release();
      starved.release();
    }
  }
}

function plainRun(command: { file: string; args: string[] }): number | null {
  const run = spawnSync(command.file, command.args, { stdio: 'ignore', timeout: 5000, env: {} });
  return run.error ? -1 : run.status;
}

function findController(): Controller | string {
  let own: string;
  let mounts: string;
  try {
    own = readFileSync('/proc/self/cgroup', 'utf8');
    mounts = readFileSync('/proc/self/mountinfo', 'utf8');
  } catch {
    return '/proc/self/cgroup or /proc/self/mountinfo unreadable';
  }
  const v1Path = own.split('\n').map((line) => line.split(':')).find((parts) => parts.length >= 3 && parts[1].split(',').includes('pids'))?.slice(2).join(':');
  const v2Path = own.split('\n').map((line) => line.split(':')).find((parts) => parts.length >= 3 && parts[0] === '0' && parts[1] === '')?.slice(2).join(':');
  for (const line of mounts.split('\n')) {
    const [left, right] = line.split(' - ');
    if (!left || !right) continue;
    const fields = left.split(' ');
    const [fsType, , superOptions] = right.split(' ');
    const root = fields[3];
    const mountPoint = fields[4];
    if (fsType === 'cgroup' && v1Path !== undefined && superOptions?.split(',').includes('pids')) {
      return { version: 1, dir: join(mountPoint, relativeTo(root, v1Path)) };
    }
    if (fsType === 'cgroup2' && v1Path === undefined && v2Path !== undefined) {
      const dir = join(mountPoint, relativeTo(root, v2Path));
      const controllers = readQuietly(join(dir, 'cgroup.controllers'));
      if (controllers?.split(/\s+/).includes('pids')) return { version: 2, dir };
      return `the cgroup v2 group ${dir} has no pids controller delegated to it`;
    }
  }
  return 'no pids cgroup hierarchy is mounted';
}

function relativeTo(root: string, path: string): string {
  if (root === '/' || !path.startsWith(root)) return path;
  return path.slice(root.length) || '/';
}

/** Groups left by servers that died without cleaning up (their pid is gone). */
function sweepStale(dir: string): void {
  for (const entry of listDir(dir)) {
    const match = /^tfo-mcp-(\d+)$/.exec(entry);
    if (!match || Number(match[1]) === process.pid || isAlive(Number(match[1]))) continue;
    const base = join(dir, entry);
    for (const run of listDir(base)) if (run.startsWith('run-')) killAndRemove(join(base, run));
    removeQuietly(base);
  }
}

function release(dir: string, triesLeft: number): void {
  if (killAndRemove(dir) || triesLeft <= 1) return;
  setTimeout(() => release(dir, triesLeft - 1), RELEASE_INTERVAL_MS).unref();
}

/** SIGKILLs every task left in `dir` and removes it; false while the kernel still holds tasks there. */
function killAndRemove(dir: string): boolean {
  for (const pid of (readQuietly(join(dir, 'cgroup.procs')) ?? '').split('\n').filter(Boolean)) {
    try {
      process.kill(Number(pid), 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  return removeQuietly(dir);
}

function removeQuietly(dir: string): boolean {
  try {
    rmdirSync(dir);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT';
  }
}

function readQuietly(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

function listDir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
