import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AckPolicy,
  connect,
  DeliverPolicy,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
  type NatsConnection as NatsClient,
} from 'nats';
import type { StreamOptions } from '../../../src/infrastructure/messaging/nats/stream-setup.js';

/** The shared loopback server from `bash scripts/services.sh up`. */
export const NATS_URL = process.env.TFO_NATS_URL ?? 'nats://127.0.0.1:54222';

export function suffix(): string {
  return randomBytes(5).toString('hex');
}

/** A stream of its own per test: unique name and a subject prefix no other stream overlaps. */
export function testStreamOptions(overrides: Partial<StreamOptions> = {}): StreamOptions {
  const id = suffix();
  return {
    name: `TFO_TEST_${id}`,
    subjectPrefix: `tfotest.${id}`,
    retention: 'limits',
    maxAgeMs: 10 * 60_000,
    duplicateWindowMs: 2 * 60_000,
    storage: 'memory',
    ...overrides,
  };
}

export async function adminClient(url = NATS_URL): Promise<{ nc: NatsClient; jsm: JetStreamManager; js: JetStreamClient }> {
  let nc: NatsClient;
  try {
    nc = await connect({ servers: url, name: 'tfo-mcp tests', timeout: 2_000 });
  } catch (error) {
    throw new Error(`NATS is not reachable at ${url}: run \`bash scripts/services.sh up\` (${String(error)})`);
  }
  return { nc, jsm: await nc.jetstreamManager(), js: nc.jetstream() };
}

export async function deleteStream(jsm: JetStreamManager, name: string): Promise<void> {
  await jsm.streams.delete(name).catch(() => false);
}

export async function addDurable(jsm: JetStreamManager, stream: string, durable = 'contract'): Promise<string> {
  await jsm.consumers.add(stream, { durable_name: durable, ack_policy: AckPolicy.Explicit, deliver_policy: DeliverPolicy.All, ack_wait: 30_000_000_000 });
  return durable;
}

/**
 * Pulls from a durable consumer until `count` messages arrived or `timeoutMs` passed, acking each,
 * then drains whatever else the consumer still has pending (so "exactly once" can be asserted
 * without sleeping: the server's pending count says nothing more is stored).
 */
export async function pullDurable(
  js: JetStreamClient,
  stream: string,
  durable: string,
  count: number,
  { timeoutMs = 5_000 }: { timeoutMs?: number } = {},
): Promise<JsMsg[]> {
  const consumer = await js.consumers.get(stream, durable);
  const received: JsMsg[] = [];
  const deadline = Date.now() + timeoutMs;
  // fetch returns as soon as max_messages arrived; 1000 ms is the client's minimum expiry.
  const pull = async (max: number) => {
    const batch = await consumer.fetch({ max_messages: max, expires: 1_000 });
    for await (const message of batch) {
      message.ack();
      received.push(message);
    }
  };
  while (received.length < count && Date.now() < deadline) await pull(count - received.length);
  for (let pending = (await consumer.info()).num_pending; pending > 0; pending = (await consumer.info()).num_pending) {
    await pull(pending);
  }
  return received;
}

/** A port nothing listens on: connecting to it is refused at once. */
export async function closedPort(): Promise<number> {
  return freePort();
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/**
 * A throwaway `nats-server -js` on a loopback port with its own store: started and stopped by this
 * test only (by PID), so the shared server is never touched.
 */
export class OwnNatsServer {
  private child: ChildProcess | undefined;
  private log = '';

  private constructor(
    readonly port: number,
    readonly storeDir: string,
  ) {}

  static async create(): Promise<OwnNatsServer> {
    return new OwnNatsServer(await freePort(), await mkdtemp(join(tmpdir(), 'tfo-nats-')));
  }

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  async start(timeoutMs = 5_000): Promise<void> {
    const child = spawn('nats-server', ['-js', '-a', '127.0.0.1', '-p', String(this.port), '-sd', this.storeDir], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    this.child = child;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`nats-server did not start in ${timeoutMs} ms:\n${this.log}`)), timeoutMs);
      child.once('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`nats-server exited with ${code}:\n${this.log}`));
      });
      child.stderr?.on('data', (chunk: Buffer) => {
        this.log += chunk.toString();
        if (this.log.includes('Server is ready')) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
  }

  /** SIGTERM (graceful: the store is flushed) and wait for the process to exit. */
  async stop(timeoutMs = 5_000): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    await exited;
    clearTimeout(timer);
  }

  async dispose(): Promise<void> {
    await this.stop();
    await rm(this.storeDir, { recursive: true, force: true });
  }
}
