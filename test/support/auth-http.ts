/**
 * Authenticated MCP traffic for the auth e2e tests: API keys made the way `tfo-mcp keys hash` makes
 * them, the `auth.*` environment of a server, and raw requests (2025 sessions and 2026-07-28
 * stateless calls) that carry a credential header, so a test sees the exact HTTP status, headers
 * and JSON-RPC body the server answered.
 */
import { LATEST_PROTOCOL_VERSION } from '@modelcontextprotocol/sdk/types.js';
import { generateApiKey } from '../../src/infrastructure/auth/api-keys/api-key-format.js';
import { hashApiKey } from '../../src/infrastructure/auth/api-keys/api-key-hash.js';
import { ACCEPT_BOTH, initializeRequest, readResponse, type RawResponse } from './http-client.js';
import type { JsonRpcMessage } from './raw-server.js';
import { statelessHeaders, statelessMeta } from './stateless-http.js';

/** Scrypt cost for test keys: valid for the server (N ≥ its minimum), cheap enough for many keys. */
const TEST_SCRYPT = { N: 1024, r: 8, p: 1 };

export interface TestApiKey {
  readonly name: string;
  readonly key: string;
  /** The `auth.api_keys[]` entry (what `tfo-mcp keys hash` prints, never the key). */
  readonly entry: { name: string; hash: string; grants: string[]; expires_at?: string; rate_limit_class?: string };
}

export async function testApiKey(name: string, grants: string[], extra: { expires_at?: string; rate_limit_class?: string } = {}): Promise<TestApiKey> {
  const key = generateApiKey();
  return { name, key, entry: { name, hash: await hashApiKey(key, TEST_SCRYPT), grants, ...extra } };
}

/** `TELEMETRYFLOW_MCP_AUTH__*` for these keys (JSON in one variable) and optional OAuth settings. */
export function authEnv(keys: readonly TestApiKey[], oauth?: { issuer: string; audience: string; requiredScopes?: readonly string[] }): Record<string, string> {
  return {
    ...(keys.length > 0 ? { TELEMETRYFLOW_MCP_AUTH__API_KEYS: JSON.stringify(keys.map((k) => k.entry)) } : {}),
    ...(oauth
      ? {
          TELEMETRYFLOW_MCP_AUTH__OAUTH__ISSUER: oauth.issuer,
          TELEMETRYFLOW_MCP_AUTH__OAUTH__AUDIENCE: oauth.audience,
          ...(oauth.requiredScopes ? { TELEMETRYFLOW_MCP_AUTH__OAUTH__REQUIRED_SCOPES: oauth.requiredScopes.join(',') } : {}),
        }
      : {}),
  };
}

export const bearer = (token: string): Record<string, string> => ({ Authorization: `Bearer ${token}` });
export const xApiKey = (key: string): Record<string, string> => ({ 'X-API-Key': key });

/** A POST to /mcp with `headers` added (credentials, Mcp-Session-Id…). */
export async function postWith(url: string, body: unknown, headers: Record<string, string>): Promise<RawResponse> {
  // One spelling per name: fetch would join 'Content-Type' and 'content-type' into one list value.
  const merged = Object.fromEntries(Object.entries({ 'content-type': 'application/json', accept: ACCEPT_BOTH, ...headers }).map(([name, value]) => [name.toLowerCase(), value]));
  const response = await fetch(url, {
    method: 'POST',
    headers: merged,
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return readResponse(response);
}

/** initialize + notifications/initialized with a credential; the session id, or the refusal. */
export async function openSession(url: string, credential: Record<string, string>): Promise<{ sessionId: string } | { refused: RawResponse }> {
  const initialize = await postWith(url, initializeRequest(1, LATEST_PROTOCOL_VERSION, 'auth-e2e'), credential);
  const sessionId = initialize.headers.get('mcp-session-id');
  if (initialize.status !== 200 || !sessionId) return { refused: initialize };
  const initialized = await postWith(url, { jsonrpc: '2.0', method: 'notifications/initialized' }, { ...credential, 'Mcp-Session-Id': sessionId, 'MCP-Protocol-Version': LATEST_PROTOCOL_VERSION });
  if (initialized.status !== 202) throw new Error(`notifications/initialized got ${initialized.status} ${initialized.text.slice(0, 300)}`);
  return { sessionId };
}

export async function mustOpenSession(url: string, credential: Record<string, string>): Promise<string> {
  const opened = await openSession(url, credential);
  if ('refused' in opened) throw new Error(`initialize refused: ${opened.refused.status} ${opened.refused.text.slice(0, 300)}`);
  return opened.sessionId;
}

/** One request on a session, with a credential: the whole response (status, headers, messages). */
export function sessionRequest(url: string, sessionId: string, credential: Record<string, string>, method: string, params: Record<string, unknown> = {}, id = 7): Promise<RawResponse> {
  return postWith(url, { jsonrpc: '2.0', id, method, params }, { ...credential, 'Mcp-Session-Id': sessionId, 'MCP-Protocol-Version': LATEST_PROTOCOL_VERSION });
}

/** One 2026-07-28 stateless request with a credential. */
export function statelessRequest(url: string, credential: Record<string, string>, method: string, params: Record<string, unknown> = {}, capabilities: Record<string, unknown> = {}): Promise<RawResponse> {
  const name = typeof params['name'] === 'string' ? params['name'] : typeof params['uri'] === 'string' ? params['uri'] : typeof params['taskId'] === 'string' ? params['taskId'] : undefined;
  return postWith(url, { jsonrpc: '2.0', id: 1, method, params: { ...params, _meta: statelessMeta('auth-e2e', capabilities) } }, { ...statelessHeaders(method, name), ...credential });
}

/** The one answer (result or error) a response carried. */
export function answerOf(response: RawResponse): JsonRpcMessage {
  const answer = response.messages.find((m) => m.result !== undefined || m.error !== undefined);
  if (!answer) throw new Error(`no JSON-RPC answer: HTTP ${response.status} ${response.text.slice(0, 300)}`);
  return answer;
}

/** Tool names of a tools/list answer. */
export function toolNames(response: RawResponse): string[] {
  return ((answerOf(response).result as { tools: { name: string }[] }).tools ?? []).map((t) => t.name).sort();
}

/**
 * One request written byte for byte on a fresh socket (repeated headers, non-ASCII or control bytes
 * that fetch refuses to send), `Connection: close`; the status and headers of the answer.
 */
export async function rawExchange(port: number, head: readonly string[] | Buffer, body = ''): Promise<{ status: number; headers: string; body: string }> {
  const { connect } = await import('node:net');
  const bytes = Buffer.isBuffer(head)
    ? Buffer.concat([head, Buffer.from(body)])
    : Buffer.from(`${[...head, `Host: 127.0.0.1:${port}`, 'Connection: close', `Content-Length: ${Buffer.byteLength(body)}`].join('\r\n')}\r\n\r\n${body}`, 'latin1');
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => socket.destroy(new Error('no answer within 10 s')), 10_000);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.on('close', () => {
      clearTimeout(timer);
      const text = Buffer.concat(chunks).toString('latin1');
      const split = text.indexOf('\r\n\r\n');
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
      resolve({ status, headers: split < 0 ? text : text.slice(0, split), body: split < 0 ? '' : text.slice(split + 4) });
    });
    socket.write(bytes);
  });
}

/** The request line and headers of a JSON POST to /mcp (a test adds its credential lines). */
export function mcpPostHead(extra: readonly string[]): string[] {
  return ['POST /mcp HTTP/1.1', 'Content-Type: application/json', `Accept: ${ACCEPT_BOTH}`, ...extra];
}
