import { execFile } from 'node:child_process';
import { createServer } from 'node:net';
import { promisify } from 'node:util';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { CallToolResultSchema } from '@modelcontextprotocol/sdk/types.js';
import { builtServerPath, createTempDir, createTempWorkspace, delay, serverEnv, startClient, type ClientHandle, type TempWorkspace } from '../support/spawn-server.js';

const run = promisify(execFile);

/** Every setting that holds a URL, each with a different credential shape; all on loopback. */
function urlSettings(natsPort: number): Record<string, string> {
  return {
    TELEMETRYFLOW_MCP_PERSISTENCE__POSTGRES__URL: 'postgres://tfo:pgSecret1@127.0.0.1:1/tfo?password=pgSecret2&sslmode=require',
    TELEMETRYFLOW_MCP_CACHE__REDIS__URL: 'redis://:redisSecret3@127.0.0.1:1/0',
    TELEMETRYFLOW_MCP_EVENTS__NATS__URL: `nats://natsToken4@127.0.0.1:${natsPort}`,
    TELEMETRYFLOW_MCP_ANALYTICS__CLICKHOUSE__URL: 'http://127.0.0.1:1/?user=default&password=chSecret5',
    TELEMETRYFLOW_MCP_CLAUDE__BASE_URL: 'https://proxyToken6@127.0.0.1:1/v1?api_key=claudeSecret7',
    TELEMETRYFLOW_MCP_TELEMETRY__OTLP_ENDPOINT: 'https://127.0.0.1:1/v1?token=otelSecret8',
  };
}
const SECRETS = ['pgSecret1', 'pgSecret2', 'redisSecret3', 'natsToken4', 'chSecret5', 'proxyToken6', 'claudeSecret7', 'otelSecret8'];

function expectNoSecret(text: string): void {
  for (const secret of SECRETS) expect(text).not.toContain(secret);
}

/** A loopback port with nothing listening: the NATS connection fails and says so in the log. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('redaction of URL credentials in the built server', () => {
  it('tfo-mcp config print - no credential of any URL setting is printed; hosts and options stay', async () => {
    const cwd = await createTempDir();
    try {
      const { stdout } = await run(process.execPath, [builtServerPath(), 'config', 'print'], {
        cwd: cwd.dir,
        env: serverEnv({ TELEMETRYFLOW_MCP_MCP__ROOTS: cwd.dir, ...urlSettings(4222) }),
      });
      expectNoSecret(stdout);
      const printed = JSON.parse(stdout) as { persistence: { postgres: { url: string } }; events: { nats: { url: string } } };
      expect(printed.persistence.postgres.url).toBe('postgres://tfo:[redacted]@127.0.0.1:1/tfo?password=[redacted]&sslmode=require');
      expect(printed.events.nats.url).toBe('nats://[redacted]@127.0.0.1:4222');
    } finally {
      await cwd.cleanup();
    }
  });

  describe('stdio server with events.driver=nats on a closed loopback port', () => {
    let ws: TempWorkspace;
    let h: ClientHandle;

    beforeAll(async () => {
      ws = await createTempWorkspace();
      const env = {
        TELEMETRYFLOW_MCP_MCP__ROOTS: ws.root,
        TELEMETRYFLOW_MCP_LOGGING__LEVEL: 'debug',
        TELEMETRYFLOW_MCP_EVENTS__DRIVER: 'nats',
        ...urlSettings(await closedPort()),
      };
      h = await startClient(serverEnv(env));
    });

    afterAll(async () => {
      await h?.close();
      await ws?.cleanup();
    });

    it('resources/read config://server - no credential survives', async () => {
      const { contents } = await h.client.readResource({ uri: 'config://server' });
      const text = (contents[0] as { text: string }).text;
      expectNoSecret(text);
      expect(text).toContain('@127.0.0.1:1/tfo');
    });

    it('log lines on stderr (the NATS connection failure included) - no credential', async () => {
      await h.client.callTool({ name: 'read_file', arguments: { path: 'hello.txt' } });
      for (let waited = 0; !h.stderr().includes('nats not reachable') && waited < 5000; waited += 50) await delay(50);
      expect(h.stderr()).toContain('nats not reachable');
      expectNoSecret(h.stderr());
    });

    it('read_file with a 5000-character path - "path too long", the echo shortened', async () => {
      const longPath = `${'n'.repeat(300)}/${'component/'.repeat(470)}end.txt`;
      const result = (await h.client.request(
        { method: 'tools/call', params: { name: 'read_file', arguments: { path: longPath } } },
        CallToolResultSchema,
      )) as CallToolResult;
      expect(result.isError).toBe(true);
      const envelope = result.structuredContent as { error: string; context: { path: string } };
      expect(envelope.error).toBe('path too long');
      expect(envelope.context.path).toBe(`${longPath.slice(0, 60)}…${longPath.slice(-20)}`);
      expect(JSON.stringify(result).length).toBeLessThan(2000);
    });
  });
});
