import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { startHttpServer, type HttpServer } from '../support/http-server.js';
import { eventually } from '../support/infra-services.js';
import { ListenStream, statelessHeaders, statelessMeta } from '../support/stateless-http.js';
import { processesWithArg } from '../support/processes.js';
import { createTempWorkspace, type TempWorkspace } from '../support/spawn-server.js';

/**
 * The tasks extension (SEP-2663) on two replicas sharing Postgres, no sticky anything: a task
 * started through replica A is polled, answered and cancelled through replica B, and a cancelled
 * `execute_command` leaves no process behind on A; a listen stream on A hears A's task change status.
 */
const PG_URL = process.env['TFO_PG_URL'];
const TASKS = 'io.modelcontextprotocol/tasks';
const SUB = 'io.modelcontextprotocol/subscriptionId';

type Answer = { status: number; body: { id: unknown; result?: Record<string, unknown>; error?: { code: number; message: string; data?: Record<string, unknown> } } };

function databaseUrl(base: string, database: string): string {
  const url = new URL(base);
  url.pathname = `/${database}`;
  return url.toString();
}

/** One 2026-07-28 request; `capabilities` is what this request declares (per request, as the revision has it). */
async function call(server: HttpServer, method: string, params: Record<string, unknown>, capabilities: Record<string, unknown> = { elicitation: {}, extensions: { [TASKS]: {} } }): Promise<Answer> {
  const name = typeof params['name'] === 'string' ? params['name'] : typeof params['taskId'] === 'string' ? params['taskId'] : undefined;
  const res = await fetch(server.url, {
    method: 'POST',
    headers: statelessHeaders(method, name),
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params: { ...params, _meta: statelessMeta('tasks-e2e', capabilities) } }),
  });
  const text = await res.text();
  // A call that sent notifications first answers as SSE: the last data line is the answer.
  const json = res.headers.get('content-type')?.includes('text/event-stream') ? text.split('\n').filter((l) => l.startsWith('data:')).pop()!.slice(5) : text;
  return { status: res.status, body: JSON.parse(json) as Answer['body'] };
}

const withArg = processesWithArg;

describe('tasks across two replicas sharing Postgres (built server, 2026-07-28 over HTTP)', () => {
  const database = `t_tasks_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: PG_URL });
  let ws: TempWorkspace;
  let a: HttpServer;
  let b: HttpServer;
  let created = false;

  beforeAll(async () => {
    if (!PG_URL) throw new Error('TFO_PG_URL must be set: run `eval "$(bash scripts/services.sh up)"` (npm test does)');
    await admin.connect();
    await admin.query(`CREATE DATABASE ${database}`);
    created = true;
    ws = await createTempWorkspace('tfo-tasks-e2e-');
    const env = {
      TELEMETRYFLOW_MCP_PERSISTENCE__DRIVER: 'postgres',
      TELEMETRYFLOW_MCP_PERSISTENCE__POSTGRES__URL: databaseUrl(PG_URL, database),
      TELEMETRYFLOW_MCP_EVENTS__DRIVER: 'none',
      TELEMETRYFLOW_MCP_MCP__ROOTS: ws.root,
      TELEMETRYFLOW_MCP_MCP__FIXTURES__CONFORMANCE: 'true',
      TELEMETRYFLOW_MCP_MCP__TASKS__SYNC_BUDGET_MS: '300',
      TELEMETRYFLOW_MCP_MCP__TASKS__POLL_INTERVAL_MS: '200',
      TELEMETRYFLOW_MCP_MCP__TIMEOUTS__TOOL_MS: '700000',
      TELEMETRYFLOW_MCP_SECURITY__ALLOWED_COMMANDS: 'sleep,echo',
      TELEMETRYFLOW_MCP_SECURITY__MAX_COMMAND_TIMEOUT_MS: '700000',
      TELEMETRYFLOW_MCP_LOGGING__LEVEL: 'warn',
    };
    [a, b] = await Promise.all([startHttpServer(env), startHttpServer(env)]);
  }, 60_000);

  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await ws?.cleanup();
    if (created) await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    if (PG_URL) await admin.end();
  });

  const statusOn = async (server: HttpServer, taskId: string) => (await call(server, 'tasks/get', { taskId })).body.result?.['status'];

  it('execute_command `sleep 600` started on A becomes a task; B reads it working, cancels it, and the process is gone from A', async () => {
    const marker = `600.${process.pid}${randomBytes(3).readUIntBE(0, 3)}`;

    const started = await call(a, 'tools/call', { name: 'execute_command', arguments: { command: 'sleep', args: [marker], timeout_ms: 650_000 } });

    expect(started.status).toBe(200);
    expect(started.body.result).toMatchObject({ resultType: 'task', status: 'working', taskId: expect.any(String), ttlMs: expect.any(Number) });
    const taskId = started.body.result!['taskId'] as string;
    expect(withArg(marker).length).toBeGreaterThan(0); // the sleep (and the executor's wrappers around it)
    expect(await statusOn(b, taskId)).toBe('working');

    const cancel = await call(b, 'tasks/cancel', { taskId });

    expect(cancel.body.result).toEqual({ resultType: 'complete', _meta: expect.any(Object) });
    await eventually(() => (withArg(marker).length === 0 ? true : undefined), 5_000, 'the sleep process to end');
    expect(await statusOn(a, taskId)).toBe('cancelled');
    expect(await statusOn(b, taskId)).toBe('cancelled');
    // Idempotent on a terminal task, from either replica.
    expect((await call(a, 'tasks/cancel', { taskId })).body.result).toMatchObject({ resultType: 'complete' });
  }, 30_000);

  it('a task that asks the user (confirm_delete) on A shows its question on B; answered through B, it completes, and A reads the result', async () => {
    const started = await call(a, 'tools/call', { name: 'confirm_delete', arguments: { filename: 'report.txt' } });
    const taskId = started.body.result!['taskId'] as string;
    expect(started.body.result!['resultType']).toBe('task');

    await eventually(async () => ((await statusOn(b, taskId)) === 'input_required' ? true : undefined), 5_000, 'input_required on B');
    const parked = (await call(b, 'tasks/get', { taskId })).body.result!;
    const [key] = Object.keys(parked['inputRequests'] as Record<string, unknown>);
    expect((parked['inputRequests'] as Record<string, { method: string }>)[key!].method).toBe('elicitation/create');

    const bad = await call(b, 'tasks/update', { taskId, inputResponses: { [key!]: { action: 'maybe' } } });
    expect(bad.body.error).toMatchObject({ code: -32602, message: expect.stringContaining(key!) });

    const update = await call(b, 'tasks/update', { taskId, inputResponses: { [key!]: { action: 'accept', content: { confirm: true } } } });
    expect(update.body.result).toMatchObject({ resultType: 'complete' });
    expect(Object.keys(update.body.result!).sort()).toEqual(['_meta', 'resultType']);

    await eventually(async () => ((await statusOn(a, taskId)) === 'completed' ? true : undefined), 5_000, 'completed on A');
    const done = (await call(a, 'tasks/get', { taskId })).body.result!;
    expect((done['result'] as { content: { text: string }[] }).content[0]!.text).toBe('Confirmed: report.txt would be deleted');
  }, 30_000);

  it('a quick call of a task-supporting tool answers inline; without the extension tasks/* and task-required tools are -32021 at HTTP 400', async () => {
    const quick = await call(a, 'tools/call', { name: 'slow_compute', arguments: { seconds: 0 } });
    expect(quick.body.result).toMatchObject({ resultType: 'complete', content: [{ type: 'text', text: expect.stringContaining('finished') }] });

    const plain = { elicitation: {} };
    const get = await call(b, 'tasks/get', { taskId: 'whatever' }, plain);
    expect(get.status).toBe(400);
    expect(get.body.error).toMatchObject({ code: -32021, data: { requiredCapabilities: { extensions: { [TASKS]: {} } } } });
    const required = await call(a, 'tools/call', { name: 'failing_job', arguments: {} }, plain);
    expect(required.status).toBe(400);
    expect(required.body.error).toMatchObject({ code: -32021, data: { requiredCapabilities: { extensions: { [TASKS]: {} } } } });
    // Task-supporting but optional: runs inline for a client without the extension.
    const inline = await call(a, 'tools/call', { name: 'slow_compute', arguments: { seconds: 1 } }, plain);
    expect(inline.body.result).toMatchObject({ resultType: 'complete' });
  }, 30_000);

  it('a subscriptions/listen stream on A naming a task of A hears notifications/tasks working then completed, each tagged with its subscriptionId', async () => {
    // Changes are pushed only by the replica that stored them (TaskService.onStatusChange is per
    // replica): a stream on B would not hear this task, and an update sent through B would store the
    // `working` change there. So the task is started, answered and finished on A, where the stream is.
    // The task must exist before a stream can name it, so its first `working` (at creation) comes
    // before any stream: confirm_delete parks in input_required, and its answer makes it `working`
    // again while the stream listens (a slow_compute task would only be heard `completed`).
    const started = await call(a, 'tools/call', { name: 'confirm_delete', arguments: { filename: 'notes.txt' } });
    const taskId = started.body.result!['taskId'] as string;
    expect(started.body.result!['resultType']).toBe('task');
    await eventually(async () => ((await statusOn(a, taskId)) === 'input_required' ? true : undefined), 5_000, 'input_required on A');
    const key = Object.keys((await call(a, 'tasks/get', { taskId })).body.result!['inputRequests'] as Record<string, unknown>)[0]!;

    const stream = await ListenStream.open(a.url, 'task-watch-1', { taskIds: [taskId] }, statelessMeta('tasks-e2e', { extensions: { [TASKS]: {} } }));
    try {
      expect(stream).toMatchObject({ status: 200, contentType: 'text/event-stream' });
      expect(await stream.frame(0)).toEqual({
        jsonrpc: '2.0',
        method: 'notifications/subscriptions/acknowledged',
        params: { notifications: { taskIds: [taskId] }, _meta: { [SUB]: 'task-watch-1' } },
      });

      const update = await call(a, 'tasks/update', { taskId, inputResponses: { [key]: { action: 'accept', content: { confirm: true } } } });
      expect(update.body.result).toMatchObject({ resultType: 'complete' });

      const heard = () => stream.frames.filter((f) => f.method === 'notifications/tasks');
      await eventually(() => (heard().some((f) => f.params?.['status'] === 'completed') ? true : undefined), 5_000, 'notifications/tasks completed on the stream');
      expect(heard().map((f) => f.params?.['status'])).toEqual(['working', 'completed']);
      for (const frame of heard()) expect(frame.params).toMatchObject({ taskId, _meta: { [SUB]: 'task-watch-1' } });
      expect(heard()[0]!.params).not.toHaveProperty('inputRequests');
      expect(heard()[1]!.params).toMatchObject({ result: { content: [{ type: 'text', text: 'Confirmed: notes.txt would be deleted' }] } });
    } finally {
      stream.hangUp();
    }
  }, 30_000);

  it('an unknown task id is -32602 on every tasks method; tasks/result and tasks/list are -32601', async () => {
    for (const method of ['tasks/get', 'tasks/cancel']) {
      expect((await call(b, method, { taskId: 'no-such-task' })).body.error).toMatchObject({ code: -32602 });
    }
    expect((await call(b, 'tasks/update', { taskId: 'no-such-task', inputResponses: {} })).body.error).toMatchObject({ code: -32602 });
    expect((await call(b, 'tasks/result', { taskId: 'no-such-task' })).body.error).toMatchObject({ code: -32601 });
  });
});
