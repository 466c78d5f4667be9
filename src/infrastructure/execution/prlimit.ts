import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { ExecutionLimits } from '../../application/ports/executor.js';
import { findSystemProgram, type ProcessIsolation } from './process-isolation.js';

/**
 * What the native backend can enforce of execution.security's resource limits, measured once at
 * start by running the sandbox with lowered limits: what the kernel does for this user here, not
 * what the manual promises.
 */
export interface RlimitSupport {
  /** Absolute path of util-linux `prlimit` when it lowered a limit in the probe; absent: runs carry no rlimits. */
  readonly prlimit?: string;
  /** RLIMIT_AS lands on the program (max_memory). */
  readonly memory: boolean;
  /** A fork under RLIMIT_NPROC fails here (max_processes); root is exempt from it. */
  readonly processes: boolean;
  /** The server's hard limits: without CAP_SYS_RESOURCE nothing may go above them, and a request at or above one is already met. */
  readonly hard: { readonly memory: number; readonly processes: number };
  /** One line per limit for health(): enforced how, or not and why. */
  readonly report: { readonly max_memory: string; readonly max_processes: string; readonly max_cpu: string };
}

export interface ProbeRlimitsOptions {
  /** Where prlimit is; `null` means "not installed" (tests of the degraded path). Default: found in the system directories. */
  readonly prlimitPath?: string | null;
  readonly asRoot?: boolean;
}

const PROBE_MEMORY = 1024 ** 3;
/** `timeout` exits 125 when it cannot fork the command it was given. */
const TIMEOUT_CANNOT_FORK = 125;
const NO_CPU_SHARE =
  'not enforced on native: no rlimit caps a CPU share (RLIMIT_CPU counts CPU-seconds, which the timeout already bounds); the docker backend enforces cpus';

/** The support to use where prlimit cannot run at all: every run goes without rlimits, and health says so. */
export function noRlimits(reason: string): RlimitSupport {
  const why = `not enforced: ${reason}`;
  return { memory: false, processes: false, hard: serverHardLimits(), report: { max_memory: why, max_processes: why, max_cpu: NO_CPU_SHARE } };
}

/**
 * Runs two trivial programs through `isolation` (so the namespace and the user are those of a real
 * run): `prlimit --as=1GiB -- cat /proc/self/limits` proves a lowered limit lands, and
 * `prlimit --nproc=1 -- timeout 5 true` shows whether a fork beyond RLIMIT_NPROC is refused.
 */
export function probeRlimits(isolation: ProcessIsolation, options: ProbeRlimitsOptions = {}): RlimitSupport {
  const prlimit = options.prlimitPath === undefined ? findSystemProgram('prlimit') : (options.prlimitPath ?? undefined);
  const [cat, timeout, truth] = ['cat', 'timeout', 'true'].map(findSystemProgram);
  if (!prlimit) return noRlimits('prlimit (util-linux) not found');
  if (!cat || !timeout || !truth) return noRlimits('cat, timeout or true (coreutils) not found for the probe');
  const hard = serverHardLimits();
  const memoryProbe = Math.min(PROBE_MEMORY, hard.memory);
  const landed = probe(isolation, prlimit, [`--as=${memoryProbe}`, '--', cat, '/proc/self/limits']);
  if (landed.problem) return noRlimits(`prlimit failed in the probe (${landed.problem})`);
  if (limitOf(landed.stdout, 'Max address space') !== memoryProbe) return noRlimits('prlimit ran but the lowered RLIMIT_AS did not reach the program');
  const fork = probe(isolation, prlimit, ['--nproc=1', '--', timeout, '5', truth]);
  const processes = fork.status === TIMEOUT_CANNOT_FORK;
  const asRoot = options.asRoot ?? process.geteuid?.() === 0;
  return {
    prlimit,
    memory: true,
    processes,
    hard,
    report: {
      max_memory: 'enforced: RLIMIT_AS (address space, so runtimes that reserve much, such as node, need about 1 GiB to start) via prlimit',
      max_processes: processes
        ? `enforced: RLIMIT_NPROC via prlimit${isolation.contained && !asRoot ? '' : ", counting every process of the server's user, not only the run's"}`
        : `not enforced: ${asRoot ? 'RLIMIT_NPROC is ignored for root (uid 0)' : 'RLIMIT_NPROC did not stop a fork here'}; a fork under --nproc=1 ${fork.problem ? `ended with ${fork.problem}` : 'succeeded'}`,
      max_cpu: NO_CPU_SHARE,
    },
  };
}

/**
 * The prlimit flags for one run: only limits this machine enforces, and only below the server's
 * hard limits (raising one needs CAP_SYS_RESOURCE and would fail the run; the hard limit already holds).
 */
export function rlimitFlags(support: RlimitSupport, limits: ExecutionLimits | undefined): string[] {
  if (!support.prlimit || !limits) return [];
  const flags: string[] = [];
  const memory = limits.maxMemoryBytes === undefined ? undefined : Math.floor(limits.maxMemoryBytes);
  if (support.memory && memory !== undefined && memory > 0 && memory < support.hard.memory) flags.push(`--as=${memory}`);
  const processes = limits.maxProcesses === undefined ? undefined : Math.floor(limits.maxProcesses);
  if (support.processes && processes !== undefined && processes > 0 && processes < support.hard.processes) flags.push(`--nproc=${processes}`);
  return flags;
}

function probe(isolation: ProcessIsolation, prlimit: string, args: string[]): { status: number | null; stdout: string; problem?: string } {
  const { file, args: wrapped } = isolation.wrap(prlimit, args);
  const run = spawnSync(file, wrapped, { stdio: ['ignore', 'pipe', 'pipe'], timeout: 5000, env: {} });
  const stdout = run.stdout?.toString('utf8') ?? '';
  if (run.status === 0) return { status: 0, stdout };
  const problem = run.error?.message ?? (run.stderr?.toString('utf8').trim() || `exit ${run.status ?? run.signal}`);
  return { status: run.status, stdout, problem };
}

/** The hard column of one line of /proc/<pid>/limits; unlimited is Infinity. */
function limitOf(limits: string, name: string): number | undefined {
  const line = limits.split('\n').find((l) => l.startsWith(name));
  const hard = line?.slice(name.length).trim().split(/\s+/)[1];
  if (hard === undefined) return undefined;
  return hard === 'unlimited' ? Number.POSITIVE_INFINITY : Number(hard);
}

function serverHardLimits(): RlimitSupport['hard'] {
  let limits = '';
  try {
    limits = readFileSync('/proc/self/limits', 'utf8');
  } catch {
    // Not Linux: nothing is known, nothing is dropped.
  }
  return {
    memory: limitOf(limits, 'Max address space') ?? Number.POSITIVE_INFINITY,
    processes: limitOf(limits, 'Max processes') ?? Number.POSITIVE_INFINITY,
  };
}
