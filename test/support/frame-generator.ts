import type { JsonRpcId } from './raw-server.js';

/**
 * Seeded generation of JSON-RPC frames, valid and malformed, each with the reply the server owes.
 * Deterministic: the same seed yields the same lines, so a failure can be replayed.
 */

export type Expectation =
  /** A response with this id and a result; `echo` means a tools/call echo whose text must come back. */
  | { kind: 'result'; id: JsonRpcId; echo?: string; isError?: boolean }
  /** A response with this (valid) id and this error code. */
  | { kind: 'error'; id: JsonRpcId; code: number }
  /** An error response with id null (the id was missing, invalid, or unreadable). */
  | { kind: 'null-error'; code: number }
  /** Nothing at all: notifications, unsolicited responses, empty lines. */
  | { kind: 'none' };

export interface Frame {
  readonly category: string;
  readonly line: string;
  readonly expect: Expectation;
}

/** mulberry32: tiny, fast, and good enough to shuffle test inputs. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const PARSE_ERROR = -32700;
export const INVALID_REQUEST = -32600;
export const METHOD_NOT_FOUND = -32601;
export const INVALID_PARAMS = -32602;

type Generator = (g: FrameGenerator) => Frame[];

const req = (id: JsonRpcId, method: unknown, params?: unknown, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ jsonrpc: '2.0', id, method, ...(params === undefined ? {} : { params }), ...extra });

const GENERATORS: readonly [weight: number, generate: Generator][] = [
  // Valid traffic mixed in: it must keep working throughout.
  [6, (g) => [g.frame('ping', req(g.id(), 'ping'), 'result')]],
  [6, (g) => {
    const id = g.id();
    const message = g.text();
    return [{ category: 'echo', line: req(id, 'tools/call', { name: 'echo', arguments: { message } }), expect: { kind: 'result', id, echo: message } }];
  }],
  // The same digits as a number and as a string are two different ids.
  [1, (g) => {
    const n = 900_000_000 + g.counter();
    return [
      { category: 'id-number', line: req(n, 'ping'), expect: { kind: 'result', id: n } },
      { category: 'id-string-digits', line: req(String(n), 'ping'), expect: { kind: 'result', id: String(n) } },
    ];
  }],
  [1, (g) => {
    const id = `L${g.counter()}-`.padEnd(1024, 'i');
    return [{ category: 'id-1024-chars', line: req(id, 'ping'), expect: { kind: 'result', id } }];
  }],
  // Not JSON at all.
  [6, (g) => {
    const valid = req(g.id(), 'ping');
    const broken = [
      valid.slice(0, 1 + Math.floor(g.random() * (valid.length - 1))),
      `${valid}}`,
      `${valid} trailing`,
      '{foo: 1}',
      "{'jsonrpc':'2.0','id':1,'method':'ping'}",
      '{"jsonrpc":"2.0","id":1,"method":"ping",}',
      'NaN',
      'undefined',
      '[1, 2',
      'hello world',
      `{"jsonrpc":"2.0","method":"ping","id":${g.counter()}`,
      g.garbage(),
    ];
    return [g.frame('invalid-json', g.pick(broken), 'null-error', PARSE_ERROR)];
  }],
  // JSON, but not a JSON-RPC object.
  [4, (g) => {
    const values = ['42', '-1.5', '"a string"', 'true', 'false', 'null', '[]', '[1,2,3]', `[${req(g.id(), 'ping')}]`, `[${req(g.id(), 'ping')},${req(g.id(), 'ping')}]`];
    return [g.frame('not-an-object', g.pick(values), 'null-error', INVALID_REQUEST)];
  }],
  [4, (g) => {
    const id = g.id();
    const frames = [
      JSON.stringify({ jsonrpc: '1.0', id, method: 'ping' }),
      JSON.stringify({ jsonrpc: 2.0, id, method: 'ping' }),
      JSON.stringify({ jsonrpc: '2', id, method: 'ping' }),
      JSON.stringify({ id, method: 'ping' }),
      JSON.stringify({ jsonrpc: null, id, method: 'ping' }),
    ];
    return [g.frame('wrong-jsonrpc', g.pick(frames), 'error', INVALID_REQUEST, id)];
  }],
  [4, (g) => {
    const id = g.id();
    const frames = [
      JSON.stringify({ jsonrpc: '2.0', id }),
      JSON.stringify({ jsonrpc: '2.0', id, params: {} }),
      req(id, 42),
      req(id, null),
      req(id, { name: 'ping' }),
      req(id, ['ping']),
    ];
    return [g.frame('bad-method', g.pick(frames), 'error', INVALID_REQUEST, id)];
  }],
  [4, (g) => {
    const ids = ['{}', '[]', 'true', 'false', 'null', '1.5', '-0.25', '9007199254740993', '18446744073709551616', '1e300', '-9007199254740993'];
    return [g.frame('bad-id-type', `{"jsonrpc":"2.0","id":${g.pick(ids)},"method":"ping"}`, 'null-error', INVALID_REQUEST)];
  }],
  [2, (g) => {
    const id = `H${g.counter()}-`.padEnd(1025 + Math.floor(g.random() * 3000), 'h');
    return [g.frame('id-too-long', req(id, 'ping'), 'null-error', INVALID_REQUEST)];
  }],
  [3, (g) => {
    const id = g.id();
    const extras = [{ extra: 1 }, { Method: 'x' }, { result: {} }, { error: { code: 1, message: 'x' } }, { jsonrpc2: true }];
    return [g.frame('extra-member', req(id, 'ping', undefined, g.pick(extras)), 'error', INVALID_REQUEST, id)];
  }],
  [3, (g) => {
    const id = g.id();
    return [g.frame('params-not-object', req(id, 'ping', g.pick([[], [1, 2], 'params', 5, null, true])), 'error', INVALID_REQUEST, id)];
  }],
  [3, (g) => {
    const id = g.id();
    const metas = [5, [], 'meta', null, { progressToken: 1.5 }, { progressToken: {} }, { progressToken: true }, { progressToken: null }, { progressToken: [1] }];
    const method = g.pick(['ping', 'tools/list', 'tools/call']);
    return [g.frame('bad-meta', req(id, method, { _meta: g.pick(metas), name: 'echo', arguments: { message: 'x' } }), 'error', INVALID_REQUEST, id)];
  }],
  [5, (g) => {
    const id = g.id();
    // "" is a string naming no method: Method not found, like any other unknown name.
    const method = g.pick([`unknown/${g.counter()}`, 'Ping', 'tools/List', 'tools/call/', 'initialize ', 'resources/frobnicate', 'sampling/createMessage', `x${g.counter()}`, '']);
    return [g.frame('unknown-method', req(id, method, {}), 'error', METHOD_NOT_FOUND, id)];
  }],
  [5, (g) => {
    const id = g.id();
    const bad: [string, unknown][] = [
      ['tools/call', {}],
      ['tools/call', { name: 42 }],
      ['tools/call', { name: 'echo', arguments: 'message' }],
      ['resources/read', { uri: 42 }],
      ['resources/read', {}],
      ['prompts/get', {}],
      ['prompts/get', { name: 'code_review', arguments: { code: 5 } }],
      ['logging/setLevel', { level: 'loud' }],
      ['logging/setLevel', {}],
      ['completion/complete', {}],
      ['tools/list', { cursor: 5 }],
      ['tools/list', { cursor: 'not-a-cursor' }],
    ];
    const [method, params] = g.pick(bad);
    return [g.frame('invalid-params', req(id, method, params), 'error', INVALID_PARAMS, id)];
  }],
  [2, (g) => {
    const id = g.id();
    const cases: [string, unknown, number][] = [
      ['tools/call', { name: `no_such_tool_${g.counter()}`, arguments: {} }, INVALID_PARAMS],
      ['resources/read', { uri: `nosuch://${g.counter()}` }, -32002],
      ['prompts/get', { name: `no_such_prompt_${g.counter()}` }, INVALID_PARAMS],
      ['initialize', { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'again', version: '1' } }, INVALID_REQUEST],
    ];
    const [method, params, code] = g.pick(cases);
    return [g.frame('known-method-bad-target', req(id, method, params), 'error', code, id)];
  }],
  [2, (g) => {
    const id = g.id();
    return [{ category: 'echo-bad-arguments', line: req(id, 'tools/call', { name: 'echo', arguments: { message: 5 } }), expect: { kind: 'result', id, isError: true } }];
  }],
  // Never answered.
  [4, (g) => {
    const notes = [
      { jsonrpc: '2.0', method: 'notifications/initialized' },
      { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: `gone-${g.counter()}`, reason: 'test' } },
      { jsonrpc: '2.0', method: 'notifications/roots/list_changed' },
      { jsonrpc: '2.0', method: `notifications/unknown-${g.counter()}`, params: { a: 1 } },
      { jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken: `t${g.counter()}`, progress: 1 } },
      { jsonrpc: '2.0', method: 'ping' },
    ];
    return [g.frame('notification', JSON.stringify(g.pick(notes)), 'none')];
  }],
  [2, (g) => {
    const responses = [
      { jsonrpc: '2.0', id: `unsolicited-${g.counter()}`, result: {} },
      { jsonrpc: '2.0', id: 700_000_000 + g.counter(), error: { code: -32000, message: 'client side failure' } },
    ];
    return [g.frame('unsolicited-response', JSON.stringify(g.pick(responses)), 'none')];
  }],
  [2, (g) => {
    const id = g.id();
    const frames = [
      { jsonrpc: '2.0', id, result: 5 },
      { jsonrpc: '2.0', id, result: {}, error: { code: 1, message: 'x' } },
      { jsonrpc: '2.0', id, error: { code: 'x', message: 'x' } },
      { jsonrpc: '2.0', id, result: {}, extra: true },
    ];
    return [g.frame('malformed-response', JSON.stringify(g.pick(frames)), 'null-error', INVALID_REQUEST)];
  }],
  [3, (g) => [g.frame('blank', g.pick(['', ' ', '   ', '\t', ' \t ']), 'none')]],
];

const TOTAL_WEIGHT = GENERATORS.reduce((sum, [weight]) => sum + weight, 0);
const TEXT_PIECES = ['a', 'Z', ' ', '"', '\\', '\n', '\t', 'é', '✓', '😀', '{', '}', '[', ']', ',', ':', 'null', '\u2028', '</script>'];

export class FrameGenerator {
  readonly random: () => number;
  private n = 0;

  constructor(seed: number, private readonly prefix = 'f') {
    this.random = prng(seed);
  }

  counter(): number {
    this.n += 1;
    return this.n;
  }

  /** A fresh id, unique in this generator: numbers (some negative) and strings. */
  id(): string | number {
    const n = this.counter();
    const form = this.random();
    if (form < 0.35) return 1_000_000 + n;
    if (form < 0.45) return -(1_000_000 + n);
    return `${this.prefix}-${n}`;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.random() * items.length)];
  }

  text(): string {
    const length = Math.floor(this.random() * 40);
    let text = '';
    for (let i = 0; i < length; i += 1) text += this.pick(TEXT_PIECES);
    return text;
  }

  /** Printable garbage that is never valid JSON (it starts with a letter no JSON value starts with). */
  garbage(): string {
    let text = 'g';
    const length = 1 + Math.floor(this.random() * 60);
    for (let i = 0; i < length; i += 1) text += String.fromCharCode(33 + Math.floor(this.random() * 94));
    return text;
  }

  frame(category: string, line: string, kind: Expectation['kind'], code = 0, id: JsonRpcId = null): Frame {
    if (kind === 'none') return { category, line, expect: { kind } };
    if (kind === 'null-error') return { category, line, expect: { kind, code } };
    if (kind === 'error') return { category, line, expect: { kind, id, code } };
    return { category, line, expect: { kind: 'result', id: idOf(line) } };
  }

  /** At least `count` frames; about one in five ends with CRLF instead of LF. */
  frames(count: number): { frames: Frame[]; text: string[] } {
    const frames: Frame[] = [];
    const text: string[] = [];
    while (frames.length < count) {
      let roll = this.random() * TOTAL_WEIGHT;
      const [, generate] = GENERATORS.find(([weight]) => (roll -= weight) < 0) ?? GENERATORS[0];
      for (const frame of generate(this)) {
        frames.push(frame);
        text.push(`${frame.line}${this.random() < 0.2 ? '\r\n' : '\n'}`);
      }
    }
    return { frames, text };
  }
}

function idOf(line: string): JsonRpcId {
  return (JSON.parse(line) as { id: JsonRpcId }).id;
}
