import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { ListRootsRequestSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { connectHttpClient } from '../support/http-client.js';
import { startHttpServer, type HttpServer } from '../support/http-server.js';
import { builtServerPath, serverEnv } from '../support/server-path.js';
import { createTempWorkspace, startClient, type ClientHandle, type TempWorkspace } from '../support/spawn-server.js';

const run = promisify(execFile);
type Envelope = { error: string; reason: string; suggested_actions: string[] };

/** Roots the client answers roots/list with; changed by the test, announced with list_changed. */
function servesRoots(client: Client, roots: { current: string[] }, asked: string[] = []): void {
  client.setRequestHandler(ListRootsRequestSchema, async () => {
    asked.push(roots.current.join(','));
    return { roots: roots.current.map((dir) => ({ uri: pathToFileURL(dir).href, name: path.basename(dir) })) };
  });
}

async function call(client: Client, name: string, args: Record<string, unknown>): Promise<CallToolResult> {
  return (await client.callTool({ name, arguments: args })) as CallToolResult;
}

function textOf(contents: object | undefined): string {
  return contents !== undefined && 'text' in contents ? String(contents.text) : '';
}

function envelope(result: CallToolResult): Envelope {
  expect(result.isError).toBe(true);
  return result.structuredContent as Envelope;
}

describe('roots, the MCP way (built server)', () => {
  let ws: TempWorkspace;
  let projectA: string;
  let projectB: string;
  const handles: ClientHandle[] = [];

  beforeAll(async () => {
    ws = await createTempWorkspace('tfo-roots-e2e-');
    projectA = path.join(ws.root, 'a');
    projectB = path.join(ws.root, 'b');
    await mkdir(projectA);
    await mkdir(projectB);
    await writeFile(path.join(projectA, 'a.txt'), 'in a\n');
    await writeFile(path.join(projectB, 'b.txt'), 'in b\n');
  });

  afterEach(async () => {
    await Promise.all(handles.splice(0).map((h) => h.close()));
  });

  afterAll(async () => {
    await ws.cleanup();
  });

  it('started in "/" without mcp.roots: write_file is refused with an envelope naming mcp.roots, the rest works', async () => {
    const handle = await startClient(serverEnv({}), { cwd: '/' });
    handles.push(handle);
    const target = path.join(ws.root, 'should-not-exist.txt');
    const refused = envelope(await call(handle.client, 'write_file', { path: target, content: 'x' }));
    expect(refused.error).toBe('no workspace roots');
    expect(refused.reason).toContain('mcp.roots');
    expect(refused.reason).toContain('"/"');
    expect(existsSync(target)).toBe(false);
    expect(envelope(await call(handle.client, 'read_file', { path: '/etc/hostname' })).error).toBe('no workspace roots');
    expect(envelope(await call(handle.client, 'execute_command', { command: 'ls', args: ['/'] })).error).toBe('no workspace roots');
    // Other tools keep working.
    const echoed = await call(handle.client, 'echo', { message: 'still here' });
    expect(echoed.isError).toBeFalsy();
    // The ready line says why there are no roots.
    expect(handle.stderr()).toMatch(/tfo-mcp ready.*"rootsSource":"none".*mcp\.roots/);
    const health = await handle.client.readResource({ uri: 'status://health' });
    expect(JSON.parse(textOf(health.contents[0]))).toEqual(expect.objectContaining({ roots: { roots: [], source: 'server' } }));
  });

  it('a client that declares roots gets exactly those, and roots/list_changed narrows them live (stdio)', async () => {
    const roots = { current: [projectA, projectB] };
    const asked: string[] = [];
    const handle = await startClient(serverEnv({}), { cwd: '/', capabilities: { roots: { listChanged: true } } });
    handles.push(handle);
    servesRoots(handle.client, roots, asked);

    const listed = await call(handle.client, 'list_directory', { path: projectB });
    expect(listed.isError).toBeFalsy();
    const read = await call(handle.client, 'read_file', { path: path.join(projectA, 'a.txt') });
    expect((read.structuredContent as { content: string }).content).toBe('in a\n');
    // Outside the client's roots (but inside the temp workspace): refused.
    expect(envelope(await call(handle.client, 'read_file', { path: ws.files.text })).error).toBe('path outside allowed roots');
    expect(asked).toHaveLength(1); // asked once, then kept

    roots.current = [projectA];
    await handle.client.sendRootsListChanged();
    const narrowed = envelope(await call(handle.client, 'read_file', { path: path.join(projectB, 'b.txt') }));
    expect(narrowed.error).toBe('path outside allowed roots');
    const written = await call(handle.client, 'write_file', { path: path.join(projectA, 'new.txt'), content: 'ok' });
    expect(written.isError).toBeFalsy();
    expect(await readFile(path.join(projectA, 'new.txt'), 'utf8')).toBe('ok');
    expect(asked).toEqual([`${projectA},${projectB}`, projectA]);

    const cwdRefused = envelope(await call(handle.client, 'execute_command', { command: 'ls', args: [], cwd: projectB }));
    expect(cwdRefused.error).toBe('path outside allowed roots');
    const resource = await handle.client.readResource({ uri: pathToFileURL(path.join(projectA, 'a.txt')).href });
    expect(textOf(resource.contents[0])).toBe('in a\n');
    await expect(handle.client.readResource({ uri: pathToFileURL(path.join(projectB, 'b.txt')).href })).rejects.toThrow(/outside the allowed roots/);
  });

  it('with mcp.roots set, client roots are intersected with them', async () => {
    const handle = await startClient(serverEnv({ TELEMETRYFLOW_MCP_MCP__ROOTS: JSON.stringify([projectA]) }), {
      capabilities: { roots: { listChanged: true } },
    });
    handles.push(handle);
    servesRoots(handle.client, { current: [ws.root] });
    // The client offers the whole workspace; the operator allows only project a.
    expect((await call(handle.client, 'read_file', { path: path.join(projectA, 'a.txt') })).isError).toBeFalsy();
    expect(envelope(await call(handle.client, 'read_file', { path: path.join(projectB, 'b.txt') })).error).toBe('path outside allowed roots');
    const health = await handle.client.readResource({ uri: 'status://health' });
    expect(JSON.parse(textOf(health.contents[0])).roots).toEqual({ roots: [projectA], source: 'client ∩ mcp.roots' });
  });

  describe('over HTTP', () => {
    let server: HttpServer;

    beforeAll(async () => {
      server = await startHttpServer({}, { cwd: '/' });
    });

    afterAll(async () => {
      await server.stop();
    });

    it('the ready line shows the roots, and a client declaring roots is confined to them', async () => {
      expect(server.logRecords().find((r) => r['message'] === 'tfo-mcp ready')).toEqual(
        expect.objectContaining({ roots: [], rootsSource: 'none', rootsWarning: expect.stringContaining('mcp.roots') }),
      );
      const plain = await connectHttpClient(server.url);
      const withRoots = await connectHttpClient(server.url, { capabilities: { roots: { listChanged: true } } });
      try {
        servesRoots(withRoots.client, { current: [projectB] });
        expect(envelope(await call(plain.client, 'list_directory', { path: projectB })).error).toBe('no workspace roots');
        const listed = await call(withRoots.client, 'list_directory', { path: projectB });
        expect(listed.isError).toBeFalsy();
        expect(JSON.stringify(listed.structuredContent)).toContain('b.txt');
        expect(envelope(await call(withRoots.client, 'list_directory', { path: projectA })).error).toBe('path outside allowed roots');
      } finally {
        await plain.close();
        await withRoots.close();
      }
    });
  });

  it('a root that does not exist fails config validate with exit 2 and the path', async () => {
    const missing = path.join(ws.root, 'absolute', 'path', 'to', 'your', 'project');
    const outcome = await run(process.execPath, [builtServerPath(), 'config', 'validate'], {
      env: serverEnv({ TELEMETRYFLOW_MCP_MCP__ROOTS: JSON.stringify([missing]) }),
      cwd: ws.root,
    }).then(
      () => ({ code: 0, stderr: '' }),
      (error: { code: number; stderr: string }) => ({ code: error.code, stderr: error.stderr }),
    );
    expect(outcome.code).toBe(2);
    expect(outcome.stderr).toContain(`"${missing}" does not exist`);
    expect(outcome.stderr).toContain('mcp.roots');
  });
});
