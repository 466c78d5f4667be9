import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { RawServer, createTempDir, stdoutProblems } from '../support/spawn-server.js';

const KEY_A = 'e2eKeyA-0123456789abcdef0123456789abcdef';
const KEY_B = 'e2eKeyB-fedcba9876543210fedcba9876543210';

interface LogLine {
  readonly level: string;
  readonly message: string;
  readonly [field: string]: unknown;
}

/** The built server over stdio in a directory holding ./tfo-mcp.yaml, reloaded with SIGHUP. */
describe('config reload on SIGHUP, from the built server', () => {
  let cwd: { dir: string; cleanup(): Promise<void> };
  let server: RawServer | undefined;
  let file: string;

  const logLines = (): LogLine[] =>
    server!.stderr
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as LogLine);
  const logged = (message: string): LogLine[] => logLines().filter((line) => line.message === message);

  /** Sends SIGHUP and waits for the `count`-th log line with `message`. */
  async function hangUp(message: string, count: number): Promise<LogLine> {
    server!.child.kill('SIGHUP');
    await server!.waitUntil(() => logged(message).length >= count, 10_000, `log line ${JSON.stringify(message)} #${count}`);
    return logged(message)[count - 1];
  }

  async function ping(): Promise<void> {
    const answer = await server!.request({ method: 'ping' });
    expect(answer.result).toEqual({});
  }

  async function start(yamlText: string): Promise<void> {
    await writeFile(file, yamlText);
    server = await RawServer.start({ TELEMETRYFLOW_MCP_LOGGING__FORMAT: 'json' }, { cwd: cwd.dir, timeoutMs: 15_000 });
    await server.initialize();
    // SIGHUP is handled once the server says it is ready (before that, Node's default would end it).
    await server.waitUntil(() => logged('tfo-mcp ready').length === 1, 15_000, 'the ready line');
  }

  beforeEach(async () => {
    cwd = await createTempDir('tfo-mcp-reload-');
    file = path.join(cwd.dir, 'tfo-mcp.yaml');
  });

  afterEach(async () => {
    await server?.stop();
    server = undefined;
    await cwd.cleanup();
  });

  it('a key added and logging.level changed - mcp.request_state reloaded, logging.level named as needing a restart, no key logged', async () => {
    await start(`mcp:\n  request_state:\n    keys: [${KEY_A}]\n`);

    await writeFile(file, `mcp:\n  request_state:\n    keys: [${KEY_B}, ${KEY_A}]\n    ttl_seconds: 300\nlogging:\n  level: debug\n`);
    const reloaded = await hangUp('configuration reloaded', 1);

    expect(reloaded).toMatchObject({
      level: 'info',
      reloaded: ['mcp.request_state'],
      needRestart: ['logging.level'],
      requestState: { keyCount: 2, ttlSeconds: 300 },
    });
    expect(logged('configuration changes not applied: they need a restart')).toEqual([
      expect.objectContaining({ level: 'warn', needRestart: ['logging.level'] }),
    ]);
    await ping();
    expect(server!.stderr).not.toContain('e2eKey');
    expect(stdoutProblems(server!.lines, server!.unterminated)).toEqual([]);
  });

  it('a short key, then broken YAML - each reported and ignored, ping still answered; the file removed - defaults (no keys); a good edit - applied', async () => {
    await start(`mcp:\n  request_state:\n    keys: [${KEY_A}]\n`);
    const refused = 'configuration reload refused; the running configuration stays';

    await writeFile(file, 'mcp:\n  request_state:\n    keys: [e2eKeyShort]\n');
    expect((await hangUp(refused, 1)).problem).toBe(
      'tfo-mcp.yaml line 3 (mcp.request_state.keys.0): a request_state key must be at least 32 characters',
    );
    await ping();

    await writeFile(file, 'mcp:\n  request_state:\n    keys: [unclosed\n');
    expect((await hangUp(refused, 2)).problem).toMatch(/not valid YAML/);
    await ping();

    await rm(file);
    const removed = await hangUp('configuration reloaded', 1);
    // Started from ./tfo-mcp.yaml without --config: no file means defaults, which drop the key.
    expect(removed).toMatchObject({ reloaded: ['mcp.request_state'], requestState: { keyCount: 0, ttlSeconds: 600 } });
    await ping();

    await writeFile(file, `mcp:\n  request_state:\n    keys: [${KEY_B}]\n`);
    expect(await hangUp('configuration reloaded', 2)).toMatchObject({ reloaded: ['mcp.request_state'], requestState: { keyCount: 1 } });
    await ping();
    expect(server!.alive).toBe(true);
    expect(server!.stderr).not.toContain('e2eKey');
    expect(stdoutProblems(server!.lines, server!.unterminated)).toEqual([]);
  });

  it('started without keys - one warning that states will not survive a restart; keys added by reload - applied', async () => {
    await start('mcp:\n  page_size: 50\n');
    const warnings = logLines().filter((line) => /mcp\.request_state\.keys is empty/.test(line.message));
    expect(warnings).toHaveLength(1);
    expect(warnings[0].level).toBe('warn');
    expect(warnings[0].message).toMatch(/restart.*replica/);

    await writeFile(file, `mcp:\n  page_size: 50\n  request_state:\n    keys: [${KEY_A}]\n`);
    expect(await hangUp('configuration reloaded', 1)).toMatchObject({ reloaded: ['mcp.request_state'], needRestart: [], requestState: { keyCount: 1 } });
    await ping();
  });
});
