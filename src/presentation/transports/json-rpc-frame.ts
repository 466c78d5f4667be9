import type { JSONRPCMessage } from '@modelcontextprotocol/server';

export type FrameVerdict =
  | { ok: true; message: JSONRPCMessage }
  | { ok: false; code: number; message: string; id: string | number | null };

const REQUEST_KEYS = new Set(['jsonrpc', 'id', 'method', 'params']);
const RESPONSE_KEYS = new Set(['jsonrpc', 'id', 'result', 'error']);
const MAX_ID_LENGTH = 1024;

/**
 * Classifies one parsed frame the way the SDK's (strict) JSON-RPC schemas would, without paying for
 * a zod parse per message. Anything the SDK would silently drop gets a JSON-RPC error instead, so a
 * client never waits forever for an answer.
 */
export function classifyFrame(value: unknown): FrameVerdict {
  if (Array.isArray(value)) return invalid('batch requests are not supported; send one JSON-RPC object per line', null);
  if (value === null || typeof value !== 'object') return invalid('a JSON-RPC message must be a JSON object', null);
  const frame = value as Record<string, unknown>;
  const id = frame['id'];
  const hasId = 'id' in frame;
  const validId = isValidId(id);
  const replyId = validId ? (id as string | number) : null;
  if (frame['jsonrpc'] !== '2.0') return invalid('"jsonrpc" must be exactly "2.0"', replyId);
  if (hasId && !validId) return invalid(idProblem(id), null);

  if ('method' in frame) {
    if (typeof frame['method'] !== 'string') return invalid('"method" must be a string', replyId);
    for (const key of Object.keys(frame)) if (!REQUEST_KEYS.has(key)) return invalid(`unexpected member "${key.slice(0, 40)}"`, replyId);
    const params = frame['params'];
    if (params !== undefined) {
      if (params === null || typeof params !== 'object' || Array.isArray(params)) return invalid('"params" must be an object', replyId);
      const problem = metaProblem((params as Record<string, unknown>)['_meta']);
      if (problem) return invalid(problem, replyId);
    }
    return { ok: true, message: frame as unknown as JSONRPCMessage };
  }

  // An error response may lack an id (the peer could not read ours); a result response may not.
  if ((hasId && 'result' in frame) || 'error' in frame) {
    for (const key of Object.keys(frame)) if (!RESPONSE_KEYS.has(key)) return invalid(`unexpected member "${key.slice(0, 40)}"`, null);
    if ('result' in frame && 'error' in frame) return invalid('a response has either "result" or "error", not both', null);
    if ('result' in frame) {
      if (!isObject(frame['result'])) return invalid('"result" must be an object', null);
      const problem = metaProblem((frame['result'] as Record<string, unknown>)['_meta']);
      if (problem) return invalid(problem.replace('params._meta', 'result._meta'), null);
    }
    if ('error' in frame && !isErrorObject(frame['error'])) return invalid('"error" must be an object with an integer "code" and a string "message"', null);
    return { ok: true, message: frame as unknown as JSONRPCMessage };
  }
  return invalid('a JSON-RPC message needs a "method" (request or notification) or an "id" with "result" or "error" (response)', replyId);
}

function invalid(message: string, id: string | number | null): FrameVerdict {
  return { ok: false, code: -32600, message: `Invalid Request: ${message}`, id };
}

/**
 * Deliberately stricter than the SDK in one place: string ids over MAX_ID_LENGTH are refused, so a
 * client cannot make the server echo megabytes back per response.
 */

function isValidId(id: unknown): boolean {
  return (typeof id === 'string' && id.length <= MAX_ID_LENGTH) || (typeof id === 'number' && Number.isSafeInteger(id));
}

function idProblem(id: unknown): string {
  if (typeof id === 'string') return `"id" is longer than ${MAX_ID_LENGTH} characters`;
  if (typeof id === 'number') return '"id" must be an integer between -(2^53-1) and 2^53-1';
  return '"id" must be a string or an integer (null is not allowed)';
}

function isObject(value: unknown): boolean {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function isErrorObject(value: unknown): boolean {
  if (!isObject(value)) return false;
  const error = value as Record<string, unknown>;
  return Number.isSafeInteger(error['code']) && typeof error['message'] === 'string';
}

function metaProblem(meta: unknown): string | undefined {
  if (meta === undefined) return undefined;
  if (!isObject(meta)) return '"params._meta" must be an object';
  const token = (meta as Record<string, unknown>)['progressToken'];
  if (token !== undefined && !(typeof token === 'string' || (typeof token === 'number' && Number.isSafeInteger(token)))) {
    return '"params._meta.progressToken" must be a string or an integer';
  }
  const related = (meta as Record<string, unknown>)['io.modelcontextprotocol/related-task'];
  if (related !== undefined && !(isObject(related) && typeof (related as Record<string, unknown>)['taskId'] === 'string')) {
    return '"params._meta" related-task must be an object with a string "taskId"';
  }
  return undefined;
}
