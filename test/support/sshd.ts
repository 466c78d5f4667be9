/**
 * A real OpenSSH sshd on loopback for the ssh execution backend's tests (INFRA-FACTS §5).
 *
 * `sshdUnderTest()` uses the shared instance of `bash scripts/services.sh up` when its TFO_SSH_* variables
 * are exported; otherwise it starts one of its own (root on Debian with openssh-server installed), so the
 * suite also runs standalone. `ThrowawaySshd.start()` always starts one of its own: a second host for pool
 * tests, accepting the same client key. Every process stopped here is one this module started, by PID.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freeLoopbackPort } from './http-server.js';

const run = promisify(execFile);
const SSHD = '/usr/sbin/sshd';
const DEFAULT_USER = 'mcptest';
const HOW_TO = 'run `eval "$(bash scripts/services.sh up)"` first (it starts sshd and exports TFO_SSH_*)';

export interface SshdTarget {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  /** The client's private key, authorized for `user`. */
  readonly keyPath: string;
  /** The server's host public key line (`ssh-ed25519 AAAA… comment`), for pinning. */
  readonly hostKey: string;
  stop(): Promise<void>;
}

/** The shared sshd (TFO_SSH_*), or one of our own when those are not exported. */
export async function sshdUnderTest(): Promise<SshdTarget> {
  const env = process.env;
  const names = ['TFO_SSH_HOST', 'TFO_SSH_PORT', 'TFO_SSH_USER', 'TFO_SSH_KEY_PATH', 'TFO_SSH_HOST_KEY_PUB_PATH'] as const;
  const present = names.filter((name) => env[name]);
  if (present.length === names.length) {
    return {
      host: env.TFO_SSH_HOST!,
      port: Number(env.TFO_SSH_PORT),
      user: env.TFO_SSH_USER!,
      keyPath: env.TFO_SSH_KEY_PATH!,
      hostKey: (await readFile(env.TFO_SSH_HOST_KEY_PUB_PATH!, 'utf8')).trim(),
      stop: async () => undefined,
    };
  }
  if (present.length > 0) throw new Error(`only ${present.join(', ')} of ${names.join(', ')} are set: ${HOW_TO}`);
  return ThrowawaySshd.start();
}

/** A client key pair in a fresh temporary directory (for "wrong client key" tests). */
export async function generateClientKey(): Promise<{ keyPath: string; publicKey: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'tfo-ssh-key-'));
  const keyPath = path.join(dir, 'client_key');
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'tfo-test', '-f', keyPath]);
  return { keyPath, publicKey: (await readFile(`${keyPath}.pub`, 'utf8')).trim(), remove: () => rm(dir, { recursive: true, force: true }) };
}

export class ThrowawaySshd implements SshdTarget {
  private constructor(
    readonly host: string,
    readonly port: number,
    readonly user: string,
    readonly keyPath: string,
    readonly hostKey: string,
    private readonly dir: string,
    private readonly pid: number,
  ) {}

  /**
   * Starts sshd on a free loopback port with a new host key. `clientKeyPath` (default: a new key) is the
   * key it accepts for `user` (default: TFO_SSH_USER or `mcptest`, created when missing).
   */
  static async start(options: { user?: string; clientKeyPath?: string } = {}): Promise<ThrowawaySshd> {
    if (!existsSync(SSHD)) throw new Error(`${SSHD} is not installed: ${HOW_TO}`);
    if (process.getuid?.() !== 0) throw new Error(`starting an own sshd needs root: ${HOW_TO}`);
    const user = options.user ?? process.env.TFO_SSH_USER ?? DEFAULT_USER;
    await ensureUser(user);
    const dir = await mkdtemp(path.join(tmpdir(), 'tfo-sshd-'));
    // sshd reads authorized_keys as the user, who must be able to enter the directory.
    await chmod(dir, 0o755);
    const keyPath = options.clientKeyPath ?? path.join(dir, 'client_key');
    if (!options.clientKeyPath) await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'tfo-test', '-f', keyPath]);
    const clientPublic = (await run('ssh-keygen', ['-y', '-f', keyPath])).stdout.trim();
    const hostKeyPath = path.join(dir, 'host_ed25519_key');
    await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'tfo-test-host', '-f', hostKeyPath]);
    await mkdir(path.join(dir, 'authorized_keys'));
    await writeFile(path.join(dir, 'authorized_keys', user), `${clientPublic}\n`, { mode: 0o644 });
    await mkdir('/run/sshd', { recursive: true });
    const port = await freeLoopbackPort();
    await writeFile(path.join(dir, 'sshd_config'), sshdConfig(dir, port, user, hostKeyPath));
    try {
      await run(SSHD, ['-f', path.join(dir, 'sshd_config'), '-E', path.join(dir, 'sshd.log')]);
    } catch (error) {
      await rm(dir, { recursive: true, force: true });
      throw error;
    }
    const pid = Number((await waitForFile(path.join(dir, 'sshd.pid'), 5_000)).trim());
    await waitForPort(port, 5_000);
    const hostKey = (await readFile(`${hostKeyPath}.pub`, 'utf8')).trim();
    return new ThrowawaySshd('127.0.0.1', port, user, keyPath, hostKey, dir, pid);
  }

  async stop(): Promise<void> {
    try {
      process.kill(this.pid, 'SIGTERM');
    } catch {
      // Already gone.
    }
    await rm(this.dir, { recursive: true, force: true });
  }
}

function sshdConfig(dir: string, port: number, user: string, hostKeyPath: string): string {
  return [
    `Port ${port}`,
    'ListenAddress 127.0.0.1',
    `HostKey ${hostKeyPath}`,
    `PidFile ${path.join(dir, 'sshd.pid')}`,
    `AuthorizedKeysFile ${path.join(dir, 'authorized_keys')}/%u`,
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'PermitRootLogin no',
    `AllowUsers ${user}`,
    'UsePAM no',
    // Keys under /tmp are refused with StrictModes yes ("bad ownership or modes for directory /tmp").
    'StrictModes no',
    'MaxSessions 20',
    'AcceptEnv LANG LC_* MCP_*',
    '',
  ].join('\n');
}

/** `'*'`, not useradd's locked `'!'`: with UsePAM no, sshd refuses even key logins to a locked account. */
async function ensureUser(user: string): Promise<void> {
  try {
    await run('id', ['-u', user]);
  } catch {
    await run('useradd', ['-m', '-s', '/bin/bash', '-p', '*', user]);
  }
}

async function waitForFile(file: string, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const text = await readFile(file, 'utf8');
      if (text.trim()) return text;
    } catch {
      // Not written yet.
    }
    if (Date.now() > deadline) throw new Error(`sshd wrote no ${file} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = createConnection({ host: '127.0.0.1', port }, () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`sshd did not listen on 127.0.0.1:${port} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
