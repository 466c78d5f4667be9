// Baseline: a bare @modelcontextprotocol/sdk McpServer with the same echo tool, on stdio.
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { ECHO_ANNOTATIONS, ECHO_DESCRIPTION, ECHO_NAME, ECHO_TITLE, echoInputShape, echoOutputShape, echoResult } from './echo-tool.mjs';

const server = new McpServer({ name: 'sdk-baseline', version: '1.0.0' });
server.registerTool(
  ECHO_NAME,
  { title: ECHO_TITLE, description: ECHO_DESCRIPTION, inputSchema: echoInputShape, outputSchema: echoOutputShape, annotations: ECHO_ANNOTATIONS },
  async ({ message }) => echoResult(message),
);
// End of input leaves no handle open, so the process exits by itself.
await server.connect(new StdioServerTransport());
