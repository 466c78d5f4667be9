// Baseline for the 2026-07-28 stateless path: a bare SDK v2 (@modelcontextprotocol/server 2.4.0)
// `createMcpHandler` on node:http through `toNodeHandler` (@modelcontextprotocol/node), as the SDK
// documents it. The factory runs once per HTTP request (that is how the entry works), so each call
// builds an McpServer and registers the echo tool; the zod schemas are built once, here, so the
// per-request cost is the SDK's, not schema construction. `legacy: 'reject'`: this endpoint serves
// the modern revision only. Answers use the default `responseMode: 'auto'`, which is a single JSON
// body when the tool emits nothing before its result (echo never does).
import { createServer } from 'node:http';
import { toNodeHandler } from '@modelcontextprotocol/node';
import { McpServer, createMcpHandler } from '@modelcontextprotocol/server';
import { z } from 'zod';
import { ECHO_ANNOTATIONS, ECHO_DESCRIPTION, ECHO_NAME, ECHO_TITLE, echoInputShape, echoOutputShape, echoResult } from './echo-tool.mjs';

const port = Number(process.env.BENCH_PORT);
const echoInput = z.object(echoInputShape);
const echoOutput = z.object(echoOutputShape);
const echoConfig = { title: ECHO_TITLE, description: ECHO_DESCRIPTION, inputSchema: echoInput, outputSchema: echoOutput, annotations: ECHO_ANNOTATIONS };
const echo = async ({ message }) => echoResult(message);

function newServer() {
  const server = new McpServer({ name: 'sdk2-baseline', version: '1.0.0' });
  server.registerTool(ECHO_NAME, echoConfig, echo);
  return server;
}

const handler = createMcpHandler(newServer, { legacy: 'reject', onerror: (error) => console.error('mcp handler:', error.message) });
const serve = toNodeHandler(handler, { onerror: (error) => console.error('node adapter:', error.message) });

const http = createServer((req, res) => {
  if (new URL(req.url ?? '/', 'http://localhost').pathname !== '/mcp') {
    res.writeHead(404, { 'Content-Type': 'application/json' }).end('{"jsonrpc":"2.0","error":{"code":-32000,"message":"Not found"},"id":null}');
    return;
  }
  serve(req, res).catch((error) => {
    console.error('request failed', error);
    if (!res.headersSent) res.writeHead(500).end();
    else res.end();
  });
});
http.listen(port, '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
