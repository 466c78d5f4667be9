// Baseline: a bare @modelcontextprotocol/sdk McpServer over Streamable HTTP, stateful, one
// StreamableHTTPServerTransport (and one McpServer) per session in a session map, on node:http —
// the SDK's documented stateful pattern (examples/server/simpleStreamableHttp) without express.
// BENCH_SDK_JSON=1 turns on enableJsonResponse (answers as application/json instead of SSE).
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import { ECHO_ANNOTATIONS, ECHO_DESCRIPTION, ECHO_NAME, ECHO_TITLE, echoInputShape, echoOutputShape, echoResult } from './echo-tool.mjs';

const port = Number(process.env.BENCH_PORT);
const enableJsonResponse = process.env.BENCH_SDK_JSON === '1';
const transports = new Map();

function newServer() {
  const server = new McpServer({ name: 'sdk-baseline', version: '1.0.0' });
  server.registerTool(
    ECHO_NAME,
    { title: ECHO_TITLE, description: ECHO_DESCRIPTION, inputSchema: echoInputShape, outputSchema: echoOutputShape, annotations: ECHO_ANNOTATIONS },
    async ({ message }) => echoResult(message),
  );
  return server;
}

function jsonError(res, status, code, message) {
  res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null }));
}

async function readJson(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

async function handle(req, res) {
  if (new URL(req.url ?? '/', 'http://localhost').pathname !== '/mcp') return jsonError(res, 404, -32000, 'Not found');
  const sessionId = req.headers['mcp-session-id'];
  if (req.method === 'POST') {
    let body;
    try {
      body = await readJson(req);
    } catch {
      return jsonError(res, 400, -32700, 'Parse error');
    }
    let transport = sessionId ? transports.get(sessionId) : undefined;
    if (!transport) {
      if (sessionId || !isInitializeRequest(body)) return jsonError(res, sessionId ? 404 : 400, -32000, 'Bad Request: No valid session ID provided');
      transport = new StreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        enableJsonResponse,
        onsessioninitialized: (id) => transports.set(id, transport),
      });
      transport.onclose = () => {
        if (transport.sessionId) transports.delete(transport.sessionId);
      };
      await newServer().connect(transport);
    }
    return transport.handleRequest(req, res, body);
  }
  if (req.method === 'GET' || req.method === 'DELETE') {
    const transport = sessionId ? transports.get(sessionId) : undefined;
    if (!transport) return jsonError(res, 400, -32000, 'Invalid or missing session ID');
    return transport.handleRequest(req, res);
  }
  return jsonError(res, 405, -32000, 'Method not allowed');
}

const http = createServer((req, res) => {
  handle(req, res).catch((error) => {
    console.error('request failed', error);
    if (!res.headersSent) jsonError(res, 500, -32603, 'Internal server error');
    else res.end();
  });
});
http.listen(port, '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
