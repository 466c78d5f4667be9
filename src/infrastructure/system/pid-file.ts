import { chmodSync, closeSync, openSync, readFileSync, readlinkSync, realpathSync, unlinkSync, writeSync } from 'node:fs';
import path from 'node:path';

/** Why a pid file cannot be claimed; main.ts turns it into exit code 1. */
export class PidFileError extends Error {
  override readonly name = 'PidFileError';
}

/** What `tfo-mcp config reload` found, and did. */
export type ReloadSignal =
  | { readonly kind: 'sent'; readonly pid: number }
  | { readonly kind: 'no_file' }
  | { readonly kind: 'invalid'; readonly content: string }
  | { readonly kind: 'dead'; readonly pid: number }
  | { readonly kind: 'not_tfo_mcp'; readonly pid: number };

/**
 * The pid file of a running HTTP server (server.pid_file). `script` is this program's entry
 * (main.js): a live pid is taken for tfo-mcp only when its command line runs that same file, or a
 * `tfo-mcp` binary, so a pid reused by another program after a crash is never signalled or
 * mistaken for a running server.
 */
export class PidFile {
  private constructor(readonly file: string) {}

  /**
   * Writes our pid (0644). Refuses when the file names another live tfo-mcp process; a stale file
   * (its process gone, or the pid reused by another program) is replaced and reported through `stale`.
   */
  static claim(file: string, script: string, stale: (pid: number | undefined) => void = () => undefined): PidFile {
    const existing = readPid(file);
    if (existing.kind === 'pid' && existing.pid !== process.pid && isAlive(existing.pid) && isTfoMcp(existing.pid, script)) {
      throw new PidFileError(`${file} names tfo-mcp process ${existing.pid}, which is running; stop it, or give this server another server.pid_file`);
    }
    if (existing.kind !== 'missing') {
      stale(existing.kind === 'pid' ? existing.pid : undefined);
      unlinkSync(file);
    }
    let fd: number;
    try {
      // Exclusive: a server starting at the same moment gets EEXIST instead of both believing they own it.
      fd = openSync(file, 'wx', 0o644);
    } catch (error) {
      throw new PidFileError(`cannot write ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
    }
    try {
      writeSync(fd, `${process.pid}\n`);
    } finally {
      closeSync(fd);
    }
    // The umask may have narrowed it; operators' tools read it as another user.
    chmodSync(file, 0o644);
    return new PidFile(file);
  }

  /** Removes the file if it still names us (synchronous: it runs on process exit). */
  release(): void {
    const current = readPid(this.file);
    if (current.kind !== 'pid' || current.pid !== process.pid) return;
    try {
      unlinkSync(this.file);
    } catch {
      // already gone: nothing to release
    }
  }
}

/** Sends SIGHUP to the tfo-mcp process `file` names, after checking it is one and is alive. */
export function signalReload(file: string, script: string): ReloadSignal {
  const found = readPid(file);
  if (found.kind === 'missing') return { kind: 'no_file' };
  if (found.kind === 'invalid') return { kind: 'invalid', content: found.content };
  const { pid } = found;
  if (!isAlive(pid)) return { kind: 'dead', pid };
  if (!isTfoMcp(pid, script)) return { kind: 'not_tfo_mcp', pid };
  try {
    process.kill(pid, 'SIGHUP');
  } catch {
    // Exited between the check and the signal.
    return { kind: 'dead', pid };
  }
  return { kind: 'sent', pid };
}

type PidRead = { kind: 'missing' } | { kind: 'invalid'; content: string } | { kind: 'pid'; pid: number };

function readPid(file: string): PidRead {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'missing' };
    throw new PidFileError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  const content = text.trim();
  return /^[1-9][0-9]{0,9}$/.test(content) ? { kind: 'pid', pid: Number(content) } : { kind: 'invalid', content: content.slice(0, 40) };
}

/** Whether a process with this pid exists (EPERM: it does, under another user). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Without /proc (not Linux) the file is trusted: nothing better is known. */
function isTfoMcp(pid: number, script: string): boolean {
  let argv: string[];
  let cwd: string;
  try {
    argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter((arg) => arg !== '');
    cwd = readlinkSync(`/proc/${pid}/cwd`);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT' && !existsProc();
  }
  const ours = realOrSelf(script);
  return argv.slice(0, 4).some((arg) => path.basename(arg) === 'tfo-mcp' || realOrSelf(path.resolve(cwd, arg)) === ours);
}

function existsProc(): boolean {
  try {
    readlinkSync('/proc/self/exe');
    return true;
  } catch {
    return false;
  }
}

function realOrSelf(file: string): string {
  try {
    return realpathSync(file);
  } catch {
    return file;
  }
}
