import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { LATEST_PROTOCOL_VERSION } from '@modelcontextprotocol/sdk/types.js';
import { openRawSession, post } from '../support/http-client.js';
import { freeLoopbackPort, startHttpServer, type HttpServer } from '../support/http-server.js';
import { SHARED, createPgDatabase, deleteStream, duplicatesOf, eventually, readStreamDurable, uniqueRedisPrefix, uniqueStream, type PgDatabase, type TestStream } from '../support/infra-services.js';
import { startPrometheus, type PrometheusServer } from '../support/prometheus-server.js';
import { statelessHeaders, statelessMeta } from '../support/stateless-http.js';

/**
 * The scale story with real processes: three `node dist/main.js --transport http` sharing
 * Postgres, Redis and NATS behind HAProxy (the Debian package; round robin, no stickiness), 64
 * concurrent clients (half 2025 sessions, half 2026-07-28 stateless), one replica SIGKILLed mid-run
 * and restarted. Only calls in flight on the killed replica may fail, and only with a retryable
 * answer (the proxy's 502/503 or a reset); every domain event reaches JetStream exactly once; a real
 * Prometheus scraping the three counts the calls of a measured batch and sees the restart.
 */
const CLIENTS = 64;
const RETRYABLE_STATUS = new Set([502, 503, 504]);

interface CallRecord {
  readonly startedAt: number;
  readonly endedAt: number;
  readonly ok: boolean;
  /** HTTP status, or 0 for a connection that broke. */
  readonly status: number;
  readonly detail?: string;
}

function haproxyConfig(frontPort: number, replicaPorts: readonly number[]): string {
  return [
    'global',
    '  maxconn 4096',
    'defaults',
    '  mode http',
    '  timeout connect 1s',
    '  timeout client 30s',
    '  timeout server 30s',
    // A replica busy under the load answers its check late, not never: only a dead one is taken out.
    '  timeout check 3s',
    // A connection refused by a dead replica is tried again on another. Only that: a request already
    // sent may have run (a tool call is not idempotent), so it fails and the client decides.
    '  retries 3',
    '  option redispatch 1',
    '  retry-on conn-failure',
    'frontend mcp',
    `  bind 127.0.0.1:${frontPort}`,
    '  default_backend replicas',
    'backend replicas',
    '  balance roundrobin',
    // HTTP/1.1 with the Host the replicas accept (the proxy's: server.http.allowed_hosts).
    '  option httpchk',
    `  http-check send meth GET uri /health ver HTTP/1.1 hdr Host 127.0.0.1:${frontPort}`,
    ...replicaPorts.map((port, i) => `  server r${i + 1} 127.0.0.1:${port} check inter 300ms fall 3 rise 1`),
    '',
  ].join('\n');
}

async function startHaproxy(config: string): Promise<{ child: ChildProcess; output: () => string; stop: () => Promise<void>; dir: string }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'tfo-haproxy-'));
  const file = path.join(dir, 'haproxy.cfg');
  await writeFile(file, config);
  const child = spawn('haproxy', ['-f', file, '-db'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    child,
    dir,
    output: () => output,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
      await rm(dir, { recursive: true, force: true });
    },
  };
}

describe('three replicas behind HAProxy (round robin, no stickiness)', () => {
  let db: PgDatabase;
  let stream: TestStream;
  let env: Record<string, string>;
  let ports: number[];
  const replicas: (HttpServer | undefined)[] = [];
  let proxy: Awaited<ReturnType<typeof startHaproxy>>;
  let prometheus: PrometheusServer;
  let front: string;

  const startReplica = async (i: number) => {
    replicas[i] = await startHttpServer({ ...env, TELEMETRYFLOW_MCP_SERVER__HTTP__PORT: String(ports[i]) });
  };

  beforeAll(async () => {
    db = await createPgDatabase();
    stream = uniqueStream();
    env = {
      TELEMETRYFLOW_MCP_PERSISTENCE__DRIVER: 'postgres',
      TELEMETRYFLOW_MCP_PERSISTENCE__POSTGRES__URL: db.url,
      TELEMETRYFLOW_MCP_CACHE__DRIVER: 'redis',
      TELEMETRYFLOW_MCP_CACHE__REDIS__URL: SHARED.redis,
      TELEMETRYFLOW_MCP_CACHE__REDIS__KEY_PREFIX: uniqueRedisPrefix('proxy'),
      TELEMETRYFLOW_MCP_EVENTS__DRIVER: 'nats',
      TELEMETRYFLOW_MCP_EVENTS__NATS__URL: SHARED.nats,
      TELEMETRYFLOW_MCP_EVENTS__NATS__STREAM: stream.name,
      TELEMETRYFLOW_MCP_EVENTS__NATS__SUBJECT_PREFIX: stream.subjectPrefix,
      TELEMETRYFLOW_MCP_TELEMETRY__METRICS__ENABLED: 'true',
      TELEMETRYFLOW_MCP_SERVER__HTTP__MAX_SESSIONS_PER_CLIENT: '1000',
    };
    const frontPort = await freeLoopbackPort();
    // Clients name the proxy in Host; the replicas accept it besides their own loopback names.
    env.TELEMETRYFLOW_MCP_SERVER__HTTP__ALLOWED_HOSTS = `127.0.0.1:${frontPort}`;
    ports = [await freeLoopbackPort(), await freeLoopbackPort(), await freeLoopbackPort()];
    // The first applies the migrations; the others start on a migrated database.
    await startReplica(0);
    await Promise.all([startReplica(1), startReplica(2)]);
    proxy = await startHaproxy(haproxyConfig(frontPort, ports));
    front = `http://127.0.0.1:${frontPort}/mcp`;
    await eventually(
      async () => ((await fetch(front.replace('/mcp', '/health')).catch(() => undefined))?.ok ? true : undefined),
      10_000,
      'HAProxy to answer',
    ).catch((error: unknown) => {
      throw new Error(`${String(error)}; haproxy: ${proxy.output().slice(-2000)}`);
    });
    prometheus = await startPrometheus({ targets: ports.map((port) => `127.0.0.1:${port}`) });
  }, 60_000);

  afterAll(async () => {
    await prometheus?.close();
    await proxy?.stop();
    for (const replica of replicas) await replica?.stop();
    await deleteStream(SHARED.nats, stream.name);
    await db?.drop();
  });

  async function legacyCall(sessionId: string, n: number): Promise<CallRecord> {
    const startedAt = Date.now();
    try {
      const response = await post(
        front,
        { jsonrpc: '2.0', id: n, method: 'tools/call', params: { name: 'echo', arguments: { message: `s${n}` } } },
        { sessionId, protocolVersion: LATEST_PROTOCOL_VERSION },
      );
      const answer = response.messages.find((m) => m.id === n);
      const ok = response.status === 200 && answer?.result !== undefined;
      return { startedAt, endedAt: Date.now(), ok, status: response.status, ...(ok ? {} : { detail: response.text.slice(0, 200) }) };
    } catch (error) {
      return { startedAt, endedAt: Date.now(), ok: false, status: 0, detail: String(error) };
    }
  }

  async function statelessCall(n: number): Promise<CallRecord> {
    const startedAt = Date.now();
    try {
      const response = await fetch(front, {
        method: 'POST',
        headers: statelessHeaders('tools/call', 'echo'),
        body: JSON.stringify({ jsonrpc: '2.0', id: n, method: 'tools/call', params: { name: 'echo', arguments: { message: `m${n}` }, _meta: statelessMeta('proxy-e2e') } }),
      });
      const text = await response.text();
      const ok = response.status === 200 && text.includes('"result"');
      return { startedAt, endedAt: Date.now(), ok, status: response.status, ...(ok ? {} : { detail: text.slice(0, 200) }) };
    } catch (error) {
      return { startedAt, endedAt: Date.now(), ok: false, status: 0, detail: String(error) };
    }
  }

  it('64 clients (half sessions, half stateless), one replica SIGKILLed and restarted - only calls in flight on it fail, retryably; events exactly once; Prometheus counts and sees the restart', async () => {
    // Sessions opened through the proxy: each lands on some replica, all live in Postgres.
    const sessions = await Promise.all(Array.from({ length: CLIENTS / 2 }, async () => (await openRawSession(front)).sessionId));
    const records: CallRecord[] = [];
    let running = true;
    let counter = 0;
    const client = async (session: string | undefined) => {
      while (running) {
        counter += 1;
        records.push(session === undefined ? await statelessCall(counter) : await legacyCall(session, counter));
      }
    };
    const clients = [...sessions.map((s) => client(s)), ...Array.from({ length: CLIENTS / 2 }, () => client(undefined))];

    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const killedAt = Date.now();
    await replicas[1]!.kill();
    // Requests sent between the signal and the exit were in flight on it too.
    const diedAt = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    await startReplica(1);
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    running = false;
    await Promise.all(clients);

    const failed = records.filter((r) => !r.ok);
    const succeeded = records.length - failed.length;
    expect(succeeded).toBeGreaterThan(CLIENTS * 5);
    // Only calls already under way when the replica died (a 502/503/504 from the proxy, or the
    // connection reset mid-answer): each is one a client retries. Calls started after it was gone succeed.
    const unexpected = failed
      .filter((f) => !(f.startedAt <= diedAt && f.endedAt >= killedAt) || !(f.status === 0 || RETRYABLE_STATUS.has(f.status)))
      .map((f) => ({ ...f, startedAfterKillMs: f.startedAt - killedAt, endedAfterKillMs: f.endedAt - killedAt }));
    expect(unexpected).toEqual([]);
    expect(failed.length).toBeLessThanOrEqual(CLIENTS);

    // Every event in the outbox (shared Postgres) published, and in JetStream exactly once.
    const outbox = await eventually(
      async () => {
        const rows = await db.query<{ event_id: string; published_at: Date | null }>('SELECT event_id, published_at FROM outbox');
        return rows.length > 0 && rows.every((row) => row.published_at !== null) ? rows : undefined;
      },
      30_000,
      'every outbox row published',
    );
    const read = await readStreamDurable(SHARED.nats, stream.name, outbox.length, 30_000);
    const ids = read.events.map((event) => event.envelope.id);
    expect(duplicatesOf(ids)).toEqual([]);
    expect(new Set(ids)).toEqual(new Set(outbox.map((row) => row.event_id)));
    expect(read.streamMessages).toBe(outbox.length);

    // A measured batch through the proxy: Prometheus, scraping the three, counts exactly these calls.
    const query = 'sum(tfo_mcp_tool_calls_total{tool="echo",outcome="ok"})';
    const settle = async () => {
      let last = -1;
      return eventually(
        async () => {
          const [sample] = await prometheus.query(query);
          const value = sample?.value ?? 0;
          const stable = value === last;
          last = value;
          return stable ? value : undefined;
        },
        15_000,
        'the scraped sum to settle',
        1_200,
      );
    };
    await eventually(async () => ((await prometheus.query('count(up{job="tfo-mcp"} == 1)'))[0]?.value === 3 ? true : undefined), 15_000, 'all three replicas up in Prometheus');
    const before = await settle();
    const batch = 90;
    const batchSession = (await openRawSession(front)).sessionId;
    const results = await Promise.all(Array.from({ length: batch }, (_, i) => (i % 2 === 0 ? legacyCall(batchSession, 100_000 + i) : statelessCall(100_000 + i))));
    expect(results.filter((r) => !r.ok)).toEqual([]);
    await eventually(async () => (((await prometheus.query(query))[0]?.value ?? 0) - before === batch ? true : undefined), 15_000, `Prometheus to count ${batch} more calls`);
    // Round robin spread them: every replica served some of the batch's requests.
    const perInstance = await prometheus.query('sum by (instance) (tfo_mcp_requests_total{method="tools/call"})');
    expect(perInstance).toHaveLength(3);

    // The restart, as Prometheus saw it: the killed replica went down, and the process it scrapes
    // there now started after the kill; the others kept theirs.
    const down = await prometheus.query(`min_over_time(up{instance="127.0.0.1:${ports[1]}"}[10m])`);
    expect(down[0]?.value).toBe(0);
    const starts = new Map((await prometheus.query('process_start_time_seconds')).map((sample) => [sample.metric['instance'], sample.value]));
    expect(starts.get(`127.0.0.1:${ports[1]}`)).toBeGreaterThanOrEqual(Math.floor(killedAt / 1000));
    for (const port of [ports[0], ports[2]]) expect(starts.get(`127.0.0.1:${port}`)).toBeLessThan(killedAt / 1000);
  }, 120_000);
});
