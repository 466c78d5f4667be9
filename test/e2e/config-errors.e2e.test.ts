import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import path from 'node:path';
import { builtServerPath, createTempDir, serverEnv, within } from '../support/spawn-server.js';

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

const PORT_RANGE = 'expected an integer 1–65535 (or 0 for any free port)';

/** The built server run as a person would run it from a shell (stdin closed), to its exit. */
function run(args: readonly string[], cwd: string, env: Record<string, string> = {}): Promise<Run> {
  const child = spawn(process.execPath, [builtServerPath(), ...args], { cwd, env: serverEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const exited = new Promise<Run>((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
  return within(exited, 20_000).then((result) => {
    if (result) return result;
    child.kill('SIGKILL');
    throw new Error(`tfo-mcp ${args.join(' ')} did not exit within 20 s; stderr:\n${stderr}`);
  });
}

describe('config errors and listen failures, from the built server', () => {
  let cwd: { dir: string; cleanup(): Promise<void> };

  beforeEach(async () => {
    cwd = await createTempDir('tfo-mcp-config-errors-');
  });

  afterEach(async () => {
    await cwd.cleanup();
  });

  it('config validate, port "abc" in the environment - exit 2 naming the variable, its value, the key and the range', async () => {
    const result = await run(['config', 'validate'], cwd.dir, { TELEMETRYFLOW_MCP_SERVER__HTTP__PORT: 'abc' });

    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(`tfo-mcp: invalid configuration: TELEMETRYFLOW_MCP_SERVER__HTTP__PORT="abc" (server.http.port): ${PORT_RANGE}\n`);
  });

  it('config validate, misspelt section variable - exit 2 naming the variable and the section meant', async () => {
    const result = await run(['config', 'validate'], cwd.dir, { TELEMETRYFLOW_MCP_LOGGIN__LEVEL: 'debug' });

    expect(result.code).toBe(2);
    expect(result.stderr).toBe('tfo-mcp: invalid configuration: TELEMETRYFLOW_MCP_LOGGIN__LEVEL: unknown section "loggin" (did you mean logging?)\n');
  });

  it('config validate, bad value in ./tfo-mcp.yaml - exit 2 naming the file and the line', async () => {
    await writeFile(path.join(cwd.dir, 'tfo-mcp.yaml'), 'server:\n  transport: http\n  http:\n    host: 127.0.0.1\n    port: abc\n');

    const result = await run(['config', 'validate'], cwd.dir);

    expect(result.code).toBe(2);
    expect(result.stderr).toBe(`tfo-mcp: invalid configuration: tfo-mcp.yaml line 5 (server.http.port): ${PORT_RANGE}, got "abc"\n`);
  });

  it.each(['abc', '70000'])('--transport http --port %s - exit 2 naming the flag and its value, nothing started', async (port) => {
    const result = await run(['--transport', 'http', '--port', port], cwd.dir);

    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(`tfo-mcp: invalid configuration: --port "${port}" (server.http.port): ${PORT_RANGE}\n`);
  });

  describe('--transport http on a port already in use', () => {
    let holder: Server;
    let port: number;

    beforeEach(async () => {
      holder = createServer();
      await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
      port = (holder.address() as { port: number }).port;
    });

    afterEach(async () => {
      await new Promise((resolve) => holder.close(resolve));
    });

    it('exit 1 with one line naming the address, the flag, the key and the variable', async () => {
      const result = await run(['--transport', 'http', '--port', String(port)], cwd.dir, { TELEMETRYFLOW_MCP_LOGGING__LEVEL: 'error' });

      expect(result.code).toBe(1);
      expect(result.stdout).toBe('');
      expect(result.stderr).toBe(
        `tfo-mcp: cannot listen on 127.0.0.1:${port}: the address is already in use; ` +
          'pick another port with --port N or server.http.port (TELEMETRYFLOW_MCP_SERVER__HTTP__PORT)\n',
      );
    });

    it('the same port from the environment - the same advice', async () => {
      const result = await run(['--transport', 'http'], cwd.dir, { TELEMETRYFLOW_MCP_SERVER__HTTP__PORT: String(port) });

      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`cannot listen on 127.0.0.1:${port}: the address is already in use; pick another port with --port N`);
    });
  });

  describe('stdio hint for a person at a terminal', () => {
    it('stdin not a terminal (a client spawned it) - no hint', async () => {
      const result = await run([], cwd.dir, { TELEMETRYFLOW_MCP_LOGGING__LEVEL: 'error' });

      expect(result.code).toBe(0);
      expect(result.stdout).toBe('');
      expect(result.stderr).not.toContain('waiting for an MCP client');
    });

    // script(1) is util-linux's (Debian: bsdutils, essential), so it is always there where this suite runs.
    it('stdin a terminal - one hint saying what to do next, on stderr', async () => {
      // script(1) gives the server a pseudo-terminal; its stdout goes to /dev/null, so what shows came from stderr.
      const child = spawn('script', ['-qefc', `'${process.execPath}' '${builtServerPath()}' >/dev/null`, '/dev/null'], {
        cwd: cwd.dir,
        env: serverEnv({ TELEMETRYFLOW_MCP_LOGGING__LEVEL: 'error' }),
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let seen = '';
      child.stdout.on('data', (chunk: Buffer) => (seen += chunk.toString('utf8')));
      const exited = new Promise<number | null>((resolve) => child.once('close', resolve));
      for (let i = 0; i < 200 && !seen.includes('README'); i++) await new Promise((resolve) => setTimeout(resolve, 50));
      child.stdin.write('\x04'); // Ctrl+D: end of input, the server shuts down cleanly
      const code = await within(exited, 10_000);
      if (code === undefined) child.kill('SIGKILL');

      const hints = seen.split('waiting for an MCP client on stdin').length - 1;
      expect(hints).toBe(1);
      expect(seen).toContain('--transport http');
      expect(seen).toMatch(/README\.md/);
      expect(code).toBe(0);
    });
  });
});
