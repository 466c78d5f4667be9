import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** Clock ticks per second for /proc/PID/stat times (`getconf CLK_TCK`, 100 on Linux x86-64). */
export const CLK_TCK = (() => {
  try {
    const value = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8', timeout: 5000 }).trim());
    return Number.isFinite(value) && value > 0 ? value : 100;
  } catch {
    return 100;
  }
})();

/** utime + stime of the whole process (all threads), in milliseconds. */
export function cpuMs(pid) {
  const { userMs, systemMs } = cpuTimes(pid);
  return userMs + systemMs;
}

/** utime and stime of the whole process (all threads), in milliseconds, apart. */
export function cpuTimes(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // comm (field 2) may hold spaces and parentheses: split after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state); utime is field 14, stime field 15.
  return { userMs: (Number(fields[11]) * 1000) / CLK_TCK, systemMs: (Number(fields[12]) * 1000) / CLK_TCK };
}

/** Resident set size in KiB (VmRSS). */
export function rssKb(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  return match ? Number(match[1]) : Number.NaN;
}

/** A free loopback TCP port (the kernel picks it; released before the server binds it). */
export async function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

/** Resolves once 127.0.0.1:port accepts a TCP connection; rejects on timeout or when `alive()` turns false. */
export async function waitForPort(port, timeoutMs, alive) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!alive()) throw new Error('server exited before it listened');
    const ok = await new Promise((resolve) => {
      const socket = connect({ host: '127.0.0.1', port });
      socket.once('connect', () => { socket.destroy(); resolve(true); });
      socket.once('error', () => { socket.destroy(); resolve(false); });
    });
    if (ok) return;
    await sleep(20);
  }
  throw new Error(`server did not listen on 127.0.0.1:${port} within ${timeoutMs} ms`);
}

/**
 * The environment a server sees: ours without NODE_OPTIONS (jest sets it) and without any
 * TELEMETRYFLOW_MCP_* a developer exported, so every run uses the same configuration; plus `extra`.
 */
export function serverEnv(extra = {}) {
  const env = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (key === 'NODE_OPTIONS' || key.toUpperCase().startsWith('TELEMETRYFLOW_MCP_')) continue;
    env[key] = value;
  }
  return { ...env, ...extra };
}

/** Every child the harness starts, so that a watchdog or a signal can stop them all, each by its PID. */
const live = new Set();

/**
 * Spawns a server process directly (no shell, so the PID is the server's own) and keeps the tail of
 * its stderr for error reports. `onUnexpectedExit` fires when it exits before `stop()` was called.
 */
export function spawnServer({ command, args, env, cwd, stdin = 'pipe', stdout = 'pipe' }) {
  const child = spawn(command, args, { cwd, env: serverEnv(env), stdio: [stdin, stdout, 'pipe'] });
  const handle = {
    child,
    pid: child.pid,
    stopping: false,
    exited: false,
    exit: undefined,
    stderrTail: '',
    onUnexpectedExit: undefined,
    alive: () => !handle.exited,
  };
  live.add(handle);
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk) => {
    handle.stderrTail = (handle.stderrTail + chunk).slice(-4000);
  });
  child.once('error', (error) => {
    handle.stderrTail += `\n[spawn error] ${error.message}`;
  });
  child.once('exit', (code, signal) => {
    handle.exited = true;
    handle.exit = { code, signal };
    live.delete(handle);
    if (!handle.stopping) handle.onUnexpectedExit?.(code, signal);
  });
  return handle;
}

/** End of input first (stdio servers), then SIGTERM, then SIGKILL — always to this child's PID only. */
export async function stopServer(handle, { graceMs = 3000 } = {}) {
  handle.stopping = true;
  if (handle.exited) return handle.exit;
  const exited = new Promise((resolve) => handle.child.once('exit', () => resolve()));
  const within = (ms) => {
    let timer;
    const timeout = new Promise((resolve) => {
      timer = setTimeout(() => resolve(false), ms);
    });
    return Promise.race([exited.then(() => true), timeout]).finally(() => clearTimeout(timer));
  };
  if (handle.child.stdin && !handle.child.stdin.destroyed) handle.child.stdin.end();
  if (handle.child.stdin && (await within(Math.min(graceMs, 1500)))) return handle.exit;
  if (!handle.exited) process.kill(handle.pid, 'SIGTERM');
  if (await within(graceMs)) return handle.exit;
  if (!handle.exited) process.kill(handle.pid, 'SIGKILL');
  await within(graceMs);
  return handle.exit;
}

/** Last resort (watchdog, Ctrl-C): SIGKILL each child the harness started, by PID. */
export function killAllStarted() {
  for (const handle of live) {
    handle.stopping = true;
    try {
      process.kill(handle.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}
