import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { CallToolResultSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { connectHttpClient, type HttpClientHandle } from '../support/http-client.js';
import { startHttpServer, type HttpServer } from '../support/http-server.js';
import { builtServerPath, createTempDir, serverEnv } from '../support/spawn-server.js';

interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** `node dist/main.js ARGS` in `cwd`, as an operator would type `tfo-mcp ARGS`. */
function runCli(args: readonly string[], cwd: string): Promise<CliRun> {
  const child = spawn(process.execPath, [builtServerPath(), ...args], { cwd, env: serverEnv({}), stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`tfo-mcp ${args.join(' ')} did not exit within 15 s`)), 15_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

const yaml = (dir: string, allowed: readonly string[]) =>
  `server:\n  pid_file: ${path.join(dir, 'tfo-mcp.pid')}\n` +
  `mcp:\n  roots: [${dir}]\n` +
  `execution:\n  audit:\n    file: ${path.join(dir, 'audit.log')}\n  security:\n    allowed_commands: [${allowed.join(', ')}]\n`;

async function until(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The built HTTP server with server.pid_file, reloaded by `tfo-mcp config reload` (issue 12). */
describe('tfo-mcp config reload against the built HTTP server', () => {
  let cwd: { dir: string; cleanup(): Promise<void> };
  let server: HttpServer | undefined;
  let client: HttpClientHandle | undefined;

  beforeEach(async () => {
    cwd = await createTempDir('tfo-mcp-reload-cmd-');
  });

  afterEach(async () => {
    await client?.close().catch(() => undefined);
    await server?.stop();
    client = undefined;
    server = undefined;
    await cwd.cleanup();
  });

  const pidFile = () => path.join(cwd.dir, 'tfo-mcp.pid');

  async function call(name: string, args: Record<string, unknown>): Promise<CallToolResult> {
    return (await client!.client.callTool({ name, arguments: args }, CallToolResultSchema)) as CallToolResult;
  }

  it('allowed_commands changed, then config reload - exit 0, SIGHUP sent, the new policy applies to execute_command and check_command_exists, the reload audited; pid file removed at shutdown', async () => {
    await writeFile(path.join(cwd.dir, 'tfo-mcp.yaml'), yaml(cwd.dir, ['ls']));
    server = await startHttpServer({ TELEMETRYFLOW_MCP_LOGGING__FORMAT: 'json' }, { cwd: cwd.dir });
    expect(await readFile(pidFile(), 'utf8')).toBe(`${server.pid}\n`);
    expect((await stat(pidFile())).mode & 0o777).toBe(0o644);
    client = await connectHttpClient(server.url);

    const denied = await call('execute_command', { command: 'echo', args: ['hello'] });
    expect(denied.isError).toBe(true);
    expect(await call('check_command_exists', { command: 'echo' })).toMatchObject({ structuredContent: { exists: true, allowed: false, rule: 'not_allowed' } });

    await writeFile(path.join(cwd.dir, 'tfo-mcp.yaml'), yaml(cwd.dir, ['ls', 'echo']));
    const reload = await runCli(['config', 'reload'], cwd.dir);
    expect(reload).toEqual({ code: 0, stdout: `sent SIGHUP to tfo-mcp process ${server.pid} (pid file ${pidFile()}); its log says what was reloaded\n`, stderr: '' });
    await until(() => server!.logRecords().some((r) => r['message'] === 'configuration reloaded'), 'the reload log line');
    expect(server.logRecords().find((r) => r['message'] === 'configuration reloaded')).toMatchObject({ reloaded: ['execution'] });

    const ran = await call('execute_command', { command: 'echo', args: ['hello'] });
    expect(ran.isError).toBeFalsy();
    expect(ran.structuredContent).toMatchObject({ exit_code: 0, stdout: 'hello\n' });
    expect(await call('check_command_exists', { command: 'echo' })).toMatchObject({ structuredContent: { exists: true, allowed: true, rule: 'reviewed' } });
    const status = await call('get_system_status', {});
    expect(status.structuredContent).toMatchObject({ execution: { backend: 'native' }, server: { name: 'tfo-mcp' } });

    const audit = (await readFile(path.join(cwd.dir, 'audit.log'), 'utf8')).split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>);
    const reloads = audit.filter((line) => line['program'] === '(config reload)');
    expect(reloads).toHaveLength(1);
    expect(JSON.stringify(reloads[0])).toContain('execution configuration reloaded');
    expect(audit.filter((line) => line['program'] === 'echo').map((line) => line['decision'])).toEqual(['denied', 'allowed']);

    await client.close();
    client = undefined;
    expect(await server.stop()).toMatchObject({ code: 0 });
    expect(existsSync(pidFile())).toBe(false);
    // Nothing left to signal: exit 1, saying so.
    const after = await runCli(['config', 'reload', '--pid-file', pidFile()], cwd.dir);
    expect(after.code).toBe(1);
    expect(after.stderr).toContain('does not exist');
  });

  it('a second server on the same pid file while the first runs - refused with exit 1, the file still names the first', async () => {
    await writeFile(path.join(cwd.dir, 'tfo-mcp.yaml'), yaml(cwd.dir, ['ls']));
    server = await startHttpServer({ TELEMETRYFLOW_MCP_LOGGING__FORMAT: 'json' }, { cwd: cwd.dir });
    const second = await runCli(['--transport', 'http', '--port', '0'], cwd.dir);
    expect(second.code).toBe(1);
    expect(second.stderr).toContain(`names tfo-mcp process ${server.pid}, which is running`);
    expect(await readFile(pidFile(), 'utf8')).toBe(`${server.pid}\n`);
  });

  it('config reload without a pid file configured - exit 2; a pid file naming a dead process - exit 1, nothing signalled', async () => {
    const none = await runCli(['config', 'reload'], cwd.dir);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('--pid-file PATH or set server.pid_file');

    const stale = path.join(cwd.dir, 'stale.pid');
    const gone = spawn('true');
    await new Promise((resolve) => gone.once('exit', resolve));
    await writeFile(stale, `${gone.pid}\n`);
    const dead = await runCli(['config', 'reload', '--pid-file', stale], cwd.dir);
    expect(dead.code).toBe(1);
    expect(dead.stderr).toContain('is not running');
    expect(dead.stdout).toBe('');
  });
});
