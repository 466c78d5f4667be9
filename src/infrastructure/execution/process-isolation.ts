import { spawnSync } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { join } from 'node:path';
import type { ExecutionIsolation } from '../../application/ports/executor.js';

/** `execution.security.isolation`: what the operator asked for. */
export type IsolationPreference = 'auto' | 'namespace' | 'process_group';

/** How each native run is separated from the server: contained means its own PID and mount namespace, a private /proc and no capabilities. */
export interface ProcessIsolation extends ExecutionIsolation {
  /** The argv that runs `program` (an absolute path) inside the sandbox. */
  wrap(program: string, args: readonly string[]): { file: string; args: string[] };
}

export class IsolationUnavailableError extends Error {
  readonly code = 'ISOLATION_UNAVAILABLE';
}

const SYSTEM_DIRS = ['/usr/bin', '/bin', '/usr/sbin', '/sbin', '/usr/local/bin'];
const DEGRADED = "process group only (children can see the server's environment)";

export function processGroupOnly(reason: string): ProcessIsolation {
  return {
    contained: false,
    description: `${DEGRADED}: ${reason}`,
    wrap: (program, args) => ({ file: program, args: [...args] }),
  };
}

/**
 * The sandbox, all util-linux and coreutils, resolved once:
 * - `setpriv --pdeathsig KILL`: the wrapper dies with the server, even on SIGKILL;
 * - `unshare --pid --fork --kill-child --mount-proc`: a PID namespace whose /proc shows only the
 *   run's own processes; when its first process dies the kernel kills every other one in it, so
 *   `setsid -f`, `nohup` and double forks cannot outlive the run. Without root, a user namespace
 *   mapping the current user to itself provides the right to create it;
 * - `setpriv --bounding-set=-all …`: no capabilities, so the run cannot unmount that /proc to
 *   reach the server's, nor regain them through set-user-ID programs;
 * - `timeout --foreground 0` as the namespace's init: PID 1 ignores signals it has no handler
 *   for, while timeout forwards SIGTERM to the program, so a timeout still asks politely first.
 */
export function namespaceSandbox(tools: SandboxTools, asRoot: boolean): ProcessIsolation {
  const prefix = [
    '--pdeathsig', 'KILL', '--',
    tools.unshare, ...(asRoot ? [] : ['--user', '--map-current-user']),
    '--pid', '--fork', '--kill-child', '--mount-proc', '--',
    tools.setpriv, '--bounding-set=-all', '--inh-caps=-all', '--ambient-caps=-all', '--no-new-privs', '--',
    tools.timeout, '--foreground', '0',
  ];
  return {
    contained: true,
    description: asRoot ? 'pid namespace, no capabilities' : 'pid and user namespace, no capabilities',
    wrap: (program, args) => ({ file: tools.setpriv, args: [...prefix, program, ...args] }),
  };
}

export interface SandboxTools {
  readonly setpriv: string;
  readonly unshare: string;
  readonly timeout: string;
}

export interface ChooseIsolationOptions {
  readonly platform?: NodeJS.Platform;
  readonly asRoot?: boolean;
  readonly warn?: (message: string, fields?: Record<string, unknown>) => void;
}

/**
 * Picks the strongest isolation this machine offers, proving the sandbox by running it once.
 * `namespace` refuses to start without it; `auto` falls back to process groups and says so.
 */
export function chooseIsolation(preference: IsolationPreference, options: ChooseIsolationOptions = {}): ProcessIsolation {
  if (preference === 'process_group') return processGroupOnly('execution.security.isolation is process_group');
  const asRoot = options.asRoot ?? process.geteuid?.() === 0;
  const problem = sandboxProblem(options.platform ?? process.platform, asRoot);
  if (typeof problem !== 'string') return problem;
  if (preference === 'namespace') {
    throw new IsolationUnavailableError(`execution.security.isolation is namespace but ${problem}`);
  }
  options.warn?.('commands run without a PID namespace: they can see the server and its environment', { reason: problem, fix: 'run as root, or enable unprivileged user namespaces' });
  return processGroupOnly(problem);
}

function sandboxProblem(platform: NodeJS.Platform, asRoot: boolean): ProcessIsolation | string {
  if (platform !== 'linux') return `namespaces need Linux, not ${platform}`;
  const [setpriv, unshare, timeout, probe] = ['setpriv', 'unshare', 'timeout', 'true'].map(findSystemProgram);
  if (!setpriv || !unshare || !timeout || !probe) return 'setpriv, unshare (util-linux) or timeout (coreutils) not found';
  const sandbox = namespaceSandbox({ setpriv, unshare, timeout }, asRoot);
  const { file, args } = sandbox.wrap(probe, []);
  const run = spawnSync(file, args, { stdio: ['ignore', 'ignore', 'pipe'], timeout: 5000, env: {} });
  if (run.status === 0) return sandbox;
  const why = run.error?.message ?? (run.stderr.toString('utf8').trim() || `exit ${run.status ?? run.signal}`);
  return `creating a ${asRoot ? 'pid' : 'user and pid'} namespace failed (${why})`;
}

/** `name` in the system directories only: the sandbox and its probes never follow the server's PATH. */
export function findSystemProgram(name: string): string | undefined {
  for (const dir of SYSTEM_DIRS) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // Not in this directory.
    }
  }
  return undefined;
}
