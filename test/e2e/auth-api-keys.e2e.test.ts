import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { Client } from '@modelcontextprotocol/client';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import {
  answerOf,
  authEnv,
  bearer,
  mcpPostHead,
  mustOpenSession,
  openSession,
  postWith,
  rawExchange,
  sessionRequest,
  statelessRequest,
  testApiKey,
  toolNames,
  xApiKey,
  type TestApiKey,
} from '../support/auth-http.js';
import { parseSse } from '../support/http-client.js';
import { startHttpServer, type HttpServer } from '../support/http-server.js';
import { eventually } from '../support/infra-services.js';
import { builtServerPath, createTempWorkspace, serverEnv, startClient, type TempWorkspace } from '../support/spawn-server.js';

/**
 * API keys through the built server (auth.api_keys, no OAuth): who gets in and how each refusal
 * looks on the wire (status, WWW-Authenticate, the JSON-RPC error), what each key may use, the
 * hostile-input table of the auth layer, sessions, legacy streams and tasks bound to the principal
 * that opened them, and what /ready, `config print` and a stdio client see.
 */
const run = promisify(execFile);
const TASKS = 'io.modelcontextprotocol/tasks';

let ws: TempWorkspace;
let server: HttpServer;
let ops: TestApiKey;
let reader: TestApiKey;
let expired: TestApiKey;
let env: Record<string, string>;

beforeAll(async () => {
  ws = await createTempWorkspace('tfo-auth-keys-');
  [ops, reader, expired] = await Promise.all([
    testApiKey('ops', ['tools:*', 'resources:*', 'prompts:*']),
    testApiKey('reader', ['tools:read_file', 'tools:echo', 'resources:file']),
    testApiKey('expired', ['tools:*'], { expires_at: '2020-01-01' }),
  ]);
  env = {
    ...authEnv([ops, reader, expired]),
    TELEMETRYFLOW_MCP_MCP__ROOTS: ws.root,
    TELEMETRYFLOW_MCP_MCP__TASKS__SYNC_BUDGET_MS: '100',
    TELEMETRYFLOW_MCP_EXECUTION__SECURITY__ALLOWED_COMMANDS: 'sleep,echo',
  };
  server = await startHttpServer(env);
}, 30_000);

afterAll(async () => {
  await server?.stop();
  await ws?.cleanup();
});

describe('API keys – who gets in', () => {
  it('no credential – 401, a realm challenge (no OAuth configured), auth.required, and the body was never needed', async () => {
    const response = await postWith(server.url, 'not even JSON', {});

    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer realm="tfo-mcp"');
    expect(answerOf(response)).toMatchObject({ id: null, error: { code: -32000, data: { code: 'auth.required' } } });
  });

  it.each([
    ['Authorization: Bearer', (k: TestApiKey) => bearer(k.key)],
    ['X-API-Key', (k: TestApiKey) => xApiKey(k.key)],
  ])('%s with a valid key – a session opens and a tool answers', async (_, credential) => {
    const sessionId = await mustOpenSession(server.url, credential(ops));
    const answer = answerOf(await sessionRequest(server.url, sessionId, credential(ops), 'tools/call', { name: 'echo', arguments: { message: 'hi' } }));
    expect((answer.result as { content: { text: string }[] }).content[0].text).toBe('hi');
  });

  it('a key with the right id and a wrong secret – 401 invalid_token, the same message as an unknown key', async () => {
    const wrongSecret = `${ops.key.slice(0, -1)}${ops.key.endsWith('A') ? 'B' : 'A'}`;
    const unknown = (await testApiKey('nobody', ['tools:*'])).key;

    const [a, b] = await Promise.all([postWith(server.url, '{}', bearer(wrongSecret)), postWith(server.url, '{}', bearer(unknown))]);

    for (const response of [a, b]) {
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toBe('Bearer realm="tfo-mcp", error="invalid_token", error_description="invalid API key"');
      expect(answerOf(response).error).toMatchObject({ message: 'Unauthorized: invalid API key', data: { code: 'auth.invalid_token' } });
    }
  });

  it('an expired key – 401 naming the expiry', async () => {
    const response = await postWith(server.url, '{}', xApiKey(expired.key));
    expect(response.status).toBe(401);
    expect(answerOf(response).error?.message).toContain('API key "expired" expired at 2020-01-01T00:00:00.000Z');
  });

  it('the real SDK client (v2) with the key as its AuthProvider token – connects and calls a tool on 2026-07-28', async () => {
    const client = new Client({ name: 'auth-e2e-sdk', version: '1.0.0' });
    const transport = new StreamableHTTPClientTransport(new URL(server.url), { authProvider: { token: async () => reader.key } });
    await client.connect(transport);
    try {
      const result = await client.callTool({ name: 'echo', arguments: { message: 'via sdk' } });
      expect((result.content as { text: string }[])[0]?.text).toBe('via sdk');
    } finally {
      await client.close();
    }
  });
});

describe('API keys – what each key may use', () => {
  it('tools/list – the reader key sees only its granted tools, the ops key all of them', async () => {
    const readerSession = await mustOpenSession(server.url, bearer(reader.key));
    const opsSession = await mustOpenSession(server.url, bearer(ops.key));

    expect(toolNames(await sessionRequest(server.url, readerSession, bearer(reader.key), 'tools/list'))).toEqual(['echo', 'read_file']);
    expect(toolNames(await sessionRequest(server.url, opsSession, bearer(ops.key), 'tools/list'))).toEqual(expect.arrayContaining(['echo', 'execute_command', 'read_file', 'write_file']));
  });

  it('a tool outside the grants – the tool-error envelope naming the missing grant, and the file is not written', async () => {
    const sessionId = await mustOpenSession(server.url, bearer(reader.key));

    const target = path.join(ws.root, 'written.txt');
    const answer = answerOf(await sessionRequest(server.url, sessionId, bearer(reader.key), 'tools/call', { name: 'write_file', arguments: { path: target, content: 'x' } }));

    expect(answer.error).toBeUndefined();
    expect(answer.result).toMatchObject({ isError: true });
    expect(JSON.stringify(answer.result)).toContain('tools:write_file');
    expect(existsSync(target)).toBe(false);
  });

  it('a granted tool and a granted resource scheme – served (read_file, resources/read file://)', async () => {
    const sessionId = await mustOpenSession(server.url, bearer(reader.key));
    const read = answerOf(await sessionRequest(server.url, sessionId, bearer(reader.key), 'tools/call', { name: 'read_file', arguments: { path: ws.files.text } }));
    expect(JSON.stringify(read.result)).toContain('gamma needle three');
    const resource = answerOf(await sessionRequest(server.url, sessionId, bearer(reader.key), 'resources/read', { uri: `file://${ws.files.text}` }));
    expect(JSON.stringify(resource.result)).toContain('gamma needle three');
  });

  it('a resource scheme outside the grants – the JSON-RPC error of an unknown resource, naming the missing grant', async () => {
    const sessionId = await mustOpenSession(server.url, bearer(reader.key));
    const opsSession = await mustOpenSession(server.url, bearer(ops.key));

    const denied = answerOf(await sessionRequest(server.url, sessionId, bearer(reader.key), 'resources/read', { uri: 'config://server' }));
    const unknown = answerOf(await sessionRequest(server.url, opsSession, bearer(ops.key), 'resources/read', { uri: 'config://no-such-resource' }));

    expect(unknown.error?.code).toBeDefined();
    expect(denied.error?.code).toBe(unknown.error?.code);
    expect(denied.error?.message).toContain('resources:config');
    expect(JSON.stringify(denied)).not.toContain('"server"');
  });
});

describe('auth layer – hostile input', () => {
  it('two Authorization headers (header smuggling) – 400 invalid_request, neither is tried', async () => {
    const answer = await rawExchange(server.port, mcpPostHead([`Authorization: Bearer ${ops.key}`, `Authorization: Bearer ${reader.key}`]), '{}');
    expect(answer.status).toBe(400);
    expect(answer.headers).toContain('error="invalid_request"');
    expect(answer.body).toContain('more than one Authorization header');
  });

  it('two X-API-Key headers, or one beside Authorization – 400 invalid_request', async () => {
    const twice = await rawExchange(server.port, mcpPostHead([`X-API-Key: ${ops.key}`, `X-API-Key: ${ops.key}`]), '{}');
    const both = await rawExchange(server.port, mcpPostHead([`X-API-Key: ${ops.key}`, `Authorization: Bearer ${ops.key}`]), '{}');
    expect([twice.status, both.status]).toEqual([400, 400]);
    expect(twice.body).toContain('more than one X-API-Key header');
    expect(both.body).toContain('both Authorization and X-API-Key are set');
  });

  it('very long credentials – refused without work: a 300-character key 401, a 12 KB bearer 401, a 20 KB header 431 from the HTTP parser', async () => {
    const longKey = await postWith(server.url, '{}', xApiKey(`tfo_${'a'.repeat(296)}`));
    expect(longKey.status).toBe(401);
    expect(answerOf(longKey).error?.message).toContain('API key too long');
    const longBearer = await postWith(server.url, '{}', bearer(`${'a'.repeat(4000)}.${'b'.repeat(4000)}.${'c'.repeat(4000)}`));
    expect(longBearer.status).toBe(401);
    const huge = await rawExchange(server.port, mcpPostHead([`Authorization: Bearer ${'x'.repeat(20_000)}`]), '{}');
    expect(huge.status).toBe(431);
  });

  it('non-ASCII in a key, and a control byte – refused (400/401), never a crash; the server answers on', async () => {
    const accented = Buffer.concat([Buffer.from(mcpPostHead([]).join('\r\n') + `\r\nHost: 127.0.0.1:${server.port}\r\nConnection: close\r\nContent-Length: 2\r\nX-API-Key: tfo_`), Buffer.from('clé', 'utf8'), Buffer.from('\r\n\r\n')]);
    const nonAscii = await rawExchange(server.port, accented, '{}');
    expect([400, 401]).toContain(nonAscii.status);
    const control = await rawExchange(server.port, mcpPostHead(['Authorization: Bearer abc\x01def']), '{}');
    expect(control.status).toBe(400);
    expect((await postWith(server.url, { jsonrpc: '2.0', id: 1, method: 'ping' }, bearer(ops.key))).status).not.toBe(401);
  });

  it('key comparison timing – a wrong secret that matches all but its last character costs what a wholly wrong one does (one scrypt each)', async () => {
    const id = ops.key.slice(0, 'tfo_'.length + 12);
    const secret = ops.key.slice(id.length + 1);
    const alphabet = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
    const near = (i: number) => `${id}_${secret.slice(0, -1)}${alphabet[(alphabet.indexOf(secret.at(-1)!) + 1 + i) % 62]}`;
    const far = (i: number) => `${id}_${[...secret].map((c, j) => alphabet[(alphabet.indexOf(c) + 7 + i + j) % 62]).join('')}`;
    const time = async (key: string) => {
      const started = process.hrtime.bigint();
      const response = await postWith(server.url, '{}', xApiKey(key));
      expect(response.status).toBe(401);
      return Number(process.hrtime.bigint() - started) / 1e6;
    };
    const nearTimes: number[] = [];
    const farTimes: number[] = [];
    // Interleaved, each key once (a second try would be answered from the verdict cache).
    for (let i = 0; i < 20; i += 1) {
      nearTimes.push(await time(near(i)));
      farTimes.push(await time(far(i)));
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const ratio = median(nearTimes) / median(farTimes);
    expect(ratio).toBeGreaterThan(0.5);
    expect(ratio).toBeLessThan(2);
  });
});

describe('sessions and tasks belong to the principal that opened them', () => {
  const unknownSessionAnswer = async (credential: Record<string, string>) => postWith(server.url, { jsonrpc: '2.0', id: 7, method: 'tools/list', params: {} }, { ...credential, 'Mcp-Session-Id': randomUUID(), 'MCP-Protocol-Version': '2025-11-25' });

  it('another key presenting a session id – 404 word for word as an unknown id, on POST, GET and DELETE; the owner carries on', async () => {
    const sessionId = await mustOpenSession(server.url, bearer(ops.key));
    const unknown = await unknownSessionAnswer(bearer(reader.key));

    const foreign = await sessionRequest(server.url, sessionId, bearer(reader.key), 'tools/list');
    const get = await fetch(server.url, { headers: { ...bearer(reader.key), Accept: 'text/event-stream', 'Mcp-Session-Id': sessionId } });
    const del = await fetch(server.url, { method: 'DELETE', headers: { ...bearer(reader.key), 'Mcp-Session-Id': sessionId } });

    expect(unknown.status).toBe(404);
    expect(foreign.status).toBe(404);
    expect(foreign.text).toBe(unknown.text);
    expect([get.status, del.status]).toEqual([404, 404]);
    await get.body?.cancel();
    await del.body?.cancel();
    const still = answerOf(await sessionRequest(server.url, sessionId, bearer(ops.key), 'tools/call', { name: 'echo', arguments: { message: 'still mine' } }));
    expect(JSON.stringify(still.result)).toContain('still mine');
  });

  it('the same key through the other header – the same principal, so the same session', async () => {
    const sessionId = await mustOpenSession(server.url, bearer(ops.key));
    const viaHeader = answerOf(await sessionRequest(server.url, sessionId, xApiKey(ops.key), 'ping'));
    expect(viaHeader.error).toBeUndefined();
  });

  it('legacy HTTP+SSE – another key posting to a stream\'s /messages endpoint gets the unknown-session 404', async () => {
    const controller = new AbortController();
    const stream = await fetch(`${server.base}/sse`, { headers: { ...bearer(ops.key), Accept: 'text/event-stream' }, signal: controller.signal });
    expect(stream.status).toBe(200);
    const reader_ = stream.body!.getReader();
    let buffer = '';
    let endpoint: string | undefined;
    while (endpoint === undefined) {
      const { value, done } = await reader_.read();
      if (done) throw new Error('the SSE stream ended before its endpoint event');
      buffer += new TextDecoder().decode(value);
      endpoint = parseSse(buffer).events.find((e) => e.event === 'endpoint')?.data;
    }
    const ping = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' });
    const headers = { 'Content-Type': 'application/json' };

    const foreign = await fetch(`${server.base}${endpoint}`, { method: 'POST', headers: { ...headers, ...bearer(reader.key) }, body: ping });
    const unknown = await fetch(`${server.base}/messages?sessionId=${randomUUID()}`, { method: 'POST', headers: { ...headers, ...bearer(reader.key) }, body: ping });
    const own = await fetch(`${server.base}${endpoint}`, { method: 'POST', headers: { ...headers, ...bearer(ops.key) }, body: ping });

    expect(foreign.status).toBe(404);
    expect(await foreign.text()).toBe(await unknown.text());
    expect(own.status).toBe(202);
    await own.body?.cancel();
    controller.abort();
  });

  it('a task started by one key – tasks/get and tasks/cancel by another answer as for an unknown task id; the owner sees it working', async () => {
    const caps = { extensions: { [TASKS]: {} } };
    const started = answerOf(await statelessRequest(server.url, bearer(ops.key), 'tools/call', { name: 'execute_command', arguments: { command: 'sleep', args: ['3'] } }, caps));
    expect(started).toMatchObject({ result: { resultType: 'task', taskId: expect.any(String) } });
    const taskId = (started.result as { taskId: string }).taskId;

    const foreign = answerOf(await statelessRequest(server.url, bearer(reader.key), 'tasks/get', { taskId }, caps));
    const unknownId = randomUUID();
    const unknown = answerOf(await statelessRequest(server.url, bearer(reader.key), 'tasks/get', { taskId: unknownId }, caps));
    const cancel = answerOf(await statelessRequest(server.url, bearer(reader.key), 'tasks/cancel', { taskId }, caps));

    expect(foreign.error).toBeDefined();
    expect(JSON.stringify(foreign.error).replaceAll(taskId, 'ID')).toBe(JSON.stringify(unknown.error).replaceAll(unknownId, 'ID'));
    expect(cancel.error?.code).toBe(unknown.error?.code);
    const own = answerOf(await statelessRequest(server.url, bearer(ops.key), 'tasks/get', { taskId }, caps));
    expect(own.result).toMatchObject({ status: 'working' });
    await statelessRequest(server.url, bearer(ops.key), 'tasks/cancel', { taskId }, caps);
  });
});

describe('what operators see', () => {
  it('/ready (no credential) – the mechanisms in force and the limits; no key name, hash or key', async () => {
    const response = await fetch(`${server.base}/ready`);
    const body = (await response.json()) as Record<string, unknown>;

    expect(response.status).toBe(200);
    expect(body).toMatchObject({ ready: true, authentication: { api_keys: { store: 'config', in_config: 3 } }, rate_limits: { enabled: false } });
    const text = JSON.stringify(body);
    for (const k of [ops, reader, expired]) {
      expect(text).not.toContain(k.key);
      expect(text).not.toContain(k.entry.hash.split('$').at(-1));
    }
  });

  it('`tfo-mcp config print` – each key with its name, grants and expiry, every hash redacted', async () => {
    const { stdout } = await run(process.execPath, [builtServerPath(), 'config', 'print'], { env: serverEnv(env), cwd: ws.root });
    const printed = JSON.parse(stdout) as { auth: { api_keys: Record<string, unknown>[] } };

    expect(printed.auth.api_keys.map((k) => [k['name'], k['grants'], k['hash']])).toEqual([
      ['ops', ['tools:*', 'resources:*', 'prompts:*'], '[redacted]'],
      ['reader', ['tools:read_file', 'tools:echo', 'resources:file'], '[redacted]'],
      ['expired', ['tools:*'], '[redacted]'],
    ]);
    for (const k of [ops, reader, expired]) expect(stdout).not.toContain(k.entry.hash.split('$').at(-1));
  });

  it('a non-loopback bind – valid with API keys configured, refused without any auth', async () => {
    const remote = { TELEMETRYFLOW_MCP_SERVER__HTTP__HOST: '0.0.0.0', TELEMETRYFLOW_MCP_MCP__ROOTS: ws.root };
    const withKeys = await run(process.execPath, [builtServerPath(), 'config', 'validate'], { env: serverEnv({ ...remote, ...authEnv([ops]) }), cwd: ws.root });
    expect(withKeys.stdout).toContain('configuration is valid');
    const without = await run(process.execPath, [builtServerPath(), 'config', 'validate'], { env: serverEnv(remote), cwd: ws.root }).catch((error: { code: number; stderr: string }) => error);
    expect(without).toMatchObject({ code: 2, stderr: expect.stringContaining('refusing to listen on non-loopback address "0.0.0.0" without authentication') });
  });

  it('the log never carries a key or a hash', async () => {
    await eventually(() => (server.stderr().length > 0 ? true : undefined), 2_000, 'some log output');
    for (const k of [ops, reader, expired]) {
      expect(server.stderr()).not.toContain(k.key);
      expect(server.stderr()).not.toContain(k.entry.hash.split('$').at(-1));
    }
  });
});

describe('stdio: the local user with auth.stdio_grants', () => {
  it('stdio_grants tools:echo – tools/list shows echo alone, read_file answers the envelope naming tools:read_file', async () => {
    const h = await startClient({ TELEMETRYFLOW_MCP_MCP__ROOTS: ws.root, TELEMETRYFLOW_MCP_AUTH__STDIO_GRANTS: 'tools:echo' });
    try {
      const { tools } = await h.client.listTools();
      expect(tools.map((t) => t.name)).toEqual(['echo']);
      const denied = await h.client.callTool({ name: 'read_file', arguments: { path: ws.files.text } });
      expect(denied.isError).toBe(true);
      expect(JSON.stringify(denied)).toContain('tools:read_file');
      expect(JSON.stringify(denied)).not.toContain('gamma needle three');
    } finally {
      await h.close();
    }
  });
});
