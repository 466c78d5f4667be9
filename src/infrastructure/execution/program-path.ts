import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, resolve } from 'node:path';

/** What execvp searches when the environment has no PATH. */
const DEFAULT_PATH = '/usr/bin:/bin';

/**
 * Finds the file `command` names the way execvp would (PATH from the child's environment, names
 * with a slash relative to `cwd`). A sandboxed run starts a wrapper first, so "not found" must be
 * decided here to stay a spawn error (ENOENT, EACCES) rather than an exit code from the wrapper.
 */
export function resolveProgram(command: string, env: Readonly<Record<string, string>>, cwd: string): string {
  if (command.includes('/')) {
    const path = resolve(cwd, command);
    const problem = unusable(path);
    if (problem) throw spawnError(command, problem);
    return path;
  }
  let denied = false;
  for (const dir of (env['PATH'] ?? DEFAULT_PATH).split(delimiter)) {
    const path = resolve(cwd, dir, command);
    const problem = unusable(path);
    if (!problem) return path;
    denied ||= problem === 'EACCES';
  }
  throw spawnError(command, denied ? 'EACCES' : 'ENOENT');
}

function unusable(path: string): 'ENOENT' | 'EACCES' | undefined {
  try {
    if (!statSync(path).isFile()) return 'EACCES';
  } catch {
    return 'ENOENT';
  }
  try {
    accessSync(path, constants.X_OK);
    return undefined;
  } catch {
    return 'EACCES';
  }
}

function spawnError(command: string, code: 'ENOENT' | 'EACCES'): NodeJS.ErrnoException {
  return Object.assign(new Error(`spawn ${command} ${code}`), { code, errno: code === 'ENOENT' ? -2 : -13, syscall: `spawn ${command}`, path: command });
}
