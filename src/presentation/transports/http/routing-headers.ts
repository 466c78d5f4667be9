/**
 * SEP-2243 routing headers on a 2026-07-28 POST: `MCP-Protocol-Version`, `Mcp-Method`, `Mcp-Name` and
 * the tool-declared `Mcp-Param-*` headers must agree with the body, or the request is refused with
 * HTTP 400 and JSON-RPC -32020 (HeaderMismatch) before dispatch. Proxies route on these headers
 * without reading bodies, so a disagreement is a request that could land on the wrong backend.
 *
 * Rules, as SDK v2 2.4.0 applies them (`classifyInboundRequest` for the two mismatch cells,
 * the unexported `validateStandardRequestHeaders` and `validateMcpParamHeaders` for the rest) and as
 * conformance 0.2.0-alpha.12 `http-header-validation` / `http-custom-header-server-validation` check:
 * - header names are case-insensitive (node:http lower-cases them), values case-sensitive;
 *   optional whitespace (SP, HTAB) around a value is not part of it;
 * - requests need `MCP-Protocol-Version` and `Mcp-Method`; notifications need neither, but a present
 *   `Mcp-Method` must still match;
 * - `Mcp-Name` mirrors `params.name` (tools/call, prompts/get), `params.uri` (resources/read) or
 *   `params.taskId` (tasks/get|update|cancel, SEP-2663). It is required only when that member is a
 *   string; a header whose member is missing is left to params validation (-32602);
 * - `Mcp-Name` and `Mcp-Param-*` values may be `=?base64?<canonical base64 of UTF-8>?=`; a broken
 *   one is refused, and a value without both markers is literal;
 * - `Mcp-Param-{Name}`: for each `x-mcp-header` property of the called tool whose argument is a
 *   string, boolean or safe number, the header must be present and equal (integer/number types
 *   compare numerically, so `3.0` matches 3); null or absent arguments need no header.
 * The order of the checks is v2's, so one request failing several gets the same answer.
 * What the checks cost per call: see ADR 006.
 */

/** Request headers as node:http gives them: lower-case names, a repeated header possibly an array. */
export type HeaderBag = Readonly<Record<string, string | readonly string[] | undefined>>;

/** A JSON-RPC error answered at the HTTP edge, before dispatch. */
export interface EdgeRejection {
  readonly kind: 'reject';
  readonly httpStatus: number;
  readonly code: number;
  readonly message: string;
  readonly data?: unknown;
}

/** SEP-2243 HeaderMismatch; v2 emits it but exports no constant for it. */
export const HEADER_MISMATCH = -32020;

/** One `x-mcp-header` property of a tool's inputSchema: where the argument sits, which header mirrors it. */
export interface ParamHeader {
  /** Property names from `arguments` down to the value (nested `properties` chains are allowed). */
  readonly path: readonly string[];
  /** `Mcp-Param-` + the declared name, as the client spells it (for messages). */
  readonly header: string;
  /** The same, lower-cased: the key in node's headers. */
  readonly key: string;
  readonly type: 'string' | 'integer' | 'boolean' | 'number';
}

/**
 * The caller's tool catalog: the `x-mcp-header` properties of a tool, computed once per tool
 * (`paramHeaderLookup` builds one); `undefined` (unknown tool) or `[]` means no headers to check.
 */
export type ToolParamHeaders = (toolName: string) => readonly ParamHeader[] | undefined;

/** The body a check reads: the single JSON-RPC request or notification of a 2026-07-28 POST. */
export interface RoutedMessage {
  readonly method: string;
  readonly id?: unknown;
  readonly params?: unknown;
}

const NAME_SOURCE: ReadonlyMap<string, string> = new Map([
  ['tools/call', 'name'],
  ['prompts/get', 'name'],
  ['resources/read', 'uri'],
  ['tasks/get', 'taskId'],
  ['tasks/update', 'taskId'],
  ['tasks/cancel', 'taskId'],
]);
const CLAIM_KEY = 'io.modelcontextprotocol/protocolVersion';
const MISSING = '(missing)';

/**
 * Checks the routing headers of a request or notification already classified as 2026-07-28
 * (`classifyRevision` answered `modern`). Returns the rejection to answer, or undefined to dispatch.
 * Pass `toolParamHeaders` (from `paramHeaderLookup`) to check `Mcp-Param-*` on tools/call; without it
 * they are not checked.
 */
export function checkRoutingHeaders(message: RoutedMessage, headers: HeaderBag, toolParamHeaders?: ToolParamHeaders): EdgeRejection | undefined {
  const params = isObject(message.params) ? message.params : undefined;
  const version = readHeader(headers, 'mcp-protocol-version');
  const method = readHeader(headers, 'mcp-method');
  const meta = params && isObject(params['_meta']) ? params['_meta'] : undefined;
  const claimed = meta?.[CLAIM_KEY];
  const claims = () => `the body's _meta claims protocol version ${typeof claimed === 'string' ? show(claimed) : 'a revision'}`;
  const names = () => `the body's method is ${show(message.method)}`;
  if (version !== undefined && typeof claimed === 'string' && version !== claimed) return mismatch('MCP-Protocol-Version', version, claims());
  if (method !== undefined && method !== message.method) return mismatch('Mcp-Method', method, names());
  if (message.id === undefined) return undefined;
  if (version === undefined) return mismatch('MCP-Protocol-Version', undefined, claims());
  if (method === undefined) return mismatch('Mcp-Method', undefined, names());
  return checkName(message.method, params, headers) ?? checkParams(message.method, params, headers, toolParamHeaders);
}

function checkName(method: string, params: Record<string, unknown> | undefined, headers: HeaderBag): EdgeRejection | undefined {
  const field = NAME_SOURCE.get(method);
  if (field === undefined) return undefined;
  const value = params?.[field];
  const body = typeof value === 'string' ? value : undefined;
  const header = readHeader(headers, 'mcp-name');
  if (header === undefined) return body === undefined ? undefined : mismatch('Mcp-Name', undefined, `the body's params.${field} is ${show(body)}`);
  const decoded = decodeHeaderValue(header);
  if (decoded === undefined) return badEncoding('Mcp-Name', header);
  if (body !== undefined && decoded !== body) return mismatch('Mcp-Name', header, `the body's params.${field} is ${show(body)}`);
  return undefined;
}

function checkParams(method: string, params: Record<string, unknown> | undefined, headers: HeaderBag, lookup: ToolParamHeaders | undefined): EdgeRejection | undefined {
  if (method !== 'tools/call' || lookup === undefined || typeof params?.['name'] !== 'string') return undefined;
  const declared = lookup(params['name']);
  if (declared === undefined || declared.length === 0) return undefined;
  for (const param of declared) {
    const value = valueAt(params['arguments'], param.path);
    const text = primitiveText(value);
    if (text === undefined) continue;
    const header = readHeader(headers, param.key);
    const decoded = header === undefined ? undefined : decodeHeaderValue(header);
    if (header !== undefined && decoded === undefined) return badEncoding(param.header, header);
    const numeric = (param.type === 'integer' || param.type === 'number') && typeof value === 'number' && decoded !== undefined && DECIMAL.test(decoded);
    if (decoded === undefined || (numeric ? Number(decoded) !== value : decoded !== text)) {
      return mismatch(param.header, header, `the body's params.arguments.${param.path.join('.')} is ${show(text)}`);
    }
  }
  return undefined;
}

/**
 * The `x-mcp-header` properties of a tool's inputSchema, for the catalog to compute once per tool.
 * `problem` says why the declaration is invalid by the spec (a conforming client then drops the tool
 * from tools/list): a name that is not an RFC 9110 token or repeats another case-insensitively, a
 * non-primitive type, or a property not reachable through `properties` alone. Then `headers` is empty,
 * except for the one fault v2 still checks headers under: a `number` type.
 */
export function scanParamHeaders(inputSchema: unknown): { headers: ParamHeader[]; problem?: string } {
  const headers: ParamHeader[] = [];
  const seen = new Set<string>();
  let numberProblem: string | undefined;
  const visit = (node: unknown, path: string[], reachable: boolean): string | undefined => {
    if (!isObject(node)) return undefined;
    if ('x-mcp-header' in node) {
      const at = path.length === 0 ? '<root>' : path.join('.');
      const name = node['x-mcp-header'];
      if (!reachable || path.length === 0) return `${at}: x-mcp-header is allowed only on a property reached through "properties"`;
      if (typeof name !== 'string' || !TOKEN.test(name)) return `${at}: x-mcp-header must be a non-empty RFC 9110 token`;
      const type = node['type'];
      if (type !== 'string' && type !== 'integer' && type !== 'boolean' && type !== 'number') return `${at}: x-mcp-header needs type string, integer or boolean`;
      if (type === 'number') numberProblem ??= `${at}: x-mcp-header needs type string, integer or boolean, not number`;
      if (seen.has(name.toLowerCase())) return `${at}: x-mcp-header "${name}" repeats another one (names are case-insensitive)`;
      seen.add(name.toLowerCase());
      headers.push({ path, header: `Mcp-Param-${name}`, key: `mcp-param-${name.toLowerCase()}`, type });
    }
    if (isObject(node['properties'])) {
      for (const [key, child] of Object.entries(node['properties'])) {
        const problem = visit(child, [...path, key], reachable);
        if (problem) return problem;
      }
    }
    for (const keyword of UNREACHABLE) {
      const sub = node[keyword];
      const branches = Array.isArray(sub) ? sub : MAP_VALUED.has(keyword) && isObject(sub) ? Object.values(sub) : [sub];
      for (const branch of branches) {
        const problem = visit(branch, [...path, `<${keyword}>`], false);
        if (problem) return problem;
      }
    }
    return undefined;
  };
  const problem = visit(inputSchema, [], true);
  if (problem) return { headers: [], problem };
  return numberProblem ? { headers, problem: numberProblem } : { headers };
}

/** What the lookup reads of a tool; tools/list's descriptors have both. */
export interface ToolSchema {
  readonly name: string;
  readonly inputSchema: unknown;
}

/**
 * `ToolParamHeaders` over a tool catalog: the edge runs on every tools/call, so each tool's schema is
 * scanned once, on its first call, and the scan is kept per descriptor object (a tool listed again
 * unchanged is not scanned again). `tools` is the catalog itself or a function that reads it on each
 * lookup; the name index is rebuilt only when that function returns another array, so it should
 * return the same array until the catalog changes (as `ToolRegistry.descriptors()` does).
 * A tool whose declarations are invalid maps to `[]` (no checks), except a `number` type, as v2 does.
 */
export function paramHeaderLookup(tools: readonly ToolSchema[] | (() => readonly ToolSchema[])): ToolParamHeaders {
  const read = typeof tools === 'function' ? tools : () => tools;
  const scans = new WeakMap<ToolSchema, readonly ParamHeader[]>();
  let indexed: readonly ToolSchema[] | undefined;
  let byName = new Map<string, ToolSchema>();
  return (toolName) => {
    const current = read();
    if (current !== indexed) {
      indexed = current;
      byName = new Map(current.map((tool) => [tool.name, tool]));
    }
    const tool = byName.get(toolName);
    if (tool === undefined) return undefined;
    let headers = scans.get(tool);
    if (headers === undefined) {
      headers = scanParamHeaders(tool.inputSchema).headers;
      scans.set(tool, headers);
    }
    return headers;
  };
}

/** Subschemas a `properties` chain does not pass through; a declaration under them is invalid. */
const UNREACHABLE = ['items', 'prefixItems', 'contains', 'additionalProperties', 'unevaluatedProperties', 'unevaluatedItems', 'propertyNames',
  'patternProperties', 'dependentSchemas', 'oneOf', 'anyOf', 'allOf', 'not', 'if', 'then', 'else', '$defs', 'definitions'];
const MAP_VALUED = new Set(['patternProperties', 'dependentSchemas', '$defs', 'definitions']);
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** The spec's string form of an argument; undefined when no header is expected for it. */
function primitiveText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number' && Number.isFinite(value) && (!Number.isInteger(value) || Number.isSafeInteger(value))) return String(value);
  return undefined;
}

function valueAt(root: unknown, path: readonly string[]): unknown {
  let node = root;
  for (const key of path) {
    if (!isObject(node)) return undefined;
    node = node[key];
  }
  return node;
}

const DECIMAL = /^-?\d+(\.\d+)?$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
// ignoreBOM keeps a leading U+FEFF: it is part of the value (v2's decoder drops it, and then refuses
// its own client's header for a value that starts with one).
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** A header value as text: literal, or decoded from the base64 form; undefined when that form is broken. */
export function decodeHeaderValue(value: string): string | undefined {
  if (!value.startsWith('=?base64?') || !value.endsWith('?=')) return value;
  const payload = value.slice(9, value.length - 2);
  if (!BASE64.test(payload)) return undefined;
  try {
    return UTF8.decode(Buffer.from(payload, 'base64'));
  } catch {
    return undefined;
  }
}

/** One header's value without surrounding OWS; repeats are joined with ", " as fetch's Headers.get does. */
export function readHeader(headers: HeaderBag, key: string): string | undefined {
  const raw = headers[key];
  if (raw === undefined) return undefined;
  return stripOws(typeof raw === 'string' ? raw : raw.join(', '));
}

function stripOws(value: string): string {
  let start = 0;
  let end = value.length;
  while (start < end && isOws(value.charCodeAt(start))) start++;
  while (end > start && isOws(value.charCodeAt(end - 1))) end--;
  return start === 0 && end === value.length ? value : value.slice(start, end);
}

function isOws(code: number): boolean {
  return code === 32 || code === 9;
}

/** `data.mismatch` has v2's shape (the header's value or "(missing)", and what the body says). */
function mismatch(headerName: string, header: string | undefined, body: string): EdgeRejection {
  const saying = header === undefined ? 'is missing' : `says ${show(header)}`;
  return rejection(`Bad Request: the ${headerName} header ${saying}, but ${body}`, headerName, header ?? MISSING, body);
}

function badEncoding(headerName: string, header: string): EdgeRejection {
  return rejection(`Bad Request: the ${headerName} header is not a valid =?base64?…?= value`, headerName, header, 'not compared: the header value does not decode');
}

function rejection(message: string, headerName: string, header: string, body: string): EdgeRejection {
  return { kind: 'reject', httpStatus: 400, code: HEADER_MISMATCH, message, data: { headerName, mismatch: { header: header.slice(0, 200), body } } };
}

/** Header values can be kilobytes; an error message quotes at most 200 characters of one. */
function show(value: string): string {
  return JSON.stringify(value.length > 200 ? `${value.slice(0, 200)}…` : value);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
