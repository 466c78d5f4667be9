import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { createMcpHandler, fromJsonSchema, McpServer, type McpHttpHandler } from '@modelcontextprotocol/server';
import { z } from 'zod';
import { prng } from '../../../support/frame-generator.js';
import { createTestApp } from '../../../support/test-app.js';
import type { RequestOrigin } from '../../../../src/application/origin.js';
import { ListToolsQuery } from '../../../../src/application/tools/list-tools.query.js';
import { RegisterToolCommand } from '../../../../src/application/tools/register-tool.command.js';
import type { ToolDescriptor } from '../../../../src/application/tools/tool-registry.js';
import { STATELESS_FIXTURES } from '../../../../src/conformance/conformance-stateless.tools.js';
import { defineTool } from '../../../../src/application/tools/define-tool.js';
import { allowedRequestHeaders } from '../../../../src/presentation/transports/http/http-guards.js';
import { classifyRevision } from '../../../../src/presentation/transports/http/revision-claim.js';
import {
  checkRoutingHeaders,
  decodeHeaderValue,
  paramHeaderLookup,
  scanParamHeaders,
  type EdgeRejection,
  type HeaderBag,
  type ToolParamHeaders,
  type ToolSchema,
} from '../../../../src/presentation/transports/http/routing-headers.js';

const envelope = {
  'io.modelcontextprotocol/protocolVersion': '2026-07-28',
  'io.modelcontextprotocol/clientInfo': { name: 'test', version: '1.0.0' },
  'io.modelcontextprotocol/clientCapabilities': {},
};
const V = { 'mcp-protocol-version': '2026-07-28' };

function rpc(method: string, params: Record<string, unknown> = {}): { jsonrpc: '2.0'; id: number; method: string; params: Record<string, unknown> } {
  return { jsonrpc: '2.0', id: 1, method, params: { ...params, _meta: envelope } };
}

const ROUTE_SCHEMA = {
  type: 'object',
  properties: {
    region: { type: 'string', 'x-mcp-header': 'Region' },
    priority: { type: 'integer', 'x-mcp-header': 'Priority' },
    dry: { type: 'boolean', 'x-mcp-header': 'Dry-Run' },
    target: { type: 'object', properties: { zone: { type: 'string', 'x-mcp-header': 'Zone' } } },
  },
};
const routeHeaders = scanParamHeaders(ROUTE_SCHEMA).headers;
const lookup: ToolParamHeaders = (name) => (name === 'route' ? routeHeaders : undefined);

/** What the HTTP edge answers: the era check, then the routing headers; 'pass' means dispatch. */
function edge(body: unknown, headers: HeaderBag): 'pass' | 'legacy' | EdgeRejection {
  const verdict = classifyRevision(body, headers);
  if (verdict.kind === 'legacy') return 'legacy';
  if (verdict.kind === 'reject') return verdict;
  return checkRoutingHeaders(verdict.message, headers, lookup) ?? 'pass';
}

const rejected = { kind: 'reject', httpStatus: 400, code: -32020 };

describe('checkRoutingHeaders - conformance http-header-validation cases', () => {
  const call = rpc('tools/call', { name: 'echo', arguments: {} });

  it.each<[string, unknown, HeaderBag]>([
    ['Mcp-Method prompts/list on a tools/list body', rpc('tools/list'), { ...V, 'mcp-method': 'prompts/list' }],
    ['no Mcp-Method', rpc('tools/list'), V],
    ['Mcp-Method TOOLS/LIST (values are case-sensitive)', rpc('tools/list'), { ...V, 'mcp-method': 'TOOLS/LIST' }],
    ['Mcp-Name wrong_tool_name', call, { ...V, 'mcp-method': 'tools/call', 'mcp-name': 'wrong_tool_name' }],
    ['no Mcp-Name while params.name is set', call, { ...V, 'mcp-method': 'tools/call' }],
  ])('%s - 400 with -32020', (_, body, headers) => {
    expect(edge(body, headers)).toMatchObject(rejected);
  });

  it('Mcp-Name with whitespace around the name - accepted (RFC 9110 OWS)', () => {
    expect(edge(call, { ...V, 'mcp-method': 'tools/call', 'mcp-name': '  echo \t' })).toBe('pass');
  });

  it('the rejection names the header and what the body says, in message and data', () => {
    expect(edge(call, { ...V, 'mcp-method': 'tools/call', 'mcp-name': 'wrong_tool_name' })).toEqual({
      ...rejected,
      message: 'Bad Request: the Mcp-Name header says "wrong_tool_name", but the body\'s params.name is "echo"',
      data: { headerName: 'Mcp-Name', mismatch: { header: 'wrong_tool_name', body: 'the body\'s params.name is "echo"' } },
    });
    expect(edge(rpc('tools/list'), V)).toMatchObject({ data: { headerName: 'Mcp-Method', mismatch: { header: '(missing)' } } });
  });

  describe('header names in any case, over node:http', () => {
    let server: Server;
    let port: number;
    beforeAll(async () => {
      server = createServer((req, res) => {
        let text = '';
        req.on('data', (chunk: Buffer) => (text += chunk.toString()));
        req.on('end', () => res.end(JSON.stringify(edge(JSON.parse(text), req.headers))));
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      port = (server.address() as AddressInfo).port;
    });
    afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

    const post = (body: unknown, headers: Record<string, string>) =>
      new Promise<unknown>((resolve, reject) => {
        const req = httpRequest({ host: '127.0.0.1', port, method: 'POST', headers: { 'Content-Type': 'application/json', ...headers } }, (res) => {
          let text = '';
          res.on('data', (chunk: Buffer) => (text += chunk.toString()));
          res.on('end', () => resolve(JSON.parse(text)));
        });
        req.on('error', reject);
        req.end(JSON.stringify(body));
      });

    it.each(['mcp-method', 'MCP-METHOD', 'Mcp-Method'])('%s: tools/list - accepted', async (name) => {
      await expect(post(rpc('tools/list'), { 'MCP-Protocol-Version': '2026-07-28', [name]: 'tools/list' })).resolves.toBe('pass');
    });

    it('MCP-NAME sent twice with the same value - refused (node joins repeats, the value no longer matches)', async () => {
      const req = new Promise<unknown>((resolve, reject) => {
        const r = httpRequest({ host: '127.0.0.1', port, method: 'POST' }, (res) => {
          let text = '';
          res.on('data', (chunk: Buffer) => (text += chunk.toString()));
          res.on('end', () => resolve(JSON.parse(text)));
        });
        r.on('error', reject);
        r.setHeader('MCP-Protocol-Version', '2026-07-28');
        r.setHeader('Mcp-Method', 'tools/call');
        r.setHeader('MCP-NAME', ['echo', 'echo']);
        r.end(JSON.stringify(call));
      });
      await expect(req).resolves.toMatchObject(rejected);
    });
  });
});

describe('checkRoutingHeaders - conformance http-custom-header-server-validation cases', () => {
  const hello = Buffer.from('Hello').toString('base64');
  const headersFor = (region: string | undefined): HeaderBag => ({
    ...V,
    'mcp-method': 'tools/call',
    'mcp-name': 'route',
    ...(region !== undefined && { 'mcp-param-region': region }),
  });
  const callWith = (region: string) => rpc('tools/call', { name: 'route', arguments: { region } });

  it.each<[string, string, string | undefined, 'pass' | 'reject']>([
    ['valid base64 of the value', 'Hello', `=?base64?${hello}?=`, 'pass'],
    ['base64 without its padding', 'Hello', '=?base64?SGVsbG8?=', 'reject'],
    ['base64 with characters outside the alphabet', 'Hello', '=?base64?SGVs!!!bG8=?=', 'reject'],
    ['a value without the =?base64? prefix (literal)', hello, hello, 'pass'],
    ['a value without the ?= suffix (literal)', `=?base64?${hello}`, `=?base64?${hello}`, 'pass'],
    ['no Mcp-Param-Region while arguments.region is set', 'test-value', undefined, 'reject'],
    ['an Mcp-Param-Region naming another region', 'eu-west-1', 'us-east-1', 'reject'],
    ['base64 of bytes that are not UTF-8', 'Hello', '=?base64?/w==?=', 'reject'],
    ['a sentinel-looking value sent encoded, as the client must', '=?base64?abc?=', `=?base64?${Buffer.from('=?base64?abc?=').toString('base64')}?=`, 'pass'],
    ['a leading U+FEFF kept through base64 (v2 drops it and refuses)', '\uFEFFx', `=?base64?${Buffer.from('\uFEFFx').toString('base64')}?=`, 'pass'],
  ])('%s - %s', (_, body, header, outcome) => {
    const answer = edge(callWith(body), headersFor(header));
    if (outcome === 'pass') expect(answer).toBe('pass');
    else expect(answer).toMatchObject(rejected);
  });
});

describe('checkRoutingHeaders - rules', () => {
  const std = (method: string, name?: string): HeaderBag => ({ ...V, 'mcp-method': method, ...(name !== undefined && { 'mcp-name': name }) });

  it.each<[string, Record<string, unknown>, string]>([
    ['prompts/get', { name: 'review' }, 'review'],
    ['resources/read', { uri: 'file:///tmp/a b.txt' }, 'file:///tmp/a b.txt'],
    ['tasks/get', { taskId: 't-1' }, 't-1'],
    ['tasks/update', { taskId: 't-1', inputResponses: {} }, 't-1'],
    ['tasks/cancel', { taskId: 't-1' }, 't-1'],
  ])('%s - Mcp-Name mirrors its member: matching passes, other or missing is -32020', (method, params, name) => {
    expect(edge(rpc(method, params), std(method, name))).toBe('pass');
    expect(edge(rpc(method, params), std(method, `${name}x`))).toMatchObject(rejected);
    expect(edge(rpc(method, params), std(method))).toMatchObject(rejected);
  });

  it('resources/read of a non-ASCII URI, Mcp-Name in base64 - accepted', () => {
    const uri = 'file:///tmp/naïve doc.txt';
    expect(edge(rpc('resources/read', { uri }), std('resources/read', `=?base64?${Buffer.from(uri).toString('base64')}?=`))).toBe('pass');
  });

  it('Mcp-Name on a method without a name member - ignored', () => {
    expect(edge(rpc('tools/list'), std('tools/list', 'anything'))).toBe('pass');
  });

  it('tools/call without params.name - Mcp-Name neither required nor compared (params validation answers -32602 later)', () => {
    expect(edge(rpc('tools/call', { arguments: {} }), std('tools/call'))).toBe('pass');
    expect(edge(rpc('tools/call', { arguments: {} }), std('tools/call', 'echo'))).toBe('pass');
  });

  it('Mcp-Name with a broken base64 value - -32020 even when the body has no name', () => {
    expect(edge(rpc('tools/call', { arguments: {} }), std('tools/call', '=?base64?@@?='))).toMatchObject(rejected);
  });

  it('request without MCP-Protocol-Version (the body claims 2026-07-28) - -32020', () => {
    expect(edge(rpc('tools/list'), { 'mcp-method': 'tools/list' })).toMatchObject({ ...rejected, data: { headerName: 'MCP-Protocol-Version' } });
  });

  it('a claimed notification - passes with no routing headers; a wrong Mcp-Method is still -32020', () => {
    const note = { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 1, _meta: envelope } };
    expect(edge(note, {})).toBe('pass');
    expect(edge(note, { 'mcp-method': 'notifications/progress' })).toMatchObject(rejected);
  });

  it('several faults - answered in v2 order: a mismatched Mcp-Method before a missing version header', () => {
    const answer = checkRoutingHeaders(rpc('tools/list'), { 'mcp-method': 'prompts/list' });
    expect(answer).toMatchObject({ data: { headerName: 'Mcp-Method' } });
  });

  it('a 10 kB header value - quoted at most 200 characters', () => {
    const answer = checkRoutingHeaders(rpc('tools/list'), { ...V, 'mcp-method': 'x'.repeat(10_000) }) as EdgeRejection;
    expect(answer.message.length).toBeLessThan(500);
    expect(JSON.stringify(answer.data).length).toBeLessThan(500);
  });

  describe('Mcp-Param-*', () => {
    const routed = (args: Record<string, unknown>) => rpc('tools/call', { name: 'route', arguments: args });
    const h = (params: Record<string, string>): HeaderBag => ({ ...std('tools/call', 'route'), ...params });

    it.each<[string, Record<string, unknown>, Record<string, string>, boolean]>([
      ['integer as 3', { priority: 3 }, { 'mcp-param-priority': '3' }, true],
      ['integer as 3.0 (compared as numbers)', { priority: 3 }, { 'mcp-param-priority': '3.0' }, true],
      ['integer as 03', { priority: 3 }, { 'mcp-param-priority': '03' }, true],
      ['integer as 3e0 (not a plain decimal, compared as text)', { priority: 3 }, { 'mcp-param-priority': '3e0' }, false],
      ['integer as 4', { priority: 3 }, { 'mcp-param-priority': '4' }, false],
      ['boolean false', { dry: false }, { 'mcp-param-dry-run': 'false' }, true],
      ['boolean as False (case-sensitive)', { dry: false }, { 'mcp-param-dry-run': 'False' }, false],
      ['nested target.zone', { target: { zone: 'a' } }, { 'mcp-param-zone': 'a' }, true],
      ['nested target.zone missing', { target: { zone: 'a' } }, {}, false],
      ['null argument, no header', { region: null }, {}, true],
      ['null argument, a header anyway (ignored)', { region: null }, { 'mcp-param-region': 'x' }, true],
      ['absent argument, no header', {}, {}, true],
      ['an object where a string is declared (no header expected)', { region: { a: 1 } }, {}, true],
      ['an unsafe integer (no header expected)', { priority: 2 ** 60 }, {}, true],
      ['a string where an integer is declared, compared as text', { priority: '3' }, { 'mcp-param-priority': '3' }, true],
    ])('%s - %s', (_, args, params, passes) => {
      const answer = edge(routed(args), h(params));
      if (passes) expect(answer).toBe('pass');
      else expect(answer).toMatchObject(rejected);
    });

    it('a tool the lookup does not know, or no lookup at all - Mcp-Param-* not checked', () => {
      expect(edge(rpc('tools/call', { name: 'echo', arguments: { region: 'x' } }), std('tools/call', 'echo'))).toBe('pass');
      expect(checkRoutingHeaders(routed({ region: 'x' }), std('tools/call', 'route'))).toBeUndefined();
    });
  });
});

describe('scanParamHeaders', () => {
  it('the route schema - four headers, paths and lower-case keys', () => {
    expect(scanParamHeaders(ROUTE_SCHEMA)).toEqual({
      headers: [
        { path: ['region'], header: 'Mcp-Param-Region', key: 'mcp-param-region', type: 'string' },
        { path: ['priority'], header: 'Mcp-Param-Priority', key: 'mcp-param-priority', type: 'integer' },
        { path: ['dry'], header: 'Mcp-Param-Dry-Run', key: 'mcp-param-dry-run', type: 'boolean' },
        { path: ['target', 'zone'], header: 'Mcp-Param-Zone', key: 'mcp-param-zone', type: 'string' },
      ],
    });
  });

  it('a schema without x-mcp-header - no headers, no problem', () => {
    expect(scanParamHeaders({ type: 'object', properties: { a: { type: 'string' } } })).toEqual({ headers: [] });
  });

  it.each<[string, unknown]>([
    ['under items', { type: 'object', properties: { list: { type: 'array', items: { type: 'string', 'x-mcp-header': 'Item' } } } }],
    ['under anyOf', { type: 'object', anyOf: [{ properties: { a: { type: 'string', 'x-mcp-header': 'A' } } }] }],
    ['under $defs', { type: 'object', $defs: { a: { type: 'string', 'x-mcp-header': 'A' } } }],
    ['on the root', { type: 'object', 'x-mcp-header': 'Root' }],
    ['an empty name', { type: 'object', properties: { a: { type: 'string', 'x-mcp-header': '' } } }],
    ['a name with a space', { type: 'object', properties: { a: { type: 'string', 'x-mcp-header': 'My Header' } } }],
    ['a name with a colon', { type: 'object', properties: { a: { type: 'string', 'x-mcp-header': 'A:B' } } }],
    ['an object type', { type: 'object', properties: { a: { type: 'object', 'x-mcp-header': 'A' } } }],
    ['no type', { type: 'object', properties: { a: { 'x-mcp-header': 'A' } } }],
    ['a name repeated in another case', { type: 'object', properties: { a: { type: 'string', 'x-mcp-header': 'Zone' }, b: { type: 'string', 'x-mcp-header': 'ZONE' } } }],
  ])('x-mcp-header %s - a problem, no headers', (_, schema) => {
    expect(scanParamHeaders(schema)).toEqual({ headers: [], problem: expect.any(String) });
  });

  it('a number type - a problem, but the header is still checked (as v2 does)', () => {
    const scan = scanParamHeaders({ type: 'object', properties: { ratio: { type: 'number', 'x-mcp-header': 'Ratio' } } });
    expect(scan).toEqual({ headers: [{ path: ['ratio'], header: 'Mcp-Param-Ratio', key: 'mcp-param-ratio', type: 'number' }], problem: expect.stringContaining('number') });
  });
});

describe('paramHeaderLookup', () => {
  /** A descriptor that counts how often its schema is read: each read is one scan. */
  function counted(name: string, inputSchema: unknown): ToolSchema & { reads: number } {
    return {
      name,
      reads: 0,
      get inputSchema() {
        this.reads++;
        return inputSchema;
      },
    };
  }
  const plain = { type: 'object', properties: { text: { type: 'string' } } };

  it('a catalog - each tool scanned once, on its first lookup, however often it is called', () => {
    const route = counted('route', ROUTE_SCHEMA);
    const echo = counted('echo', plain);
    const lookupOf = paramHeaderLookup([route, echo]);
    expect(route.reads).toBe(0);
    for (let i = 0; i < 5; i++) expect(lookupOf('route')).toEqual(routeHeaders);
    expect(lookupOf('echo')).toEqual([]);
    expect(lookupOf('echo')).toEqual([]);
    expect([route.reads, echo.reads]).toEqual([1, 1]);
  });

  it('a tool the catalog does not have - undefined; names are exact (no case folding, no prototype keys)', () => {
    const lookupOf = paramHeaderLookup([{ name: 'route', inputSchema: ROUTE_SCHEMA }]);
    expect(lookupOf('ROUTE')).toBeUndefined();
    expect(lookupOf('missing')).toBeUndefined();
    expect(lookupOf('__proto__')).toBeUndefined();
    expect(lookupOf('constructor')).toBeUndefined();
  });

  it('a catalog read through a function - a new array is seen on the next lookup; descriptors listed again are not scanned again', () => {
    const route = counted('route', ROUTE_SCHEMA);
    let catalog: readonly ToolSchema[] = [route];
    const lookupOf = paramHeaderLookup(() => catalog);
    expect(lookupOf('route')).toEqual(routeHeaders);
    expect(lookupOf('zone')).toBeUndefined();
    const zoneSchema = { type: 'object', properties: { zone: { type: 'string', 'x-mcp-header': 'Zone' } } };
    catalog = [route, { name: 'zone', inputSchema: zoneSchema }];
    expect(lookupOf('zone')).toEqual([{ path: ['zone'], header: 'Mcp-Param-Zone', key: 'mcp-param-zone', type: 'string' }]);
    expect(lookupOf('route')).toEqual(routeHeaders);
    expect(route.reads).toBe(1);
    catalog = [{ name: 'route', inputSchema: plain }];
    expect(lookupOf('route')).toEqual([]);
    expect(lookupOf('zone')).toBeUndefined();
  });

  it('invalid declarations - no headers to check, except a number type (as v2)', () => {
    const lookupOf = paramHeaderLookup([
      { name: 'nested', inputSchema: { type: 'object', properties: { list: { type: 'array', items: { type: 'string', 'x-mcp-header': 'Item' } } } } },
      { name: 'ratio', inputSchema: { type: 'object', properties: { ratio: { type: 'number', 'x-mcp-header': 'Ratio' } } } },
    ]);
    expect(lookupOf('nested')).toEqual([]);
    expect(lookupOf('ratio')).toEqual([{ path: ['ratio'], header: 'Mcp-Param-Ratio', key: 'mcp-param-ratio', type: 'number' }]);
  });

  describe('over our own catalog, read through ListToolsQuery (the edge wiring)', () => {
    const app = createTestApp({ settings: { pageSize: 2 } });
    const origin: RequestOrigin = { principal: 'anonymous', requestId: 'edge-tool-scan', protocolVersion: '2026-07-28' };
    let lookupOf: ToolParamHeaders;
    beforeAll(async () => {
      for (const definition of STATELESS_FIXTURES) await app.commands.execute(new RegisterToolCommand(definition));
      const tools: ToolDescriptor[] = [];
      let cursor: string | undefined;
      do {
        const page = await app.queries.execute(new ListToolsQuery(origin, cursor));
        tools.push(...page.items);
        cursor = page.nextCursor;
      } while (cursor !== undefined);
      expect(tools.length).toBeGreaterThan(2);
      lookupOf = paramHeaderLookup(tools);
    });

    const call = (args: Record<string, unknown>, params: Record<string, string>) =>
      checkRoutingHeaders(rpc('tools/call', { name: 'test_mcp_param_header', arguments: args }), {
        ...V,
        'mcp-method': 'tools/call',
        'mcp-name': 'test_mcp_param_header',
        ...params,
      }, lookupOf);

    it('the x-mcp-header fixture - Mcp-Param-Region found; other tools have none', () => {
      expect(lookupOf('test_mcp_param_header')).toEqual([{ path: ['region'], header: 'Mcp-Param-Region', key: 'mcp-param-region', type: 'string' }]);
      expect(lookupOf('test_logging_tool')).toEqual([]);
    });

    it.each<[string, Record<string, string>, string | undefined]>([
      ['plain value', { 'mcp-param-region': 'Hello' }, undefined],
      ['plain value with OWS', { 'mcp-param-region': ' \tHello ' }, undefined],
      ['valid base64', { 'mcp-param-region': '=?base64?SGVsbG8=?=' }, undefined],
      ['base64 without padding', { 'mcp-param-region': '=?base64?SGVsbG8?=' }, 'Bad Request: the Mcp-Param-Region header is not a valid =?base64?…?= value'],
      ['base64 with bad characters', { 'mcp-param-region': '=?base64?SGVs!!!bG8=?=' }, 'Bad Request: the Mcp-Param-Region header is not a valid =?base64?…?= value'],
      ['no header', {}, 'Bad Request: the Mcp-Param-Region header is missing, but the body\'s params.arguments.region is "Hello"'],
      ['another value', { 'mcp-param-region': 'Goodbye' }, 'Bad Request: the Mcp-Param-Region header says "Goodbye", but the body\'s params.arguments.region is "Hello"'],
    ])('region "Hello", %s', (_, params, message) => {
      const answer = call({ region: 'Hello' }, params);
      if (message === undefined) expect(answer).toBeUndefined();
      else expect(answer).toMatchObject({ ...rejected, message, data: { headerName: 'Mcp-Param-Region' } });
    });

    it('no region argument and no header - dispatched (params validation answers later)', () => {
      expect(call({}, {})).toBeUndefined();
    });

    it('over registry.descriptors() directly - a tool registered at runtime is checked from its first call', async () => {
      const live = paramHeaderLookup(() => app.registry.descriptors());
      expect(live('late_route')).toBeUndefined();
      const late = defineTool({
        props: { name: 'late_route', description: 'registered after the first lookup', inputSchema: { type: 'object', properties: { zone: { type: 'string', 'x-mcp-header': 'Zone' } } } },
        input: z.looseObject({ zone: z.string() }),
        run: async () => ({ content: [] }),
      });
      await app.commands.execute(new RegisterToolCommand(late));
      const body = rpc('tools/call', { name: 'late_route', arguments: { zone: 'a' } });
      const headers = { ...V, 'mcp-method': 'tools/call', 'mcp-name': 'late_route' };
      expect(checkRoutingHeaders(body, headers, live)).toMatchObject({ ...rejected, data: { headerName: 'Mcp-Param-Zone' } });
      expect(checkRoutingHeaders(body, { ...headers, 'mcp-param-zone': 'a' }, live)).toBeUndefined();
      expect(live('test_mcp_param_header')).toEqual(lookupOf('test_mcp_param_header'));
    });
  });
});

describe('decodeHeaderValue', () => {
  it.each<[string, string | undefined]>([
    ['plain', 'plain'],
    ['=?base64?SGVsbG8=?=', 'Hello'],
    ['=?BASE64?SGVsbG8=?=', '=?BASE64?SGVsbG8=?='],
    ['=?base64?SGVsbG8=', '=?base64?SGVsbG8='],
    ['=?base64??=', ''],
    ['=?base64?SGVsbG8?=', undefined],
    ['=?base64?SGVs bG8=?=', undefined],
    ['=?base64?/w==?=', undefined],
  ])('%s - %s', (value, decoded) => {
    expect(decodeHeaderValue(value)).toBe(decoded);
  });
});

// ---- Differential: what the v2 client sends, and what the v2 server refuses ----

interface Captured {
  readonly headers: Record<string, string>;
  readonly body: unknown;
}

function v2Factory(): McpServer {
  const server = new McpServer({ name: 'v2-reference', version: '1.0.0' });
  server.registerTool('echo', { inputSchema: z.object({ text: z.string() }) }, async ({ text }) => ({ content: [{ type: 'text', text }] }));
  server.registerTool('route', { inputSchema: fromJsonSchema(ROUTE_SCHEMA) }, async () => ({ content: [{ type: 'text', text: 'routed' }] }));
  server.registerPrompt('greet me', { argsSchema: z.object({ who: z.string() }) }, ({ who }) => ({ messages: [{ role: 'user', content: { type: 'text', text: who } }] }));
  server.registerResource('doc', 'file:///tmp/doc.txt', {}, async (uri) => ({ contents: [{ uri: uri.href, text: 'doc' }] }));
  return server;
}

/** v2's answer to one POST: 'pass' for a served request, else its HTTP status and JSON-RPC code. */
async function v2Answer(handler: McpHttpHandler, headers: Record<string, string>, body: unknown): Promise<'pass' | { httpStatus: number; code: number }> {
  const response = await handler.fetch(
    new Request('http://127.0.0.1/mcp', { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers }, body: JSON.stringify(body) }),
  );
  const text = await response.text();
  if (response.status === 200) return 'pass';
  return { httpStatus: response.status, code: (JSON.parse(text) as { error: { code: number } }).error.code };
}

function ours(headers: Record<string, string>, body: unknown, toolHeaders: ToolParamHeaders): 'pass' | { httpStatus: number; code: number } {
  const verdict = classifyRevision(body, headers);
  if (verdict.kind === 'legacy') throw new Error(`legacy verdict for ${JSON.stringify(body)}`);
  const answer = verdict.kind === 'reject' ? verdict : checkRoutingHeaders(verdict.message, headers, toolHeaders);
  return answer === undefined ? 'pass' : { httpStatus: answer.httpStatus, code: answer.code };
}

describe('v2 client traffic (differential)', () => {
  let handler: McpHttpHandler;
  const captured: Captured[] = [];
  let listed: readonly ToolSchema[] = [];
  const toolHeaders: ToolParamHeaders = paramHeaderLookup(() => listed);

  beforeAll(async () => {
    handler = createMcpHandler(v2Factory, { legacy: 'reject' });
    const fetchThroughV2 = async (url: string | URL, init?: RequestInit): Promise<Response> => {
      const request = new Request(url, init);
      if (request.method === 'POST') captured.push({ headers: Object.fromEntries(request.headers), body: JSON.parse(String(init?.body)) });
      return handler.fetch(request);
    };
    const client = new Client({ name: 'differential', version: '1.0.0' }, { versionNegotiation: { mode: { pin: '2026-07-28' } } });
    await client.connect(new StreamableHTTPClientTransport(new URL('http://127.0.0.1/mcp'), { fetch: fetchThroughV2 }));
    listed = (await client.listTools()).tools;
    await client.callTool({ name: 'echo', arguments: { text: 'hi' } });
    for (const args of [
      { region: 'eu-west-1', priority: 3, dry: false, target: { zone: 'a' } },
      { region: ' padded ', priority: -7, dry: true, target: { zone: 'zürich' } },
      { region: '', priority: 0 },
      { region: '=?base64?looks-encoded?=', target: {} },
      { region: 'tab\tinside', priority: 9_007_199_254_740_991 },
      { region: null, dry: true },
    ]) {
      await client.callTool({ name: 'route', arguments: args });
    }
    await client.getPrompt({ name: 'greet me', arguments: { who: 'x' } });
    await client.readResource({ uri: 'file:///tmp/doc.txt' });
    await client.readResource({ uri: 'file:///tmp/naïve doc.txt' }).catch(() => undefined);
    await client.close();
  });
  afterAll(() => handler.close());

  it('the client sent what the differential needs: Mcp-Name in base64 and Mcp-Param-* in base64', () => {
    const all = captured.flatMap((c) => Object.entries(c.headers));
    expect(captured.length).toBeGreaterThanOrEqual(12);
    expect(all.some(([k, v]) => k === 'mcp-name' && v.startsWith('=?base64?'))).toBe(true);
    expect(all.some(([k, v]) => k.startsWith('mcp-param-') && v.startsWith('=?base64?'))).toBe(true);
    expect(toolHeaders('route')).toEqual(routeHeaders);
    expect(toolHeaders('echo')).toEqual([]);
  });

  it('every request as the client built it - modern, and passes our checks', () => {
    const refused = captured.filter((c) => ours(c.headers, c.body, toolHeaders) !== 'pass').map((c) => JSON.stringify(c));
    expect(refused).toEqual([]);
  });

  it('each single routing-header corruption - refused with 400 and -32020 by us and by the v2 server alike', async () => {
    const variants: { what: string; headers: Record<string, string>; body: unknown }[] = [];
    for (const c of captured) {
      for (const [key, value] of Object.entries(c.headers)) {
        if (key !== 'mcp-protocol-version' && key !== 'mcp-method' && key !== 'mcp-name' && !key.startsWith('mcp-param-')) continue;
        const { [key]: _, ...without } = c.headers;
        const corruptions: [string, Record<string, string>][] = [
          ['dropped', without],
          ['changed', { ...c.headers, [key]: `${value}x` }],
          ['broken base64', { ...c.headers, [key]: '=?base64?SGVsbG8?=' }],
        ];
        if (value.toUpperCase() !== value) corruptions.push(['upper-cased', { ...c.headers, [key]: value.toUpperCase() }]);
        for (const [how, headers] of corruptions) {
          if (how === 'broken base64' && key !== 'mcp-name' && !key.startsWith('mcp-param-')) continue;
          variants.push({ what: `${(c.body as { method: string }).method} ${key} ${how}`, headers, body: c.body });
        }
      }
    }
    expect(variants.length).toBeGreaterThan(80);
    const answers = await Promise.all(variants.map(async (v) => ({ what: v.what, ours: ours(v.headers, v.body, toolHeaders), v2: await v2Answer(handler, v.headers, v.body) })));
    const expected = { httpStatus: 400, code: -32020 };
    expect(answers.filter((a) => JSON.stringify(a.ours) !== JSON.stringify(expected) || JSON.stringify(a.v2) !== JSON.stringify(expected))).toEqual([]);
  });

  it('generated Mcp-Name and Mcp-Param-Region values - we accept exactly what the v2 server accepts', async () => {
    const rand = prng(0x2243);
    const pick = <T>(options: readonly T[]): T => options[Math.floor(rand() * options.length)] as T;
    const b64 = (text: string) => Buffer.from(text).toString('base64');
    const region = 'eu west-1';
    const valueFor = (truth: string): string => {
      const r = rand();
      if (r < 0.15) return truth;
      if (r < 0.3) return `${pick([' ', '\t', ''])}${truth}${pick([' ', '\t  ', ''])}`;
      if (r < 0.45) return `=?base64?${b64(truth)}?=`;
      if (r < 0.55) return `=?base64?${b64(truth).replace(/=+$/, '')}?=`;
      if (r < 0.62) return `=?base64?${b64(truth)}`;
      if (r < 0.68) return `=?Base64?${b64(truth)}?=`;
      if (r < 0.75) return `=?base64?${b64(truth).slice(0, -4)}${pick(['!!!!', '****', 'AA=A', '/w=='])}?=`;
      if (r < 0.82) return pick([truth.toUpperCase(), `${truth}.`, truth.slice(1), '', '=?base64??=', '=?base64?=']);
      return Array.from({ length: 1 + Math.floor(rand() * 12) }, () => String.fromCharCode(0x20 + Math.floor(rand() * 95))).join('');
    };
    const cases = Array.from({ length: 300 }, (_, i) => {
      const name = i % 2 === 0;
      const body = rpc('tools/call', { name: name ? 'echo' : 'route', arguments: name ? { text: 'hi' } : { region } });
      const headers: Record<string, string> = { ...V, 'mcp-method': 'tools/call', 'mcp-name': name ? valueFor('echo') : 'route' };
      if (!name) headers['mcp-param-region'] = valueFor(region);
      return { headers, body };
    });
    const answers = await Promise.all(cases.map(async (c) => ({ c, ours: ours(c.headers, c.body, toolHeaders), v2: await v2Answer(handler, c.headers, c.body) })));
    expect(answers.filter((a) => a.ours === 'pass').length).toBeGreaterThan(60);
    expect(answers.filter((a) => a.ours !== 'pass').length).toBeGreaterThan(60);
    const disagreements = answers.filter((a) => JSON.stringify(a.ours) !== JSON.stringify(a.v2)).map((a) => `${JSON.stringify(a.c.headers)} ours=${JSON.stringify(a.ours)} v2=${JSON.stringify(a.v2)}`);
    expect(disagreements).toEqual([]);
  });

  it('a browser preflight for each POST the client built - every announced header allowed (Mcp-Param-* reflected)', () => {
    // As fetch announces them: lower-case, sorted, without CORS-safelisted `accept`.
    const announced = captured.map((c) => Object.keys(c.headers).filter((name) => name !== 'accept').sort());
    expect(announced.some((names) => names.includes('mcp-param-region'))).toBe(true);
    const refused = announced.flatMap((names) => {
      const allowed = new Set(allowedRequestHeaders(names.join(',')).split(',').map((name) => name.trim().toLowerCase()));
      return names.filter((name) => !allowed.has(name));
    });
    expect(refused).toEqual([]);
  });
});
