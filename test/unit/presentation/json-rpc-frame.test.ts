import { classifyFrame } from '../../../src/presentation/transports/json-rpc-frame.js';

type Verdict = ReturnType<typeof classifyFrame>;

const base = { jsonrpc: '2.0' } as const;

function rejected(verdict: Verdict): Extract<Verdict, { ok: false }> {
  if (verdict.ok) throw new Error(`expected a rejection, got ok for ${JSON.stringify(verdict.message)}`);
  return verdict;
}

describe('classifyFrame', () => {
  describe('accepted', () => {
    it.each<[string, unknown]>([
      ['request with params', { ...base, id: 1, method: 'tools/list', params: { cursor: 'x' } }],
      ['request without params', { ...base, id: 'abc', method: 'ping' }],
      ['request, id 0', { ...base, id: 0, method: 'ping' }],
      ['request, negative id', { ...base, id: -7, method: 'ping' }],
      ['request, id at MAX_SAFE_INTEGER', { ...base, id: Number.MAX_SAFE_INTEGER, method: 'ping' }],
      ['request, id at MIN_SAFE_INTEGER', { ...base, id: Number.MIN_SAFE_INTEGER, method: 'ping' }],
      ['request, empty string id', { ...base, id: '', method: 'ping' }],
      ['request, 1024-character id', { ...base, id: 'i'.repeat(1024), method: 'ping' }],
      ['request, empty params object', { ...base, id: 1, method: 'x', params: {} }],
      ['request, extra params members', { ...base, id: 1, method: 'x', params: { anything: [1, 2], nested: { a: null } } }],
      ['request, string progressToken', { ...base, id: 1, method: 'x', params: { _meta: { progressToken: 'p-1' } } }],
      ['request, integer progressToken', { ...base, id: 1, method: 'x', params: { _meta: { progressToken: 42 } } }],
      ['request, _meta with other keys', { ...base, id: 1, method: 'x', params: { _meta: { 'vendor/key': true } } }],
      ['request, related task', { ...base, id: 1, method: 'x', params: { _meta: { 'io.modelcontextprotocol/related-task': { taskId: 't' } } } }],
      ['notification', { ...base, method: 'notifications/initialized' }],
      ['notification with params', { ...base, method: 'notifications/cancelled', params: { requestId: 3, reason: 'x' } }],
      ['result response', { ...base, id: 5, result: {} }],
      ['result response with data', { ...base, id: 'r', result: { roots: [{ uri: 'file:///' }] } }],
      ['error response', { ...base, id: 5, error: { code: -32601, message: 'Method not found' } }],
      ['error response with data', { ...base, id: 5, error: { code: 1, message: 'x', data: { why: 'because' } } }],
    ])('%s - ok, and the message is the frame itself', (_, frame) => {
      const verdict = classifyFrame(frame);
      expect(verdict).toEqual({ ok: true, message: frame });
      if (verdict.ok) expect(verdict.message).toBe(frame);
    });
  });

  describe('rejected with -32600', () => {
    it.each<[string, unknown, string | number | null, RegExp]>([
      ['batch', [{ ...base, id: 1, method: 'ping' }], null, /batch/],
      ['empty batch', [], null, /batch/],
      ['null', null, null, /JSON object/],
      ['number', 42, null, /JSON object/],
      ['string', '{"jsonrpc":"2.0"}', null, /JSON object/],
      ['boolean', true, null, /JSON object/],
      ['missing jsonrpc', { id: 1, method: 'ping' }, 1, /"jsonrpc"/],
      ['jsonrpc 1.0', { jsonrpc: '1.0', id: 1, method: 'ping' }, 1, /"jsonrpc"/],
      ['jsonrpc as number', { jsonrpc: 2.0, id: 'a', method: 'ping' }, 'a', /"jsonrpc"/],
      ['id null', { ...base, id: null, method: 'ping' }, null, /null is not allowed/],
      ['id float', { ...base, id: 1.5, method: 'ping' }, null, /integer/],
      ['id above MAX_SAFE_INTEGER', { ...base, id: 2 ** 53, method: 'ping' }, null, /integer/],
      ['id below MIN_SAFE_INTEGER', { ...base, id: -(2 ** 53), method: 'ping' }, null, /integer/],
      ['id boolean', { ...base, id: true, method: 'ping' }, null, /string or an integer/],
      ['id object', { ...base, id: { a: 1 }, method: 'ping' }, null, /string or an integer/],
      ['id array', { ...base, id: [1], method: 'ping' }, null, /string or an integer/],
      ['1025-character id', { ...base, id: 'i'.repeat(1025), method: 'ping' }, null, /longer than 1024/],
      ['method not a string', { ...base, id: 1, method: 5 }, 1, /"method"/],
      ['method null', { ...base, id: 1, method: null }, 1, /"method"/],
      ['extra member on a request', { ...base, id: 1, method: 'ping', extra: 1 }, 1, /unexpected member "extra"/],
      ['result member on a request', { ...base, id: 1, method: 'ping', result: {} }, 1, /unexpected member "result"/],
      ['extra member on a notification', { ...base, method: 'n', foo: 'bar' }, null, /unexpected member "foo"/],
      ['params array', { ...base, id: 1, method: 'x', params: [1, 2] }, 1, /"params" must be an object/],
      ['params string', { ...base, id: 1, method: 'x', params: 'a' }, 1, /"params" must be an object/],
      ['params null', { ...base, id: 1, method: 'x', params: null }, 1, /"params" must be an object/],
      ['_meta not an object', { ...base, id: 1, method: 'x', params: { _meta: 'm' } }, 1, /_meta/],
      ['_meta array', { ...base, id: 1, method: 'x', params: { _meta: [] } }, 1, /_meta/],
      ['progressToken float', { ...base, id: 1, method: 'x', params: { _meta: { progressToken: 1.5 } } }, 1, /progressToken/],
      ['progressToken null', { ...base, id: 1, method: 'x', params: { _meta: { progressToken: null } } }, 1, /progressToken/],
      ['progressToken object', { ...base, id: 1, method: 'x', params: { _meta: { progressToken: {} } } }, 1, /progressToken/],
      ['progressToken boolean', { ...base, id: 1, method: 'x', params: { _meta: { progressToken: true } } }, 1, /progressToken/],
      ['related task without taskId', { ...base, id: 1, method: 'x', params: { _meta: { 'io.modelcontextprotocol/related-task': {} } } }, 1, /related-task/],
      ['neither method nor result', { ...base, id: 1 }, 1, /needs a "method"/],
      ['empty object', {}, null, /"jsonrpc"/],
      ['result without id', { ...base, result: {} }, null, /needs a "method"/],
      ['result and error', { ...base, id: 1, result: {}, error: { code: 1, message: 'x' } }, null, /either "result" or "error"/],
      ['result not an object', { ...base, id: 1, result: 'done' }, null, /"result" must be an object/],
      ['result array', { ...base, id: 1, result: [] }, null, /"result" must be an object/],
      ['result null', { ...base, id: 1, result: null }, null, /"result" must be an object/],
      ['error without code', { ...base, id: 1, error: { message: 'x' } }, null, /"error" must be/],
      ['error code float', { ...base, id: 1, error: { code: 1.5, message: 'x' } }, null, /"error" must be/],
      ['error message not a string', { ...base, id: 1, error: { code: 1, message: 2 } }, null, /"error" must be/],
      ['error as string', { ...base, id: 1, error: 'bad' }, null, /"error" must be/],
      ['extra member on a response', { ...base, id: 1, result: {}, extra: true }, null, /unexpected member "extra"/],
    ])('%s - invalid request with the right id and a reason', (_, frame, id, reason) => {
      const verdict = rejected(classifyFrame(frame));
      expect(verdict.code).toBe(-32600);
      expect(verdict.id).toBe(id);
      expect(verdict.message).toMatch(/^Invalid Request: /);
      expect(verdict.message).toMatch(reason);
    });

    it('unexpected member with a huge name - the reason quotes at most 40 characters of it', () => {
      const verdict = rejected(classifyFrame({ ...base, id: 1, method: 'x', ['k'.repeat(5000)]: 1 }));
      expect(verdict.message.length).toBeLessThan(200);
    });
  });
});
