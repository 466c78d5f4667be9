import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import pg from 'pg';
import { answerOf, authEnv, bearer, mustOpenSession, sessionRequest, statelessRequest, testApiKey, type TestApiKey } from '../support/auth-http.js';
import { startHttpServer, type HttpServer } from '../support/http-server.js';
import { builtServerPath, createTempWorkspace, serverEnv, type TempWorkspace } from '../support/spawn-server.js';

/**
 * Auth and rate limits on two replicas sharing Postgres (sessions, the API key table) and Redis
 * (rate-limit counters), no sticky sessions: a key revoked with `tfo-mcp keys revoke` is refused by
 * the other replica within seconds; one budget across both replicas, 429 with Retry-After; a
 * session adopted by the second replica still belongs to its principal; and a limited caller's
 * flood does not slow an unlimited caller (its p99 measured with and without the flood).
 */
const PG_URL = process.env['TFO_PG_URL'];
const REDIS_URL = process.env['TFO_REDIS_URL'];
const run = promisify(execFile);

/**
 * A caller flooding one endpoint on keep-alive connections at a fixed total rate (FLOOD_RATE per second, so
 * that a refused flood and a served one send as many requests) until its stdin closes; prints what it was answered.
 */
const FLOOD = `
import { Agent, request } from 'node:http';
const url = new URL(process.env.FLOOD_URL);
const agent = new Agent({ keepAlive: true, maxSockets: 64 });
const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'echo', arguments: { message: 'x' }, _meta: {
  'io.modelcontextprotocol/protocolVersion': '2026-07-28', 'io.modelcontextprotocol/clientInfo': { name: 'flood', version: '1' }, 'io.modelcontextprotocol/clientCapabilities': {} } } });
const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2026-07-28',
  'mcp-method': 'tools/call', 'mcp-name': 'echo', authorization: 'Bearer ' + process.env.FLOOD_KEY, 'content-length': Buffer.byteLength(body) };
const counts = { refused: 0, answered: 0, other: 0, ms: 0 };
const began = Date.now();
let running = true;
process.stdin.on('end', () => (running = false)).resume();
const once = () => new Promise((resolve) => {
  const req = request({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers, agent }, (res) => {
    res.resume();
    res.on('end', () => { if (res.statusCode === 429) counts.refused++; else if (res.statusCode === 200) counts.answered++; else counts.other++; resolve(); });
  });
  req.on('error', () => { counts.other++; resolve(); });
  req.end(body);
});
const connections = Number(process.env.FLOOD_CONNECTIONS);
const intervalMs = (1000 * connections) / Number(process.env.FLOOD_RATE);
await Promise.all(Array.from({ length: connections }, async (_, i) => {
  const start = Date.now() + (i * intervalMs) / connections;
  for (let n = 0; running; n += 1) {
    const wait = start + n * intervalMs - Date.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    await once();
  }
}));
agent.destroy();
counts.ms = Date.now() - began;
process.stdout.write(JSON.stringify(counts));
`;

function databaseUrl(base: string, database: string): string {
  const url = new URL(base);
  url.pathname = `/${database}`;
  return url.toString();
}

const database = `t_auth_${randomBytes(4).toString('hex')}`;
const admin = new pg.Client({ connectionString: PG_URL });
let created = false;
let ws: TempWorkspace;
let env: Record<string, string>;
let a: HttpServer;
let b: HttpServer;
let ops: TestApiKey;
let reader: TestApiKey;
let flood: TestApiKey;
let calm: TestApiKey;

beforeAll(async () => {
  if (!PG_URL || !REDIS_URL) throw new Error('TFO_PG_URL and TFO_REDIS_URL must be set: run `eval "$(bash scripts/services.sh up)"` (npm test does)');
  await admin.connect();
  await admin.query(`CREATE DATABASE ${database}`);
  created = true;
  ws = await createTempWorkspace('tfo-auth-replicas-');
  [ops, reader, flood, calm] = await Promise.all([
    testApiKey('ops', ['tools:*', 'resources:*', 'prompts:*']),
    testApiKey('reader', ['tools:echo']),
    testApiKey('flood', ['tools:*'], { rate_limit_class: 'limited' }),
    testApiKey('calm', ['tools:*']),
  ]);
  env = {
    ...authEnv([ops, reader, flood, calm]),
    TELEMETRYFLOW_MCP_AUTH__API_KEY_STORE: 'postgres',
    TELEMETRYFLOW_MCP_PERSISTENCE__DRIVER: 'postgres',
    TELEMETRYFLOW_MCP_PERSISTENCE__POSTGRES__URL: databaseUrl(PG_URL, database),
    TELEMETRYFLOW_MCP_EVENTS__DRIVER: 'none',
    TELEMETRYFLOW_MCP_CACHE__REDIS__URL: REDIS_URL,
    TELEMETRYFLOW_MCP_CACHE__REDIS__KEY_PREFIX: `${database}:`,
    TELEMETRYFLOW_MCP_RATE_LIMITS__ENABLED: 'true',
    TELEMETRYFLOW_MCP_RATE_LIMITS__STORE: 'redis',
    TELEMETRYFLOW_MCP_RATE_LIMITS__DEFAULT__REQUESTS_PER_MINUTE: '0',
    TELEMETRYFLOW_MCP_RATE_LIMITS__DEFAULT__TOOL_CALLS_PER_MINUTE: '0',
    TELEMETRYFLOW_MCP_RATE_LIMITS__DEFAULT__MAX_CONCURRENT: '0',
    TELEMETRYFLOW_MCP_RATE_LIMITS__CLASSES__LIMITED__REQUESTS_PER_MINUTE: '60',
    TELEMETRYFLOW_MCP_RATE_LIMITS__CLASSES__LIMITED__BURST: '10',
    TELEMETRYFLOW_MCP_MCP__ROOTS: ws.root,
    TELEMETRYFLOW_MCP_LOGGING__LEVEL: 'warn',
  };
  // One at a time: both would run the migrations at once otherwise.
  a = await startHttpServer(env);
  b = await startHttpServer(env);
}, 60_000);

afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
  await ws?.cleanup();
  if (created) await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  if (PG_URL) await admin.end();
});

/** `tfo-mcp keys …` against the same configuration (the environment names the database). */
async function keys(...argv: string[]): Promise<string> {
  const { stdout } = await run(process.execPath, [builtServerPath(), 'keys', ...argv], { env: serverEnv(env), cwd: ws.root });
  return stdout;
}

const echo = (server: HttpServer, key: string) => statelessRequest(server.url, bearer(key), 'tools/call', { name: 'echo', arguments: { message: 'x' } });

describe('API keys in Postgres across replicas', () => {
  it('keys create → both replicas let the key in → keys revoke → the other replica refuses it within 5 s', async () => {
    const made = JSON.parse(await keys('create', '--name', 'ci-bot', '--grants', 'tools:echo', '--json')) as { key: string };
    expect((await echo(a, made.key)).status).toBe(200);
    expect((await echo(b, made.key)).status).toBe(200);

    await keys('revoke', 'ci-bot');
    const revokedAt = Date.now();
    let response = await echo(b, made.key);
    while (response.status === 200 && Date.now() - revokedAt < 5_000) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      response = await echo(b, made.key);
    }

    expect(response.status).toBe(401);
    expect(answerOf(response).error?.message).toContain('API key "ci-bot" was revoked');
    expect(Date.now() - revokedAt).toBeLessThan(5_000);
    expect((await echo(a, made.key)).status).toBe(401);
  }, 20_000);
});

describe('shutdown', () => {
  it('SIGTERM – the key store\'s LISTEN connection and the limiter\'s Redis connection close, and the server exits 0 at once', async () => {
    const c = await startHttpServer({ ...env, TELEMETRYFLOW_MCP_LOGGING__LEVEL: 'info' });
    expect((await echo(c, calm.key)).status).toBe(200);

    const started = Date.now();
    const exit = await c.stop(10_000);

    expect(exit).toEqual({ code: 0, signal: null });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(c.logRecords().filter((r) => /failed/.test(String(r['message'])))).toEqual([]);
  }, 30_000);
});

describe('sessions adopted by another replica', () => {
  it('a session opened on A – on B another key gets 404 as for an unknown id; its own key is served there', async () => {
    const sessionId = await mustOpenSession(a.url, bearer(ops.key));

    const foreign = await sessionRequest(b.url, sessionId, bearer(reader.key), 'tools/list');
    const own = answerOf(await sessionRequest(b.url, sessionId, bearer(ops.key), 'tools/call', { name: 'echo', arguments: { message: 'on B' } }));
    const foreignAfterAdoption = await sessionRequest(b.url, sessionId, bearer(reader.key), 'tools/list');

    expect(foreign.status).toBe(404);
    expect(JSON.stringify(own.result)).toContain('on B');
    expect(foreignAfterAdoption.status).toBe(404);
    expect(foreignAfterAdoption.text).toBe(foreign.text);
  });
});

describe('rate limits shared through Redis', () => {
  it('two replicas, one budget: a burst of 10 spread over A and B – ten answered in all, then 429 with Retry-After on either', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 14; i += 1) statuses.push((await echo(i % 2 === 0 ? a : b, flood.key)).status);

    expect(statuses.filter((s) => s === 200)).toHaveLength(10);
    expect(statuses.slice(10)).toEqual([429, 429, 429, 429]);
    const refused = await echo(b, flood.key);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(answerOf(refused).error).toMatchObject({ data: { code: 'rate_limited', retry_after_ms: expect.any(Number) } });
  });

  it('an unlimited caller under a limited caller\'s flood – never refused, and its p99 no worse than under a flood of served calls at the same rate', async () => {
    /** Requests per second of each flood: 50 times the limited class's sustained rate, and more than this machine serves comfortably. */
    const FLOOD_RATE = 200;
    const measure = async (calls: number, into: number[]): Promise<void> => {
      for (let i = 0; i < calls; i += 1) {
        const started = performance.now();
        const response = await echo(a, calm.key);
        into.push(performance.now() - started);
        expect(response.status).toBe(200);
      }
    };
    /** `calls` of the calm caller while `key` floods A from a process of its own (its client work must not delay this one's timers). */
    const underFlood = async (key: string, calls: number, into: number[]) => {
      const flooder = spawn(process.execPath, ['--input-type=module', '-e', FLOOD], { env: { FLOOD_URL: a.url, FLOOD_KEY: key, FLOOD_CONNECTIONS: '16', FLOOD_RATE: String(FLOOD_RATE) }, stdio: ['pipe', 'pipe', 'inherit'] });
      let report = '';
      flooder.stdout!.on('data', (chunk: Buffer) => (report += chunk.toString()));
      const ended = new Promise<void>((resolve) => flooder.once('exit', () => resolve()));
      await new Promise((resolve) => setTimeout(resolve, 300));
      await measure(calls, into);
      flooder.stdin!.end();
      await ended;
      return JSON.parse(report) as { refused: number; answered: number; other: number; ms: number };
    };
    const p99 = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.min(xs.length - 1, Math.floor(xs.length * 0.99))]!;
    const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
    await measure(50, []); // warm-up
    const alone: number[] = [];
    const limited: number[] = [];
    const served: number[] = [];
    const floods = { limited: { refused: 0, answered: 0, other: 0, ms: 0 }, served: { refused: 0, answered: 0, other: 0, ms: 0 } };
    // Interleaved rounds, so that the shared machine's drift hits both floods alike.
    for (let round = 0; round < 3; round += 1) {
      await measure(100, alone);
      const l = await underFlood(flood.key, 100, limited);
      const s = await underFlood(ops.key, 100, served);
      for (const k of ['refused', 'answered', 'other', 'ms'] as const) {
        floods.limited[k] += l[k];
        floods.served[k] += s[k];
      }
    }

    const line = (xs: number[]) => `p99 ${p99(xs).toFixed(1)} ms, median ${median(xs).toFixed(1)} ms`;
    process.stderr.write(`calm caller: alone ${line(alone)}; under the limited flood ${line(limited)} (${JSON.stringify(floods.limited)}); under an equal served flood ${line(served)} (${JSON.stringify(floods.served)})\n`);
    expect(floods.limited.refused).toBeGreaterThan(floods.limited.answered * 10);
    // Both floods offered the same load (requests per second), whatever they were answered.
    const rate = (f: { refused: number; answered: number; ms: number }) => ((f.refused + f.answered) * 1000) / f.ms;
    expect(rate(floods.limited)).toBeGreaterThan(rate(floods.served) * 0.8);
    expect(floods.served.refused).toBe(0);
    expect(floods.limited.other + floods.served.other).toBe(0);
    // A refusal costs the server no more than a served call (a header check, no store round trip
    // once the window is known to be spent), so the limited flood must hurt the calm caller no more
    // than the same flood of served calls does; the margin absorbs the noise of a shared machine.
    expect(p99(limited)).toBeLessThan(p99(served) * 1.5 + 20);
    expect(median(limited)).toBeLessThan(median(served));
  }, 120_000);
});
