import type { ExecutionRequest } from '../../../application/ports/executor.js';
import { EXECUTION_MARKER } from '../marked-process-sweep.js';
import { SshExecutorError } from './ssh-errors.js';

const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * sshd hands the exec request to the user's login shell as one string, so argv must be rebuilt as a
 * command line. Every word is single-quoted (inside single quotes a POSIX shell interprets nothing;
 * a quote itself is closed, escaped and reopened), so no argument can become shell syntax.
 */
export function shellQuote(word: string): string {
  if (word.includes('\0')) throw invalid('an argument or variable contains a NUL byte, which no command line can carry');
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * The remote command line of one run:
 *
 *   cd -- '<cwd>' && exec env '<MARK>' timeout -s KILL <backstop> [prlimit --nproc=N --as=B --] env -i -- 'K=V'… '<MARK>' '<program>' '<arg>'…
 *
 * - `env -i`: the program's environment is exactly `request.env` plus the run marker, never the login
 *   environment (sshd's AcceptEnv would silently drop most variables, so the ssh `env` request is not used).
 * - sshd already makes the session's shell a session and process-group leader; `exec` keeps that pid, so
 *   `timeout`, the program and its children share one process group that a second exec can kill.
 * - `timeout` is a backstop only: should the connection drop, the run still dies (with its group) shortly
 *   after its deadline. Within the connection's life the executor kills first, through `sweepCommandLine`.
 * - The marker is in `timeout`'s environment too, so the sweep always finds the group leader, even when
 *   the program clears its own environment.
 * - `prlimit` (util-linux; the shell's `ulimit` differs between bash and dash) lowers max_processes
 *   (RLIMIT_NPROC, which counts every process of the ssh user on that host, and which the kernel
 *   ignores for root) and max_memory (RLIMIT_AS) for the program only, not for the backstop.
 */
export function remoteCommandLine(request: ExecutionRequest, marker: string, backstopMs: number): string {
  const [program, argv] = request.shell ? ['/bin/sh', ['-c', request.command, 'sh', ...request.args]] : [request.command, request.args];
  // env(1) reads a leading NAME=VALUE word as an assignment, so such a program name cannot be expressed.
  if (program.includes('=')) throw invalid('the program name contains "=", which env(1) would read as a variable assignment');
  const mark = shellQuote(`${EXECUTION_MARKER}=${marker}`);
  const variables = Object.entries(request.env ?? {}).map(([name, value]) => {
    if (!VARIABLE_NAME.test(name)) throw invalid(`environment variable name ${JSON.stringify(name)} is not a portable shell name`);
    return shellQuote(`${name}=${value}`);
  });
  const backstop = (Math.max(backstopMs, 1) / 1000).toFixed(3);
  const limits = limitFlags(request);
  return [
    'cd -- ' + shellQuote(request.cwd) + ' &&',
    `exec env ${mark} timeout -s KILL ${backstop}`,
    ...(limits.length > 0 ? ['prlimit', ...limits, '--'] : []),
    'env -i --',
    ...variables,
    mark,
    shellQuote(program),
    ...argv.map(shellQuote),
  ].join(' ');
}

/**
 * Kills a run's remote processes: every process of this user whose environment carries the marker, and
 * the whole process group of each (which also takes members that cleared their environment). `setsid`
 * or double-forked children keep the marker, so they go too, unless they also cleared their environment:
 * the same best effort as the native backend's marker sweep. One grep over /proc, no per-process fork.
 * Needs GNU grep (-z) and procps on the host.
 */
export function sweepCommandLine(marker: string): string {
  const needle = shellQuote(`${EXECUTION_MARKER}=${marker}`);
  return [
    `for f in $(grep -lsxzF -e ${needle} /proc/[0-9]*/environ); do`,
    'p=${f#/proc/}; p=${p%/environ};',
    `g=$(ps -o pgid= -p "$p" | tr -d ' ');`,
    '[ -n "$g" ] && kill -s KILL -- "-$g";',
    'kill -s KILL "$p";',
    'done 2>/dev/null; true',
  ].join(' ');
}

/** Whole numbers only: they are written into the command line unquoted. */
function limitFlags(request: ExecutionRequest): string[] {
  const flags: string[] = [];
  const processes = request.limits?.maxProcesses;
  if (processes !== undefined && Number.isFinite(processes) && processes >= 1) flags.push(`--nproc=${Math.floor(processes)}`);
  const memory = request.limits?.maxMemoryBytes;
  if (memory !== undefined && Number.isFinite(memory) && memory >= 1) flags.push(`--as=${Math.floor(memory)}`);
  return flags;
}

function invalid(message: string): SshExecutorError {
  return new SshExecutorError('ssh.invalid_request', message);
}
