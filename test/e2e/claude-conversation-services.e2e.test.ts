/**
 * claude_conversation on the real services (Postgres, NATS JetStream; scripts/services.sh): a
 * conversation started by one stdio server process is continued by id after that process exited —
 * a new connection and a server restart at once — and its events travel the outbox to NATS without
 * message text and without the API key, which also stays out of the stored transcript.
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { reply, startFakeAnthropic, type FakeAnthropic } from '../support/fake-anthropic.js';
import {
  SHARED,
  createPgDatabase,
  deleteStream,
  eventually,
  infraEnv,
  readStreamDurable,
  uniqueStream,
  waitForOutboxPublished,
  type DurableRead,
  type OutboxRow,
  type PgDatabase,
  type TestStream,
} from '../support/infra-services.js';
import { startClient, type ClientHandle } from '../support/spawn-server.js';
import { createTempWorkspace, type TempWorkspace } from '../support/temp-workspace.js';

const KEY = 'sk-ant-e2e-CANARY-services-93d1c07be5';
const QUESTION = 'Which city is the capital of France?';

type Turn = { conversation_id: string; stop_reason: string; iterations: number };

async function chat(client: Client, args: Record<string, unknown>): Promise<CallToolResult> {
  return (await client.callTool({ name: 'claude_conversation', arguments: args }, undefined, { timeout: 30_000 })) as CallToolResult;
}

let ws: TempWorkspace;
let db: PgDatabase;
let stream: TestStream;
let fake: FakeAnthropic;
let env: Record<string, string>;

let started: Turn;
let continued: CallToolResult;
let failed: CallToolResult;
let listedAfterRestart: CallToolResult;
let transcriptAfterRestart: string;
let stderrs: string[];
let outbox: OutboxRow[];
let natsRead: DurableRead;
let storedRows: string;

beforeAll(async () => {
  ws = await createTempWorkspace('tfo-claude-services-');
  db = await createPgDatabase();
  stream = uniqueStream();
  fake = await startFakeAnthropic([reply.text('Paris.'), reply.text('About two million people.'), reply.unauthorized()], { apiKey: KEY });
  env = infraEnv({
    root: ws.root,
    postgresUrl: db.url,
    events: { url: SHARED.nats, stream: stream.name, subjectPrefix: stream.subjectPrefix },
    extra: {
      TELEMETRYFLOW_MCP_EVENTS__NATS__STORAGE: 'memory',
      TELEMETRYFLOW_MCP_LOGGING__LEVEL: 'debug',
      ANTHROPIC_API_KEY: KEY,
      ANTHROPIC_BASE_URL: fake.url,
    },
  });

  // 1. The first server process starts the conversation, then exits with its client.
  const first: ClientHandle = await startClient(env, { cwd: ws.root, clientName: 'claude-first' });
  try {
    started = (await chat(first.client, { message: QUESTION, system: 'One line answers.' })).structuredContent as Turn;
  } finally {
    await first.close();
  }

  // 2. A new process (a restart, and a new connection) continues it by id from Postgres.
  const second: ClientHandle = await startClient(env, { cwd: ws.root, clientName: 'claude-second' });
  try {
    listedAfterRestart = (await second.client.callTool({ name: 'list_conversations', arguments: {} })) as CallToolResult;
    continued = await chat(second.client, { message: 'And its population?', conversation_id: started.conversation_id });
    failed = await chat(second.client, { message: 'One more?', conversation_id: started.conversation_id });
    const read = await second.client.readResource({ uri: `conversation://${started.conversation_id}` });
    transcriptAfterRestart = (read.contents[0] as { text: string }).text;
  } finally {
    await second.close();
  }
  stderrs = [first.stderr(), second.stderr()];

  outbox = await eventually(
    async () => {
      const rows = await waitForOutboxPublished(db, 15_000);
      return rows.some((r) => r.type === 'conversation.failed') ? rows : undefined;
    },
    15_000,
    'the conversation events published',
    100,
  );
  natsRead = await readStreamDurable(SHARED.nats, stream.name, outbox.length);
  const rows = await db.query('SELECT row_to_json(c)::text AS row FROM conversations c UNION ALL SELECT row_to_json(m)::text FROM conversation_messages m');
  storedRows = rows.map((r) => String(r['row'])).join('\n');
}, 90_000);

afterAll(async () => {
  await fake?.stop();
  await deleteStream(SHARED.nats, stream.name).catch(() => undefined);
  await db?.drop().catch(() => undefined);
  await ws?.cleanup();
}, 30_000);

describe('claude_conversation on Postgres and NATS (built server over stdio)', () => {
  it('a conversation is continued by id across a server restart, its whole history sent again', () => {
    expect(started).toMatchObject({ stop_reason: 'end_turn', iterations: 1 });
    expect(continued.isError).toBeFalsy();
    expect(continued.structuredContent).toMatchObject({ conversation_id: started.conversation_id, stop_reason: 'end_turn' });
    expect(continued.content).toEqual([{ type: 'text', text: 'About two million people.' }]);
    const body = fake.messages()[1];
    expect(body.messages.map((m: { role: string }) => m.role)).toEqual(['user', 'assistant', 'user']);
    expect(JSON.stringify(body.messages)).toContain(QUESTION);
    expect(JSON.stringify(body.system)).toContain('One line answers.');
  });

  it('the restarted server lists it and serves its transcript, the failed turn included', () => {
    expect(listedAfterRestart.structuredContent).toMatchObject({ conversations: [{ id: started.conversation_id, title: QUESTION, status: 'completed', messages: 2 }] });
    expect(failed.isError).toBe(true);
    expect(failed.structuredContent).toMatchObject({ retryable: false, context: { code: 'llm.auth', conversation_id: started.conversation_id } });
    const transcript = JSON.parse(transcriptAfterRestart) as { status: string; messages: { role: string }[] };
    expect(transcript.status).toBe('failed');
    expect(transcript.messages.map((m) => m.role)).toEqual(['user', 'assistant', 'user', 'assistant', 'user', 'assistant']);
  });

  it('its events go through the outbox to NATS, once each, with counts and codes but no message text', () => {
    const types = outbox.filter((r) => r.type.startsWith('conversation.')).map((r) => r.type);
    expect(types[0]).toBe('conversation.started');
    expect(types.filter((t) => t === 'conversation.completed')).toHaveLength(2);
    expect(types.filter((t) => t === 'conversation.failed')).toHaveLength(1);
    const nats = natsRead.events.filter((e) => e.envelope.type.startsWith('conversation.'));
    expect(nats.map((e) => e.envelope.id).sort()).toEqual(outbox.filter((r) => r.type.startsWith('conversation.')).map((r) => r.event_id).sort());
    const completed = nats.find((e) => e.envelope.type === 'conversation.completed');
    expect(completed?.envelope.data).toMatchObject({ stopReason: 'end_turn', iterations: 1, usage: { inputTokens: expect.any(Number) } });
    for (const text of [JSON.stringify(outbox), JSON.stringify(natsRead.events)]) {
      expect(text).not.toContain(QUESTION);
      expect(text).not.toContain('About two million');
    }
  });

  it('the key is nowhere: not in the outbox, NATS, the stored transcript, any answer, or stderr', () => {
    const everything = [JSON.stringify(outbox), JSON.stringify(natsRead.events), storedRows, transcriptAfterRestart, JSON.stringify(continued), JSON.stringify(failed), ...stderrs];
    for (const text of everything) expect(text).not.toContain(KEY);
    expect(storedRows).toContain(QUESTION);
  });
});
