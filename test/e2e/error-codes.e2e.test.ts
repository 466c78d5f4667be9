import { createTempWorkspace, serverEnv, startClient, type TempWorkspace } from '../support/spawn-server.js';

describe('not-found error codes (built server over stdio)', () => {
  let ws: TempWorkspace;

  beforeAll(async () => {
    ws = await createTempWorkspace('tfo-error-codes-');
  });

  afterAll(async () => {
    await ws.cleanup();
  });

  it.each([
    ['default: the MCP specification', {}, -32602, -32602],
    ['mcp.compat.telemetryflow_error_codes: the TelemetryFlow API', { TELEMETRYFLOW_MCP_MCP__COMPAT__TELEMETRYFLOW_ERROR_CODES: 'true' }, -32001, -32003],
  ])('%s - unknown tool and unknown prompt', async (_name, env, toolCode, promptCode) => {
    const handle = await startClient(serverEnv({ TELEMETRYFLOW_MCP_MCP__ROOTS: ws.root, ...env }));
    try {
      await expect(handle.client.callTool({ name: 'no_such_tool', arguments: {} })).rejects.toMatchObject({ code: toolCode });
      await expect(handle.client.getPrompt({ name: 'no_such_prompt', arguments: {} })).rejects.toMatchObject({ code: promptCode });
      // Not covered by the switch: a resource that does not exist stays -32002 on the 2025 revisions.
      await expect(handle.client.readResource({ uri: 'nosuch://x' })).rejects.toMatchObject({ code: -32002 });
    } finally {
      await handle.close();
    }
  });
});
