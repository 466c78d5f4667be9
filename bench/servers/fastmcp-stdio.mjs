// Baseline: fastmcp (4.x) with the same echo tool, on stdio.
import { FastMCP } from 'fastmcp';
import { z } from 'zod';
import { ECHO_ANNOTATIONS, ECHO_DESCRIPTION, ECHO_NAME, echoInputShape, echoOutputShape, echoResult, quietLogger } from './echo-tool.mjs';

const server = new FastMCP({ name: 'fastmcp-baseline', version: '1.0.0', logger: quietLogger });
server.addTool({
  name: ECHO_NAME,
  description: ECHO_DESCRIPTION,
  annotations: ECHO_ANNOTATIONS,
  parameters: z.object(echoInputShape),
  outputSchema: z.object(echoOutputShape),
  execute: async ({ message }) => echoResult(message),
});
await server.start({ transportType: 'stdio' });
