import { FrameGenerator, INVALID_PARAMS, INVALID_REQUEST, PARSE_ERROR, type Frame } from '../support/frame-generator.js';
import { RawServer, createTempWorkspace, delay, stdoutProblems, type JsonRpcId, type JsonRpcMessage, type TempWorkspace } from '../support/spawn-server.js';

const SEED = 0x5eed_2025;
const FRAME_COUNT = 2400;
const BATCH = 150;
const MAX_MESSAGE_BYTES = 65_536;

const keyOf = (id: JsonRpcId | undefined) => JSON.stringify(id ?? null);
const isResponse = (m: JsonRpcMessage) => 'id' in m && ('result' in m || 'error' in m);

describe('protocol robustness over raw stdio', () => {
  let ws: TempWorkspace;
  let server: RawServer;
  let seq = 0;
  const next = (prefix: string) => `${prefix}-${(seq += 1)}`;
  /** initialize once, whichever test needs it first (so -t filtering still works). */
  let initialized: Promise<JsonRpcMessage> | undefined;
  const ready = () => (initialized ??= server.initialize('2025-06-18'));

  beforeAll(async () => {
    ws = await createTempWorkspace('tfo-mcp-robust-');
    server = await RawServer.start(
      {
        TELEMETRYFLOW_MCP_MCP__ROOTS: ws.root,
        TELEMETRYFLOW_MCP_MCP__MAX_MESSAGE_BYTES: String(MAX_MESSAGE_BYTES),
        TELEMETRYFLOW_MCP_LOGGING__LEVEL: 'debug',
      },
      { cwd: ws.root, timeoutMs: 15_000 },
    );
  });

  afterAll(async () => {
    await server?.stop();
    await ws?.cleanup();
  });

  it('before initialize – tools/list and prompts/list – -32600 naming initialize; ping – answered', async () => {
    const list = await server.request({ id: next('pre'), method: 'tools/list' });
    expect(list.error?.code).toBe(INVALID_REQUEST);
    expect(list.error?.message).toMatch(/initialize/);
    const prompts = await server.request({ id: next('pre'), method: 'prompts/list' });
    expect(prompts.error?.code).toBe(INVALID_REQUEST);
    const ping = await server.request({ id: next('pre'), method: 'ping' });
    expect(ping.result).toEqual({});
  });

  it('initialize – then notifications/initialized – negotiated and ready', async () => {
    const response = await ready();
    expect(response.result?.['protocolVersion']).toBe('2025-06-18');
    const echo = await server.request({ id: next('init'), method: 'tools/call', params: { name: 'echo', arguments: { message: 'ready' } } });
    expect(echo.result?.['structuredContent']).toEqual({ message: 'ready' });
  });

  it(`${FRAME_COUNT}+ seeded frames (seed ${SEED.toString(16)}) – each answered exactly as it must be, nothing else answered`, async () => {
    await ready();
    const { frames, text } = new FrameGenerator(SEED, 'fz').frames(FRAME_COUNT);
    expect(frames.length).toBeGreaterThanOrEqual(FRAME_COUNT);
    const start = server.messages.length;

    const byId = new Map<string, Frame>();
    const nullErrors = new Map<number, number>();
    for (const frame of frames) {
      const e = frame.expect;
      if (e.kind === 'result' || e.kind === 'error') {
        expect(byId.has(keyOf(e.id))).toBe(false); // the generator must keep ids unique
        byId.set(keyOf(e.id), frame);
      } else if (e.kind === 'null-error') {
        nullErrors.set(e.code, (nullErrors.get(e.code) ?? 0) + 1);
      }
    }
    // Every category is exercised.
    const categories = new Set(frames.map((f) => f.category));
    for (const category of ['invalid-json', 'not-an-object', 'wrong-jsonrpc', 'bad-method', 'bad-id-type', 'id-too-long', 'extra-member', 'params-not-object', 'bad-meta', 'unknown-method', 'invalid-params', 'notification', 'blank', 'unsolicited-response', 'malformed-response']) {
      expect(categories).toContain(category);
    }

    for (let i = 0; i < text.length; i += BATCH) {
      server.write(text.slice(i, i + BATCH).join(''));
      await delay(0);
    }
    const expectedNull = [...nullErrors.values()].reduce((a, b) => a + b, 0);
    const region = () => server.messages.slice(start);
    await server.waitUntil(
      () => {
        const fresh = region();
        return fresh.filter((m) => isResponse(m) && m.id !== null).length >= byId.size && fresh.filter((m) => isResponse(m) && m.id === null).length >= expectedNull;
      },
      30_000,
      `${byId.size} id responses and ${expectedNull} id-null errors`,
    );
    // A sentinel after everything; then a moment for anything that should not come.
    const sentinel = await server.request({ id: next('sentinel'), method: 'ping' });
    expect(sentinel.result).toEqual({});
    await delay(200);

    const fresh = region().filter((m) => !(m.id === sentinel.id && isResponse(m)));
    const mismatches: string[] = [];
    const seen = new Map<string, number>();
    const nullSeen = new Map<number, number>();
    for (const message of fresh) {
      if (!isResponse(message)) {
        // Server-initiated traffic: only log messages (e.g. for the failing echo calls) are acceptable.
        if (message.method !== 'notifications/message') mismatches.push(`unexpected server message ${JSON.stringify(message).slice(0, 200)}`);
        continue;
      }
      expect(message.jsonrpc).toBe('2.0');
      if (message.id === null) {
        const code = message.error?.code ?? 0;
        nullSeen.set(code, (nullSeen.get(code) ?? 0) + 1);
        continue;
      }
      const key = keyOf(message.id);
      seen.set(key, (seen.get(key) ?? 0) + 1);
      const frame = byId.get(key);
      if (!frame) {
        mismatches.push(`answered a frame that must not be answered: ${JSON.stringify(message).slice(0, 200)}`);
        continue;
      }
      const e = frame.expect;
      if (e.kind === 'error' && message.error?.code !== e.code) {
        mismatches.push(`${frame.category}: expected error ${e.code}, got ${JSON.stringify(message).slice(0, 200)} for ${frame.line.slice(0, 200)}`);
      }
      if (e.kind === 'result') {
        const result = message.result as { content?: { text?: string }[]; isError?: boolean } | undefined;
        if (!result) mismatches.push(`${frame.category}: expected a result, got ${JSON.stringify(message).slice(0, 200)}`);
        else if (e.echo !== undefined && result.content?.[0]?.text !== e.echo) mismatches.push(`${frame.category}: echo text differs for ${frame.line.slice(0, 200)}`);
        else if ((result.isError ?? false) !== (e.isError ?? false)) mismatches.push(`${frame.category}: isError ${String(result.isError)} for ${frame.line.slice(0, 200)}`);
      }
    }
    for (const [key, frame] of byId) {
      const count = seen.get(key) ?? 0;
      if (count !== 1) mismatches.push(`${frame.category}: answered ${count} times: ${frame.line.slice(0, 200)}`);
    }
    expect(mismatches.slice(0, 20)).toEqual([]);
    expect(Object.fromEntries(nullSeen)).toEqual(Object.fromEntries(nullErrors));
    expect(nullErrors.get(PARSE_ERROR)).toBeGreaterThan(50);
    expect(nullErrors.get(INVALID_REQUEST)).toBeGreaterThan(50);
    expect(server.alive).toBe(true);
  });

  it('oversized lines – one -32600 naming the limit per line, no more; the limit itself is accepted; serving continues', async () => {
    await ready();
    const start = server.messages.length;
    const echoLine = (id: string, bytes: number) => {
      const head = JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'echo', arguments: { message: '' } } });
      return head.replace('"message":""', `"message":"${'x'.repeat(bytes - Buffer.byteLength(head))}"`);
    };
    const atLimit = echoLine(next('at-limit'), MAX_MESSAGE_BYTES);
    const overByOne = echoLine(next('over-by-one'), MAX_MESSAGE_BYTES + 1);
    const huge = echoLine(next('huge'), 200 * 1024);
    expect(Buffer.byteLength(atLimit)).toBe(MAX_MESSAGE_BYTES);
    expect(Buffer.byteLength(overByOne)).toBe(MAX_MESSAGE_BYTES + 1);

    server.write(`${huge}\n`);
    const after = await server.request({ id: next('after-huge'), method: 'ping' });
    expect(after.result).toEqual({});
    server.write(`${overByOne}\n${huge}\n${JSON.stringify({ jsonrpc: '2.0', id: 'same-write-ping', method: 'ping' })}\n`);
    expect((await server.waitForResponse('same-write-ping')).result).toEqual({});
    server.write(`${atLimit}\n`);
    const accepted = await server.waitForResponse(JSON.parse(atLimit).id);
    expect(accepted.result?.['structuredContent']).toEqual({ message: (JSON.parse(atLimit) as { params: { arguments: { message: string } } }).params.arguments.message });

    await delay(100);
    const fresh = server.messages.slice(start);
    const sizeErrors = fresh.filter((m) => m.id === null && m.error);
    expect(sizeErrors).toHaveLength(3);
    for (const error of sizeErrors) {
      expect(error.error?.code).toBe(INVALID_REQUEST);
      expect(error.error?.message).toMatch(String(MAX_MESSAGE_BYTES));
    }
    for (const line of [huge, overByOne]) expect(server.responsesFor(JSON.parse(line).id)).toEqual([]);
  });

  it('a line split across many small writes, even inside UTF-8 characters – answered once, intact', async () => {
    await ready();
    const message = 'héllo ✓ 😀 ünïcödé — split';
    const id = next('split');
    const bytes = Buffer.from(`${JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'echo', arguments: { message } } })}\n`);
    for (let i = 0; i < bytes.length; i += 3) {
      server.write(bytes.subarray(i, Math.min(i + 3, bytes.length)));
      await delay(1);
    }
    const response = await server.waitForResponse(id);
    expect(response.result?.['structuredContent']).toEqual({ message });

    // Two frames whose boundary falls inside a write.
    const a = JSON.stringify({ jsonrpc: '2.0', id: next('pair'), method: 'ping' });
    const b = JSON.stringify({ jsonrpc: '2.0', id: next('pair'), method: 'ping' });
    const joined = `${a}\n${b}\n`;
    server.write(joined.slice(0, a.length + 5));
    await delay(5);
    server.write(joined.slice(a.length + 5));
    expect((await server.waitForResponse(JSON.parse(a).id)).result).toEqual({});
    expect((await server.waitForResponse(JSON.parse(b).id)).result).toEqual({});
    expect(server.responsesFor(id)).toHaveLength(1);
  });

  it('CRLF endings, empty lines and notifications – CRLF frames answered, the rest never', async () => {
    await ready();
    const start = server.messages.length;
    const id = next('crlf');
    server.write(`${JSON.stringify({ jsonrpc: '2.0', id, method: 'ping' })}\r\n`);
    server.write('\r\n\n\n   \r\n\t\n');
    server.write(`${JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' })}\r\n`);
    server.write(`${JSON.stringify({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 'nobody' } })}\n`);
    server.write('{"jsonrpc":"2.0","id":"crlf-broken",\r\n');
    const sentinel = next('crlf-sentinel');
    server.write(`${JSON.stringify({ jsonrpc: '2.0', id: sentinel, method: 'ping' })}\n`);
    await server.waitForResponse(sentinel);
    await delay(100);
    const fresh = server.messages.slice(start);
    // Responses may come in any order (requests run concurrently); what matters is which ones come.
    expect(fresh.map((m) => (m.id === null ? `null:${m.error?.code}` : String(m.id))).sort()).toEqual([id, `null:${PARSE_ERROR}`, sentinel].sort());
    expect(server.responsesFor(id)[0].result).toEqual({});
  });

  it('tools/call without a name – -32602 whose message names the problem, one line, no SDK prefix', async () => {
    await ready();
    const response = await server.request({ id: next('noname'), method: 'tools/call', params: { arguments: {} } });
    expect(response.error?.code).toBe(INVALID_PARAMS);
    expect(response.error?.message).toMatch(/name/);
    // The server's own -32602s are single-line and prefixless (see error-mapping.ts); tools/call must match them.
    expect(response.error?.message).not.toMatch(/^MCP error/);
    expect(response.error?.message).not.toContain('\n');
  });

  it('after all of it – ping and echo still work, the process is alive, stdout held only JSON-RPC lines', async () => {
    await ready();
    expect((await server.request({ id: next('final'), method: 'ping' })).result).toEqual({});
    const echo = await server.request({ id: next('final'), method: 'tools/call', params: { name: 'echo', arguments: { message: 'still serving' } } });
    expect(echo.result?.['structuredContent']).toEqual({ message: 'still serving' });
    expect(server.alive).toBe(true);
    expect(server.lines.length).toBeGreaterThan(FRAME_COUNT / 2);
    expect(stdoutProblems(server.lines, server.unterminated)).toEqual([]);
    expect(server.badLines).toEqual([]);
    // Logs were written, to stderr.
    expect(server.stderr).toContain('tfo-mcp ready');
  });
});
