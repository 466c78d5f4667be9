import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { builtServerPath, serverEnv } from '../support/server-path.js';
import { RawServer, type JsonRpcMessage } from '../support/raw-server.js';
import { processesWithArg } from '../support/processes.js';
import { createTempWorkspace, type TempWorkspace } from '../support/temp-workspace.js';

/** One random token inside every secret: no output of any command may ever contain it. */
const TOKEN = randomBytes(12).toString('hex');
const SECRETS = {
  TELEMETRYFLOW_MCP_CLAUDE__API_KEY: `sk-canary-${TOKEN}`,
  ANTHROPIC_API_KEY: `sk-ant-canary-${TOKEN}`,
  // persistence.driver stays memory, so the server never dials this URL.
  TELEMETRYFLOW_MCP_PERSISTENCE__POSTGRES__URL: `postgres://u:pw${TOKEN}@127.0.0.1:1/x`,
};

const SHUTDOWN_MS = 1000;

type Structured = { exit_code: number | null; stdout: string; stderr: string; timed_out: boolean; error?: string };

const withArg = processesWithArg;

async function poll(check: () => boolean, withinMs: number): Promise<boolean> {
  const deadline = Date.now() + withinMs;
  while (Date.now() < deadline) {
    if (check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return check();
}

const gone = (marker: string, withinMs = 3000): Promise<boolean> => poll(() => withArg(marker).length === 0, withinMs);
const running = (marker: string, withinMs = 3000): Promise<boolean> => poll(() => withArg(marker).length > 0, withinMs);

/** `sleep 6007.<unique>`: the marker of one escapee. */
function marker(): string {
  return `6007.${process.pid}${randomBytes(3).readUIntBE(0, 3)}`;
}

const asRoot = process.geteuid?.() === 0;

describe('executor isolation (built server over stdio)', () => {
  let ws: TempWorkspace;
  let server: RawServer;
  let nextId = 1;

  async function run(command: string, args: string[], timeoutMs = 10_000): Promise<{ message: JsonRpcMessage; text: string; structured: Structured }> {
    const message = await server.request(
      { id: nextId++, method: 'tools/call', params: { name: 'execute_command', arguments: { command, args, timeout_ms: timeoutMs } } },
      timeoutMs + 10_000,
    );
    const result = message.result as { structuredContent: Structured };
    return { message, text: JSON.stringify(message), structured: result.structuredContent };
  }

  beforeAll(async () => {
    ws = await createTempWorkspace('tfo-isolation-e2e-');
  });

  beforeEach(async () => {
    server = await RawServer.start(
      {
        ...SECRETS,
        TELEMETRYFLOW_MCP_MCP__ROOTS: ws.root,
        // setsid (blocked by default) only here, to prove that escapes die with their run.
        TELEMETRYFLOW_MCP_SECURITY__ALLOWED_COMMANDS: 'cat,ps,ls,sleep,setsid',
        TELEMETRYFLOW_MCP_SECURITY__BLOCKED_COMMANDS: 'env,printenv',
        TELEMETRYFLOW_MCP_SECURITY__UNREVIEWED_COMMANDS: 'setsid',
        // setsid runs another program: allowed here on purpose, to prove escapees are still killed.
        TELEMETRYFLOW_MCP_EXECUTION__SECURITY__ALLOWED_ARGUMENT_RULES: 'program_indirection',
        // Shutdown first lets in-flight calls drain for this long, then kills what still runs.
        TELEMETRYFLOW_MCP_MCP__TIMEOUTS__SHUTDOWN_MS: String(SHUTDOWN_MS),
      },
      { cwd: ws.root, timeoutMs: 20_000 },
    );
    await server.initialize();
  });

  afterEach(async () => {
    if (server.alive) await server.stop();
  });

  afterAll(async () => {
    await ws.cleanup();
  });

  it('ps in every environment-showing form, cat /proc/<server>/environ, ls /proc: never the canary nor the server pid', async () => {
    const pid = String(server.pid);
    const forms = [['e'], ['eww'], ['axe'], ['auxeww'], ['-ef'], ['-eo', 'pid,args'], ['eww', '-p', pid], ['-p', pid, '-o', 'pid,args']];
    let ran = 0;
    for (const args of forms) {
      const { text, structured } = await run('ps', args);
      expect(text).not.toContain(TOKEN);
      // The policy may refuse a form (an envelope); what runs sees only its own namespace.
      if (structured.error === undefined && structured.exit_code === 0) {
        ran += 1;
        expect(structured.stdout.split('\n').map((line) => line.trim().split(/\s+/)[0])).not.toContain(pid);
      }
    }
    expect(ran).toBeGreaterThan(0);

    for (const target of [`/proc/${pid}/environ`, '/proc/1/environ', `/proc/${pid}/cmdline`]) {
      const { text } = await run('cat', [target]);
      expect(text).not.toContain(TOKEN);
    }

    const listing = await run('ls', ['/proc']);
    expect(listing.text).not.toContain(TOKEN);
    if (listing.structured.error === undefined) {
      expect(listing.structured.exit_code).toBe(0);
      expect(listing.structured.stdout.split('\n')).not.toContain(pid);
    }
    expect(server.stderr).not.toContain(TOKEN);
  });

  it('status://health - reports the executor isolation', async () => {
    const response = await server.request({ id: nextId++, method: 'resources/read', params: { uri: 'status://health' } });
    const contents = (response.result as { contents: { text: string }[] }).contents;
    const health = JSON.parse(contents[0].text) as { components: { name: string; status: string; detail: string }[] };
    // As root the namespace needs no user namespace; anyone else gets one mapped to their own uid.
    const expected = asRoot ? 'native; isolation: pid namespace, no capabilities' : 'native; isolation: pid and user namespace, no capabilities';
    const executor = health.components.find((component) => component.name === 'executor');
    expect(executor).toMatchObject({ status: 'up', detail: expect.stringMatching(new RegExp(`^${expected}; max_memory: `)) });
  });

  it('setsid -f escapes, a double fork and a timed-out setsid leave no process behind', async () => {
    const [forked, doubled, timed] = [marker(), marker(), marker()];
    const escaped = await run('setsid', ['-f', 'sleep', forked]);
    expect(escaped.structured.exit_code).toBe(0);
    expect(await gone(forked)).toBe(true);

    // Two forks, no shell: setsid -f runs setsid -f, which runs sleep in yet another session.
    expect((await run('setsid', ['-f', 'setsid', '-f', 'sleep', doubled])).structured.exit_code).toBe(0);
    expect(await gone(doubled)).toBe(true);

    const started = Date.now();
    const timedOut = await run('setsid', ['sleep', timed], 1000);
    expect(timedOut.structured.error).toBe('command timed out');
    expect(Date.now() - started).toBeLessThan(1000 + 1500);
    expect(await gone(timed)).toBe(true);
  });

  it('end of input with a command running - the server exits within a few seconds and its tree is gone', async () => {
    const sleeping = marker();
    server.send({ jsonrpc: '2.0', id: nextId++, method: 'tools/call', params: { name: 'execute_command', arguments: { command: 'setsid', args: ['-f', 'sleep', sleeping], timeout_ms: 60_000 } } });
    const held = marker();
    server.send({ jsonrpc: '2.0', id: nextId++, method: 'tools/call', params: { name: 'execute_command', arguments: { command: 'sleep', args: [held], timeout_ms: 60_000 } } });
    expect(await running(held)).toBe(true);
    const started = Date.now();
    server.endInput();
    await server.waitForExit(SHUTDOWN_MS + 3000);
    expect(Date.now() - started).toBeLessThan(SHUTDOWN_MS + 3000);
    expect(await gone(held)).toBe(true);
    expect(await gone(sleeping)).toBe(true);
  });

  it('server killed with SIGKILL - the running command tree dies with it', async () => {
    const held = marker();
    server.send({ jsonrpc: '2.0', id: nextId++, method: 'tools/call', params: { name: 'execute_command', arguments: { command: 'sleep', args: [held], timeout_ms: 60_000 } } });
    expect(await running(held)).toBe(true);
    server.child.kill('SIGKILL');
    await server.waitForExit(5000);
    expect(await gone(held)).toBe(true);
  });
});

const NOBODY = 65534;

/** Run as root, the suite drops the server to uid 65534; run as anyone else, the server already has no root. */
describe('executor isolation of a server without root (built server as uid 65534, or as the non-root test user)', () => {
  it('runs commands in a user + pid namespace: no server pid, no canary, escapes die', async () => {
    const root = mkdtempSync(join(tmpdir(), 'tfo-isolation-nobody-'));
    if (asRoot) chownSync(root, NOBODY, NOBODY);
    const [command, ...args] = asRoot
      ? ['setpriv', `--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', '--', process.execPath, builtServerPath()]
      : [process.execPath, builtServerPath()];
    const child = spawn(command, args, {
      cwd: root,
      env: serverEnv({
        ...SECRETS,
        TELEMETRYFLOW_MCP_MCP__ROOTS: root,
        TELEMETRYFLOW_MCP_SECURITY__ALLOWED_COMMANDS: 'cat,ps,setsid',
        TELEMETRYFLOW_MCP_SECURITY__BLOCKED_COMMANDS: 'env,printenv',
        TELEMETRYFLOW_MCP_SECURITY__UNREVIEWED_COMMANDS: 'setsid',
        // setsid runs another program: allowed here on purpose, to prove escapees are still killed.
        TELEMETRYFLOW_MCP_EXECUTION__SECURITY__ALLOWED_ARGUMENT_RULES: 'program_indirection',
      }),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    const responses = new Map<number, string>();
    let partial = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        const id = (JSON.parse(line) as { id?: number }).id;
        if (typeof id === 'number') responses.set(id, line);
      }
    });
    const request = async (id: number, method: string, params: object): Promise<string> => {
      child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', id, method, params })}\n`);
      expect(await poll(() => responses.has(id), 10_000)).toBe(true);
      return responses.get(id)!;
    };
    const execute = (id: number, command: string, args: string[]): Promise<string> =>
      request(id, 'tools/call', { name: 'execute_command', arguments: { command, args } });
    try {
      await request(1, 'initialize', { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'nobody-e2e', version: '1' } });
      child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' })}\n`);
      const health = await request(2, 'resources/read', { uri: 'status://health' });
      expect(health).toContain('native; isolation: pid and user namespace, no capabilities');
      const environ = await execute(3, 'cat', [`/proc/${child.pid!}/environ`]);
      expect(environ).not.toContain(TOKEN);
      const ps = await execute(4, 'ps', ['-eo', 'pid,args']);
      expect(ps).not.toContain(TOKEN);
      expect(ps).toContain('"exit_code":0');
      const escapee = marker();
      expect(await execute(5, 'setsid', ['-f', 'sleep', escapee])).toContain('"exit_code":0');
      expect(await gone(escapee)).toBe(true);
    } finally {
      child.stdin.end();
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000))]);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      rmSync(root, { recursive: true, force: true });
    }
  });
});
