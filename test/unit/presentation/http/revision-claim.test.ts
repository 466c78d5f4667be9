import { classifyInboundRequest, type InboundClassificationOutcome } from '@modelcontextprotocol/server';
import { prng } from '../../../support/frame-generator.js';
import { classifyFrame } from '../../../../src/presentation/transports/json-rpc-frame.js';
import { claimsModernRevision, classifyRevision, MODERN_REVISIONS } from '../../../../src/presentation/transports/http/revision-claim.js';
import type { HeaderBag } from '../../../../src/presentation/transports/http/routing-headers.js';

const CLAIM = 'io.modelcontextprotocol/protocolVersion';
const INFO = 'io.modelcontextprotocol/clientInfo';
const CAPS = 'io.modelcontextprotocol/clientCapabilities';
const envelope = { [CLAIM]: '2026-07-28', [INFO]: { name: 'probe', version: '1.0.0' }, [CAPS]: {} };
const modernHeaders = { 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/call', 'mcp-name': 'echo' };
const TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

function call(meta?: Record<string, unknown>, method = 'tools/call'): Record<string, unknown> {
  return { jsonrpc: '2.0', id: 7, method, params: { name: 'echo', arguments: { text: 'hi' }, ...(meta && { _meta: meta }) } };
}

describe('claimsModernRevision and classifyRevision', () => {
  it('2025 tools/call with a session and a 2025 version header - legacy, and the claim test says no', () => {
    const headers = { 'mcp-session-id': 's1', 'mcp-protocol-version': '2025-11-25' };
    expect(claimsModernRevision(call(), headers)).toBe(false);
    expect(classifyRevision(call(), headers)).toEqual({ kind: 'legacy' });
  });

  it('2025 body - jsonrpc and id are never read (so no zod schema looked at it)', () => {
    const read: string[] = [];
    const spy = (target: Record<string, unknown>): Record<string, unknown> =>
      new Proxy(target, {
        get: (t, key) => {
          read.push(String(key));
          const value = Reflect.get(t, key) as unknown;
          return value !== null && typeof value === 'object' && !Array.isArray(value) ? spy(value as Record<string, unknown>) : value;
        },
      });
    expect(classifyRevision(spy(call({ progressToken: 1 })), { 'mcp-protocol-version': '2025-06-18' })).toEqual({ kind: 'legacy' });
    expect(read).toEqual(expect.arrayContaining(['params']));
    expect(read).not.toEqual(expect.arrayContaining(['jsonrpc']));
    expect(read).not.toEqual(expect.arrayContaining(['id']));
  });

  it('2026-07-28 tools/call - modern with the envelope, log level and trace context', () => {
    const meta = { ...envelope, [CAPS]: { sampling: {} }, 'io.modelcontextprotocol/logLevel': 'info', traceparent: TRACEPARENT, tracestate: 'vendor=x' };
    const verdict = classifyRevision(call(meta), modernHeaders);
    expect(verdict).toEqual({
      kind: 'modern',
      messageKind: 'request',
      message: call(meta),
      protocolVersion: '2026-07-28',
      clientInfo: { name: 'probe', version: '1.0.0' },
      clientCapabilities: { sampling: {} },
      logLevel: 'info',
      trace: { traceparent: TRACEPARENT, tracestate: 'vendor=x' },
    });
  });

  it('envelope without clientInfo - still modern (clientInfo is a SHOULD, server-stateless)', () => {
    const { [INFO]: _, ...meta } = envelope;
    const verdict = classifyRevision(call(meta), modernHeaders);
    expect(verdict).toMatchObject({ kind: 'modern', protocolVersion: '2026-07-28', clientCapabilities: {} });
    expect(verdict).not.toHaveProperty('clientInfo');
  });

  it.each<[string, Record<string, unknown> | undefined]>([
    ['no _meta at all', undefined],
    ['_meta without the protocol version', { [INFO]: envelope[INFO], [CAPS]: {} }],
    ['_meta without clientCapabilities', { [CLAIM]: '2026-07-28', [INFO]: envelope[INFO] }],
    ['clientCapabilities not an object', { ...envelope, [CAPS]: 'all' }],
  ])('2026-07-28 header, %s - 400 with -32602 (server-stateless)', (_, meta) => {
    expect(classifyRevision(call(meta), modernHeaders)).toMatchObject({ kind: 'reject', httpStatus: 400, code: -32602 });
  });

  it('revision v999.0.0 in body and header - 400 with -32022 naming the supported and the requested revision', () => {
    const body = call({ ...envelope, [CLAIM]: 'v999.0.0' });
    expect(classifyRevision(body, { ...modernHeaders, 'mcp-protocol-version': 'v999.0.0' })).toEqual({
      kind: 'reject',
      httpStatus: 400,
      code: -32022,
      message: 'Unsupported protocol version: v999.0.0',
      data: { supported: ['2026-07-28'], requested: 'v999.0.0' },
    });
  });

  it('full envelope claiming 2025-11-25 - -32022, as v2 answers a claim it does not serve', () => {
    const body = call({ ...envelope, [CLAIM]: '2025-11-25' });
    expect(classifyRevision(body, {})).toMatchObject({ kind: 'reject', httpStatus: 400, code: -32022, data: { requested: '2025-11-25' } });
  });

  it('a revision added to the supported list - served as modern', () => {
    const body = call({ ...envelope, [CLAIM]: '2027-03-01' });
    const headers = { ...modernHeaders, 'mcp-protocol-version': '2027-03-01' };
    expect(classifyRevision(body, headers)).toMatchObject({ kind: 'reject', code: -32022 });
    expect(classifyRevision(body, headers, [...MODERN_REVISIONS, '2027-03-01'])).toMatchObject({ kind: 'modern', protocolVersion: '2027-03-01' });
  });

  it('body v999.0.0 under a 2026-07-28 header - 400 with -32020 HeaderMismatch', () => {
    const body = call({ ...envelope, [CLAIM]: 'v999.0.0' });
    expect(classifyRevision(body, modernHeaders)).toMatchObject({ kind: 'reject', httpStatus: 400, code: -32020 });
  });

  it('Mcp-Method naming another method - 400 with -32020 from the classifier', () => {
    expect(classifyRevision(call(envelope), { ...modernHeaders, 'mcp-method': 'prompts/get' })).toMatchObject({ httpStatus: 400, code: -32020 });
  });

  it('version header with surrounding whitespace, or as a one-element array - tolerated', () => {
    expect(classifyRevision(call(envelope), { ...modernHeaders, 'mcp-protocol-version': ' \t2026-07-28 ' })).toMatchObject({ kind: 'modern' });
    expect(classifyRevision(call(envelope), { ...modernHeaders, 'mcp-protocol-version': ['2026-07-28'] })).toMatchObject({ kind: 'modern' });
  });

  it('version header sent twice - joined as fetch does, so it disagrees with the body (-32020)', () => {
    const headers = { ...modernHeaders, 'mcp-protocol-version': ['2026-07-28', '2026-07-28'] };
    expect(classifyRevision(call(envelope), headers)).toMatchObject({ kind: 'reject', code: -32020 });
  });

  it('initialize - legacy; with a 2026-07-28 version header - -32020', () => {
    const initialize = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'c', version: '1' } } };
    expect(classifyRevision(initialize, {})).toEqual({ kind: 'legacy' });
    expect(classifyRevision(initialize, { 'mcp-protocol-version': '2026-07-28' })).toMatchObject({ kind: 'reject', httpStatus: 400, code: -32020 });
  });

  it('batches - all 2025 is legacy, one claimed element is 400 with -32600, and the header alone does not claim', () => {
    const legacy = [call(), { jsonrpc: '2.0', method: 'notifications/initialized' }];
    expect(classifyRevision(legacy, {})).toEqual({ kind: 'legacy' });
    expect(classifyRevision(legacy, { 'mcp-protocol-version': '2026-07-28' })).toEqual({ kind: 'legacy' });
    expect(classifyRevision([call(), call(envelope)], {})).toMatchObject({ kind: 'reject', httpStatus: 400, code: -32600 });
  });

  it('notification under a 2026-07-28 header - modern notification with no declared capabilities', () => {
    const notification = { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 1 } };
    expect(classifyRevision(notification, { 'mcp-protocol-version': '2026-07-28' })).toEqual({
      kind: 'modern',
      messageKind: 'notification',
      message: notification,
      protocolVersion: '2026-07-28',
      clientCapabilities: {},
    });
  });

  it.each([
    ['upper-case hex', TRACEPARENT.toUpperCase()],
    ['version ff', `ff${TRACEPARENT.slice(2)}`],
    ['all-zero trace id', `00-${'0'.repeat(32)}-00f067aa0ba902b7-01`],
    ['all-zero parent id', `00-4bf92f3577b34da6a3ce929d0e0e4736-${'0'.repeat(16)}-01`],
    ['a number', 42],
  ])('traceparent that is %s - dropped with its tracestate, the request still served', (_, traceparent) => {
    const verdict = classifyRevision(call({ ...envelope, traceparent, tracestate: 'a=b' }), modernHeaders);
    expect(verdict).toMatchObject({ kind: 'modern' });
    expect(verdict).not.toHaveProperty('trace');
  });

  it('tracestate longer than 512 characters - dropped, traceparent kept', () => {
    const verdict = classifyRevision(call({ ...envelope, traceparent: TRACEPARENT, tracestate: `a=${'x'.repeat(511)}` }), modernHeaders);
    expect(verdict).toMatchObject({ kind: 'modern', trace: { traceparent: TRACEPARENT } });
    expect((verdict as { trace: object }).trace).not.toHaveProperty('tracestate');
  });
});

// ---- Differential against v2's classifyInboundRequest ----

const ABSENT = Symbol('absent');
function pick<T>(rand: () => number, options: readonly T[]): T {
  return options[Math.floor(rand() * options.length)] as T;
}

const METHODS = ['tools/call', 'tools/list', 'initialize', 'server/discover', 'prompts/get', 'notifications/initialized', 'notifications/cancelled'];
const CLAIMS = ['2026-07-28', '2025-11-25', 'v999.0.0', '2026-07-29', 7, null, ''];
const VERSION_HEADERS = [ABSENT, '2025-11-25', '2025-06-18', '2026-07-28', ' 2026-07-28\t', '2026-07-29', 'garbage', '', '1', ['2026-07-28'], ['2026-07-28', '2026-07-28']];

function meta(rand: () => number): unknown {
  const r = rand();
  if (r < 0.15) return ABSENT;
  if (r < 0.25) return pick(rand, [{ progressToken: 3 }, { 'vendor.example/x': true }, 'meta', null, []]);
  const claim = rand() < 0.75 ? '2026-07-28' : pick(rand, CLAIMS);
  const m: Record<string, unknown> = {};
  if (rand() < 0.92) m[CLAIM] = claim;
  if (rand() < 0.85) m[CAPS] = rand() < 0.9 ? {} : 'caps';
  if (rand() < 0.7) m[INFO] = rand() < 0.9 ? { name: 'gen', version: '1' } : { name: 3 };
  if (rand() < 0.1) m['io.modelcontextprotocol/logLevel'] = pick(rand, ['debug', 'loud']);
  if (rand() < 0.2) m['traceparent'] = pick(rand, [TRACEPARENT, 'bad']);
  return m;
}

function message(rand: () => number): unknown {
  const method = pick(rand, METHODS);
  const m: Record<string, unknown> = { jsonrpc: rand() < 0.97 ? '2.0' : '1.0' };
  const notification = method.startsWith('notifications/') ? rand() < 0.9 : rand() < 0.05;
  if (!notification) m['id'] = pick(rand, [1, 'a', 0]);
  m['method'] = rand() < 0.97 ? method : 5;
  const params: Record<string, unknown> = method === 'initialize' ? { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'c', version: '1' } } : { name: 'echo' };
  const metaValue = meta(rand);
  if (metaValue !== ABSENT) params['_meta'] = metaValue;
  if (rand() < 0.93) m['params'] = rand() < 0.97 ? params : pick(rand, [[], 'p']);
  return m;
}

function body(rand: () => number): unknown {
  const r = rand();
  if (r < 0.04) return pick(rand, [null, 3, 'text', { jsonrpc: '2.0', id: 1, result: {} }, { jsonrpc: '2.0', id: 2, error: { code: 1, message: 'x' } }]);
  if (r < 0.14) return Array.from({ length: Math.floor(rand() * 3) }, () => (rand() < 0.7 ? call() : message(rand)));
  return message(rand);
}

function headers(rand: () => number, value: unknown): HeaderBag {
  const h: Record<string, string | string[]> = {};
  const version = pick(rand, VERSION_HEADERS);
  if (version !== ABSENT) h['mcp-protocol-version'] = version as string | string[];
  const method = (value as { method?: unknown } | null)?.method;
  const m = rand();
  if (m < 0.6 && typeof method === 'string') h['mcp-method'] = method;
  else if (m < 0.75) h['mcp-method'] = pick(rand, ['tools/list', 'TOOLS/CALL', ' tools/call ']);
  if (rand() < 0.5) h['mcp-name'] = pick(rand, ['echo', 'other']);
  return h;
}

/** v2 reads headers through fetch's Headers.get, which joins repeats with ", ". */
function v2Classify(value: unknown, bag: HeaderBag): InboundClassificationOutcome {
  const get = (key: string) => {
    const raw = bag[key];
    return raw === undefined ? undefined : typeof raw === 'string' ? raw : raw.join(', ');
  };
  return classifyInboundRequest({
    httpMethod: 'POST',
    protocolVersionHeader: get('mcp-protocol-version'),
    mcpMethodHeader: get('mcp-method'),
    mcpNameHeader: get('mcp-name'),
    body: value,
  });
}

function frameCheckRefuses(value: unknown): boolean {
  if (!Array.isArray(value)) return !classifyFrame(value).ok;
  return value.length === 0 || value.some((element) => !classifyFrame(element).ok);
}

describe('classifyRevision vs v2 classifyInboundRequest (differential)', () => {
  const rand = prng(0x2026_0728);
  const cases = Array.from({ length: 3000 }, () => {
    const value = JSON.parse(JSON.stringify(body(rand) ?? null)) as unknown;
    return { value, headers: headers(rand, value) };
  });
  const describeCase = (c: { value: unknown; headers: HeaderBag }) => JSON.stringify(c);

  it('3000 generated POSTs - the generator reaches every v2 outcome', () => {
    const kinds = cases.map((c) => v2Classify(c.value, c.headers)).map((o) => (o.kind === 'reject' ? `reject ${o.code}` : o.kind));
    const counts = Object.fromEntries(['legacy', 'modern', 'reject -32020', 'reject -32602', 'reject -32600'].map((k) => [k, kinds.filter((x) => x === k).length]));
    for (const count of Object.values(counts)) expect(count).toBeGreaterThan(40);
  });

  it('unclaimed by the cheap test - v2 routes it legacy, or refuses a malformed body the frame check refuses too', () => {
    const wrong = cases
      .filter((c) => !claimsModernRevision(c.value, c.headers))
      .filter((c) => {
        const v2 = v2Classify(c.value, c.headers);
        if (v2.kind === 'legacy') return false;
        return !(v2.kind === 'reject' && v2.rung === 'jsonrpc-shape' && v2.cell !== 'batch-with-modern-element' && frameCheckRefuses(c.value));
      })
      .map(describeCase);
    expect(wrong).toEqual([]);
  });

  it('every case - legacy exactly when v2 says legacy (given a claim), modern exactly when v2 says modern on a served revision', () => {
    const wrong = cases
      .map((c) => ({ c, ours: classifyRevision(c.value, c.headers), v2: v2Classify(c.value, c.headers), claimed: claimsModernRevision(c.value, c.headers) }))
      .filter(({ ours, v2, claimed }) => {
        if (v2.kind === 'legacy') return ours.kind !== 'legacy';
        if (v2.kind === 'modern') {
          const served = v2.classification.revision !== undefined && MODERN_REVISIONS.includes(v2.classification.revision);
          return served ? ours.kind !== 'modern' : !(ours.kind === 'reject' && ours.code === -32022);
        }
        if (!claimed) return ours.kind !== 'legacy';
        return JSON.stringify(ours) !== JSON.stringify({ kind: 'reject', httpStatus: v2.httpStatus, code: v2.code, message: v2.message, ...(v2.data !== undefined && { data: v2.data }) });
      })
      .map(({ c, ours, v2 }) => `${describeCase(c)} ours=${JSON.stringify(ours)} v2=${JSON.stringify(v2)}`);
    expect(wrong).toEqual([]);
  });
});
