#!/usr/bin/env node
// CPU per call of the HTTP edge checks for MCP 2026-07-28 (revision-claim.ts, routing-headers.ts),
// straight from src/: esbuild bundles the two modules into a temporary file first. Each case runs
// 20k warm-up calls, then 100k measured calls; the figure is process.cpuUsage (user + system) / calls.
//   node bench/edge-checks.mjs [--calls 100000]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';

const { values: args } = parseArgs({ options: { calls: { type: 'string', default: '100000' } } });
const calls = Number(args.calls);
const root = fileURLToPath(new URL('..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'tfo-edge-checks-'));
const outfile = join(dir, 'edge-checks.mjs');
await build({
  absWorkingDir: root,
  stdin: {
    contents: `export * from './src/presentation/transports/http/revision-claim.ts';
               export * from './src/presentation/transports/http/routing-headers.ts';
               export { classifyInboundRequest } from '@modelcontextprotocol/server';`,
    resolveDir: root,
    loader: 'ts',
  },
  outfile,
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  logLevel: 'warning',
});
const edge = await import(pathToFileURL(outfile).href);
rmSync(dir, { recursive: true, force: true });

const envelope = {
  'io.modelcontextprotocol/protocolVersion': '2026-07-28',
  'io.modelcontextprotocol/clientInfo': { name: 'bench', version: '1.0.0' },
  'io.modelcontextprotocol/clientCapabilities': {},
};
const legacyCall = { jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'echo', arguments: { text: 'hi' } } };
const legacyHeaders = { 'content-type': 'application/json', 'mcp-session-id': 'abc', 'mcp-protocol-version': '2025-11-25' };
const modernCall = { jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'echo', arguments: { text: 'hi' }, _meta: envelope } };
const modernHeaders = { 'content-type': 'application/json', 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/call', 'mcp-name': 'echo' };
const routed = {
  jsonrpc: '2.0',
  id: 8,
  method: 'tools/call',
  params: { name: 'route', arguments: { region: 'eu-west-1', priority: 3, target: { zone: 'zürich' } }, _meta: envelope },
};
const routedHeaders = {
  ...modernHeaders,
  'mcp-name': 'route',
  'mcp-param-region': 'eu-west-1',
  'mcp-param-priority': '3',
  'mcp-param-zone': '=?base64?esO8cmljaA==?=',
};
const declared = edge.scanParamHeaders({
  type: 'object',
  properties: {
    region: { type: 'string', 'x-mcp-header': 'Region' },
    priority: { type: 'integer', 'x-mcp-header': 'Priority' },
    target: { type: 'object', properties: { zone: { type: 'string', 'x-mcp-header': 'Zone' } } },
  },
}).headers;
const lookup = (name) => (name === 'route' ? declared : undefined);

const cases = [
  ['claim test, 2025 tools/call', () => edge.claimsModernRevision(legacyCall, legacyHeaders)],
  ['classifyRevision, 2025 tools/call', () => edge.classifyRevision(legacyCall, legacyHeaders)],
  ['claim test, 2026 tools/call', () => edge.claimsModernRevision(modernCall, modernHeaders)],
  ['v2 classifyInboundRequest alone, 2026 tools/call', () =>
    edge.classifyInboundRequest({ httpMethod: 'POST', protocolVersionHeader: '2026-07-28', mcpMethodHeader: 'tools/call', mcpNameHeader: 'echo', body: modernCall })],
  ['classifyRevision, 2026 tools/call', () => edge.classifyRevision(modernCall, modernHeaders)],
  ['checkRoutingHeaders, tools/call + Mcp-Name', () => edge.checkRoutingHeaders(modernCall, modernHeaders, lookup)],
  ['checkRoutingHeaders, + 3 Mcp-Param (1 base64)', () => edge.checkRoutingHeaders(routed, routedHeaders, lookup)],
  ['full edge check, 2026 tools/call', () => {
    const verdict = edge.classifyRevision(modernCall, modernHeaders);
    return verdict.kind === 'modern' ? edge.checkRoutingHeaders(verdict.message, modernHeaders, lookup) : verdict;
  }],
];

// Sanity first: a benchmark of a check that fails proves nothing.
if (edge.classifyRevision(legacyCall, legacyHeaders).kind !== 'legacy') throw new Error('2025 call not legacy');
if (edge.classifyRevision(modernCall, modernHeaders).kind !== 'modern') throw new Error('2026 call not modern');
if (edge.checkRoutingHeaders(routed, routedHeaders, lookup) !== undefined) throw new Error('routed call rejected');

let sink = 0;
console.log(`${calls} calls per case, Node ${process.version}`);
for (const [name, run] of cases) {
  for (let i = 0; i < 20_000; i++) sink += run() ? 1 : 0;
  const before = process.cpuUsage();
  for (let i = 0; i < calls; i++) sink += run() ? 1 : 0;
  const used = process.cpuUsage(before);
  console.log(`${((used.user + used.system) / calls).toFixed(3).padStart(8)} µs  ${name}`);
}
if (sink < 0) console.log(sink);
