import { isJSONRPCErrorResponse, isJSONRPCNotification, isJSONRPCRequest, isJSONRPCResultResponse } from '@modelcontextprotocol/sdk/types.js';
import { prng } from '../../support/frame-generator.js';
import { classifyFrame } from '../../../src/presentation/transports/json-rpc-frame.js';

/** What the SDK's Protocol layer would accept as a message at all. */
function sdkAccepts(value: unknown): boolean {
  return isJSONRPCRequest(value) || isJSONRPCNotification(value) || isJSONRPCResultResponse(value) || isJSONRPCErrorResponse(value);
}

const ABSENT = Symbol('absent');
type Choice = unknown | typeof ABSENT;

/** Each member draws from a well-formed pool most of the time and from an edge-case pool otherwise. */
interface Pool {
  readonly good: readonly Choice[];
  readonly edge: readonly Choice[];
}

const JSONRPC: Pool = { good: ['2.0'], edge: ['1.0', 2, '2.0 ', ABSENT] };
const IDS: Pool = {
  good: [1, 0, -3, 123_456, Number.MAX_SAFE_INTEGER, 'a', '', 'req-7', 'x'.repeat(1024)],
  edge: [2 ** 53, 2 ** 60, -(2 ** 53), 1.5, -0.25, 'x'.repeat(1025), 'x'.repeat(3000), null, true, {}, [1]],
};
const METHODS: Pool = { good: ['tools/list', 'notifications/initialized', 'ping'], edge: ['', 5, null] };
const TOKENS: Pool = { good: ['tok', 7, 0, -1, Number.MAX_SAFE_INTEGER], edge: [1.5, 2 ** 60, 2 ** 53, null, true, {}] };
const RESULTS: Pool = { good: [{}, { tools: [] }, { nextCursor: 'c' }], edge: [[], null, 'done', 3] };
const ERRORS: Pool = {
  good: [
    { code: -32601, message: 'nope' },
    { code: 1, message: 'x', data: [1] },
    { code: 1, message: 'x', extra: true },
  ],
  edge: [{ code: 1.5, message: 'x' }, { code: 2 ** 60, message: 'x' }, { message: 'x' }, { code: 1 }, { code: '1', message: 'x' }, 'boom', null],
};
const RELATED: Pool = { good: [{ taskId: 't' }], edge: [{ taskId: 1 }, {}, 'x'] };

function pick<T>(rand: () => number, options: readonly T[]): T {
  return options[Math.floor(rand() * options.length)] as T;
}

function draw(rand: () => number, pool: Pool, edgeRate = 0.15): Choice {
  return rand() < edgeRate ? pick(rand, pool.edge) : pick(rand, pool.good);
}

function meta(rand: () => number): Choice {
  const r = rand();
  if (r < 0.55) return { progressToken: draw(rand, TOKENS, 0.35) };
  if (r < 0.7) return { 'io.modelcontextprotocol/related-task': draw(rand, RELATED, 0.4) };
  if (r < 0.8) return { 'vendor.example/flag': true };
  return pick(rand, ['meta', [], null, {}]);
}

function params(rand: () => number): Choice {
  const r = rand();
  if (r < 0.3) return ABSENT;
  if (r < 0.4) return {};
  if (r < 0.8) return { cursor: 'c', _meta: meta(rand) };
  if (r < 0.9) return { name: 'echo', arguments: { a: 1 } };
  return pick(rand, [[], null, 'p', 1]);
}

function result(rand: () => number): Choice {
  return rand() < 0.75 ? draw(rand, RESULTS) : { _meta: meta(rand) };
}

function frame(rand: () => number): unknown {
  if (rand() < 0.03) return pick(rand, [null, 1, 'text', true, [], [{ jsonrpc: '2.0', method: 'ping' }]]);
  const members: [string, Choice][] = [['jsonrpc', draw(rand, JSONRPC, 0.08)]];
  const shape = rand();
  if (shape < 0.3) {
    members.push(['id', draw(rand, IDS)], ['method', draw(rand, METHODS, 0.1)], ['params', params(rand)]);
  } else if (shape < 0.45) {
    members.push(['method', draw(rand, METHODS, 0.1)], ['params', params(rand)]);
  } else if (shape < 0.7) {
    members.push(['id', draw(rand, IDS)], ['result', result(rand)]);
  } else if (shape < 0.9) {
    members.push(['id', rand() < 0.15 ? ABSENT : draw(rand, IDS)], ['error', draw(rand, ERRORS, 0.3)]);
  } else {
    members.push(['id', draw(rand, IDS)], ['result', result(rand)], ['error', draw(rand, ERRORS)]);
  }
  if (rand() < 0.06) members.push([pick(rand, ['extra', 'Method', 'ID', '__proto__']), 1]);
  const object: Record<string, unknown> = {};
  for (const [key, value] of members) if (value !== ABSENT) object[key] = value;
  // Through JSON, exactly as frames arrive on the wire.
  return JSON.parse(JSON.stringify(object));
}

/** The one intended divergence: string ids over 1024 characters are refused (see json-rpc-frame.ts). */
function hasLongStringId(value: unknown): boolean {
  const id = (value as { id?: unknown } | null)?.id;
  return typeof id === 'string' && id.length > 1024;
}

/** What classifyFrame should accept: what the SDK accepts, less the intended divergence. */
function expectedAccepts(value: unknown): boolean {
  return sdkAccepts(value) && !hasLongStringId(value);
}

function describeFrame(value: unknown): string {
  return JSON.stringify(value, (_, v: unknown) => (typeof v === 'string' && v.length > 40 ? `<string of ${v.length}>` : v));
}

describe('classifyFrame vs the SDK schemas (differential)', () => {
  it('400 generated frames - classifyFrame accepts exactly what the SDK accepts', () => {
    const rand = prng(0x7f0_3c9);
    const frames = Array.from({ length: 400 }, () => frame(rand));
    const accepted = frames.filter(sdkAccepts).length;
    // The generator must exercise both sides, or the comparison proves nothing.
    expect(accepted).toBeGreaterThan(60);
    expect(frames.length - accepted).toBeGreaterThan(60);

    expect(frames.filter(hasLongStringId).length).toBeGreaterThan(0);
    const disagreements = frames
      .filter((f) => classifyFrame(f).ok !== expectedAccepts(f))
      .map((f) => `${sdkAccepts(f) ? 'SDK accepts, classifyFrame rejects' : 'classifyFrame accepts, SDK rejects'}: ${describeFrame(f)}`);

    expect([...new Set(disagreements)]).toEqual([]);
  });

  it.each<[string, unknown]>([
    ['empty method name', { jsonrpc: '2.0', id: 1, method: '' }],
    ['empty notification method name', { jsonrpc: '2.0', method: '' }],
    ['error response without an id', { jsonrpc: '2.0', error: { code: -32700, message: 'Parse error' } }],
    ['result._meta.progressToken not an integer', { jsonrpc: '2.0', id: 1, result: { _meta: { progressToken: 1.5 } } }],
    ['result._meta not an object', { jsonrpc: '2.0', id: 1, result: { _meta: 'x' } }],
    ['result._meta related-task with a numeric taskId', { jsonrpc: '2.0', id: 1, result: { _meta: { 'io.modelcontextprotocol/related-task': { taskId: 1 } } } }],
    ['progressToken beyond the safe-integer range', { jsonrpc: '2.0', id: 1, method: 'x', params: { _meta: { progressToken: 2 ** 60 } } }],
    ['error code beyond the safe-integer range', { jsonrpc: '2.0', id: 1, error: { code: 2 ** 60, message: 'x' } }],
  ])('edge case: %s - classifyFrame agrees with the SDK', (_, value) => {
    const frameValue = JSON.parse(JSON.stringify(value)) as unknown;
    expect({ classifyFrame: classifyFrame(frameValue).ok }).toEqual({ classifyFrame: sdkAccepts(frameValue) });
  });

  it('string id longer than 1024 characters - refused with -32600 although the SDK would accept it (intended)', () => {
    const value = { jsonrpc: '2.0', id: 'x'.repeat(1025), method: 'ping' };
    expect(sdkAccepts(value)).toBe(true);
    expect(classifyFrame(value)).toEqual({ ok: false, code: -32600, message: expect.stringContaining('longer than 1024'), id: null });
  });
});
