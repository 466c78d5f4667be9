import { readFile } from 'node:fs/promises';
import { Client, type ClientChannel } from 'ssh2';
import type { Logger } from '../../../application/ports/logger.js';
import { fingerprintOf, pinnedFingerprint } from './host-key.js';
import { SshExecutorError } from './ssh-errors.js';

export interface SshHostConfig {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly privateKeyPath: string;
  /** The server's public key line or its `SHA256:<base64>` fingerprint. */
  readonly hostKey: string;
  readonly maxConcurrent: number;
}

export interface SshHostTimings {
  /** TCP connect plus SSH handshake and authentication. */
  readonly connectTimeoutMs: number;
  /** SSH-level keepalives, so a silently dead peer is noticed (three unanswered ones close the connection). */
  readonly keepaliveIntervalMs: number;
}

/** `unknown`: not tried yet, or its connection closed since; it is tried like an `up` host. */
export type SshHostStatus = 'unknown' | 'up' | 'down';

/**
 * One configured host: a single SSH connection, opened on first use and reused by every run (one exec
 * channel each), re-opened on the next use after it drops. Its status is what the last connect,
 * probe or run learnt; `busy` counts the runs it holds now.
 */
export class SshHost {
  readonly name: string;
  status: SshHostStatus = 'unknown';
  busy = 0;
  runs = 0;
  lastError: string | undefined;
  private readonly pin: string;
  private connection: Promise<Client> | undefined;
  private closing = false;

  constructor(
    readonly config: SshHostConfig,
    private readonly timings: SshHostTimings,
    private readonly logger: Logger,
  ) {
    this.name = `${config.user}@${config.host}:${config.port}`;
    this.pin = pinnedFingerprint(config.hostKey, this.name);
  }

  get hasRoom(): boolean {
    return this.busy < this.config.maxConcurrent;
  }

  /** Opens an exec channel running `line`. Rejects (nothing ran) with a typed error; marks the host down. */
  async exec(line: string): Promise<ClientChannel> {
    const client = await this.connect();
    try {
      return await new Promise<ClientChannel>((resolve, reject) => {
        client.exec(line, (error, channel) => (error ? reject(error) : resolve(channel)));
      });
    } catch (error) {
      // Channel refused (sshd's MaxSessions, or the connection died under us): nothing started.
      throw this.failed(new SshExecutorError('ssh.unavailable', `${this.name} refused a session channel: ${describe(error)}`, { cause: error }));
    }
  }

  /** Runs `line` for its side effects (the kill sweep), bounded; failures are logged, never thrown. */
  fireAndForget(line: string, timeoutMs: number): Promise<void> {
    return this.runToEnd(line, timeoutMs).then(
      () => undefined,
      (error: unknown) => this.logger.warn('ssh kill sweep failed', { host: this.name, error: describe(error) }),
    );
  }

  /** The health probe: connect (if needed) and run `true`. Updates `status`; never throws. */
  async probe(timeoutMs: number): Promise<void> {
    try {
      const code = await this.runToEnd('true', timeoutMs);
      if (code !== 0) throw new SshExecutorError('ssh.unavailable', `${this.name}: the probe \`true\` exited ${String(code)}`);
      this.status = 'up';
      this.lastError = undefined;
    } catch (error) {
      this.failed(error);
    }
  }

  close(): void {
    this.closing = true;
    const connection = this.connection;
    this.connection = undefined;
    void connection?.then((client) => client.end(), () => undefined);
  }

  /** Records a failure to reach or use this host and returns it, typed. */
  failed(error: unknown): SshExecutorError {
    const typed = error instanceof SshExecutorError ? error : new SshExecutorError('ssh.unavailable', `${this.name}: ${describe(error)}`, { cause: error });
    if (this.status !== 'down') this.logger.warn('ssh host down', { host: this.name, code: typed.code, reason: typed.message });
    this.status = 'down';
    this.lastError = typed.message;
    return typed;
  }

  private runToEnd(line: string, timeoutMs: number): Promise<number | null> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new SshExecutorError('ssh.unavailable', `${this.name}: no answer within ${timeoutMs} ms`)), timeoutMs);
      timer.unref();
      let code: number | null = null;
      this.exec(line).then(
        (channel) => {
          channel.on('data', () => undefined);
          channel.stderr.on('data', () => undefined);
          channel.once('exit', (exitCode: number | null) => {
            code = exitCode;
          });
          // ssh2 repeats the exit status on 'close', for when it arrived before the 'exit' listener.
          channel.once('close', (exitCode?: number | null) => {
            clearTimeout(timer);
            resolve(code ?? exitCode ?? null);
          });
          channel.end();
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(error);
        },
      );
    });
  }

  private connect(): Promise<Client> {
    if (this.closing) return Promise.reject(new SshExecutorError('ssh.stopped', 'the ssh executor is shut down'));
    this.connection ??= this.open().catch((error: unknown) => {
      this.connection = undefined;
      throw this.failed(error);
    });
    return this.connection;
  }

  private async open(): Promise<Client> {
    let privateKey: Buffer;
    try {
      privateKey = await readFile(this.config.privateKeyPath);
    } catch (error) {
      throw new SshExecutorError('ssh.invalid_config', `private_key_path of ${this.name} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`, { cause: error });
    }
    const client = new Client();
    let presented: string | undefined;
    return new Promise<Client>((resolve, reject) => {
      let ready = false;
      client.once('ready', () => {
        ready = true;
        this.status = 'up';
        this.lastError = undefined;
        resolve(client);
      });
      client.on('error', (error: Error & { level?: string }) => {
        if (!ready) reject(this.classify(error, presented));
        else this.logger.warn('ssh connection error', { host: this.name, error: describe(error) });
      });
      client.once('close', () => {
        if (!ready) reject(new SshExecutorError('ssh.unavailable', `${this.name} closed the connection during the handshake`));
        // The next run opens a new connection; until then nothing says the host is down.
        else if (this.status === 'up') this.status = 'unknown';
        if (ready && this.connection) this.connection = undefined;
      });
      client.connect({
        host: this.config.host,
        port: this.config.port,
        username: this.config.user,
        privateKey,
        readyTimeout: this.timings.connectTimeoutMs,
        keepaliveInterval: this.timings.keepaliveIntervalMs,
        keepaliveCountMax: 3,
        tryKeyboard: false,
        hostVerifier: (key: Buffer) => {
          presented = fingerprintOf(key);
          return presented === this.pin;
        },
      });
    });
  }

  private classify(error: Error & { level?: string }, presented: string | undefined): SshExecutorError {
    if (presented !== undefined && presented !== this.pin) {
      return new SshExecutorError(
        'ssh.host_key_mismatch',
        `${this.name} presented host key ${presented}, not the pinned ${this.pin}: refused (if the key really changed, update host_key)`,
        { cause: error },
      );
    }
    if (error.level === 'client-authentication') {
      return new SshExecutorError('ssh.auth_failed', `${this.name} refused our key (check private_key_path and the user's authorized_keys)`, { cause: error });
    }
    if (error.level === 'client-timeout') {
      return new SshExecutorError('ssh.unavailable', `${this.name}: no SSH handshake within ${this.timings.connectTimeoutMs} ms`, { cause: error });
    }
    return new SshExecutorError('ssh.unavailable', `${this.name}: ${describe(error)}`, { cause: error });
  }
}

/** A short reason: the errno code where there is one, else the message (ssh2's never carry secrets). */
function describe(error: unknown): string {
  const e = error as { code?: unknown; message?: unknown } | undefined;
  if (typeof e?.code === 'string') return `${e.code}`;
  return typeof e?.message === 'string' ? e.message : String(error);
}
