import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { createTempWorkspace, serverEnv, startClient, type TempWorkspace } from '../support/spawn-server.js';

describe('running commands are bounded per session (built server)', () => {
  let ws: TempWorkspace;

  beforeAll(async () => {
    ws = await createTempWorkspace('tfo-exec-bounds-');
  });

  afterAll(async () => {
    await ws.cleanup();
  });

  it('300 concurrent execute_command calls from one client run at most max_concurrent_executions_per_session; the rest are told to retry', async () => {
    const handle = await startClient(
      serverEnv({
        TELEMETRYFLOW_MCP_MCP__ROOTS: ws.root,
        TELEMETRYFLOW_MCP_SECURITY__ALLOWED_COMMANDS: 'sleep,echo',
        TELEMETRYFLOW_MCP_SECURITY__MAX_CONCURRENT_EXECUTIONS_PER_SESSION: '3',
      }),
    );
    try {
      const results = (await Promise.all(
        Array.from({ length: 300 }, () => handle.client.callTool({ name: 'execute_command', arguments: { command: 'sleep', args: ['0.5'] } })),
      )) as CallToolResult[];
      const ran = results.filter((r) => !r.isError);
      const refused = results.filter((r) => r.isError).map((r) => r.structuredContent as { error: string; retryable: boolean; reason: string });
      expect(ran).toHaveLength(3);
      expect(refused).toHaveLength(297);
      for (const envelope of refused) {
        expect(envelope).toEqual(expect.objectContaining({ error: 'server busy', retryable: true }));
        expect(envelope.reason).toContain('security.max_concurrent_executions_per_session');
      }
      // The slots come back once the commands are done.
      const after = (await handle.client.callTool({ name: 'execute_command', arguments: { command: 'echo', args: ['free again'] } })) as CallToolResult;
      expect(after.isError).toBeFalsy();
    } finally {
      await handle.close();
    }
  });
});
