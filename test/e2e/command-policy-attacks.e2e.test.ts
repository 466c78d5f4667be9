import { randomBytes } from 'node:crypto';
import { mkdir, readdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { CallToolResultSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { connectHttpClient } from '../support/http-client.js';
import { startHttpServer } from '../support/http-server.js';
import { createTempWorkspace, startClient, type TempWorkspace } from '../support/spawn-server.js';
import { addAttackFixtures, addServerEnvironLink, NEEDLE, policyAttacks, SENTINEL_TEXT as SENTINEL, type Attack } from '../support/hostile-commands.js';

/**
 * Hostile execute_command calls against the built server with its default allowlist (issue 16): each
 * must be refused with an isError envelope naming the rule, and none may leak the sentinel file
 * outside the root, the server's API key, or create a file outside the root.
 */
const CANARY = `sk-canary-${randomBytes(12).toString('hex')}`;

type Envelope = { error: string; reason: string; context?: Record<string, unknown> };

/** The built server and one client on it, whichever the transport. */
interface Connected {
  readonly client: Client;
  readonly pid: number;
  /** What the server wrote: stdout frames (stdio) and its log (stderr). */
  output(): string;
  close(): Promise<void>;
}

async function connectOver(transport: 'stdio' | 'http', env: Record<string, string>, cwd: string): Promise<Connected> {
  if (transport === 'stdio') {
    const h = await startClient(env, { cwd });
    return { client: h.client, pid: h.pid, output: () => [...h.stdoutLines, h.stderr()].join('\n'), close: () => h.close() };
  }
  const server = await startHttpServer(env, { cwd });
  const c = await connectHttpClient(server.url);
  return {
    client: c.client,
    pid: server.pid,
    output: () => server.stderr(),
    close: async () => {
      await c.close();
      await server.stop();
    },
  };
}

describe.each(['stdio', 'http'] as const)('execute_command policy attacks (built server over %s, default allowlist)', (transport) => {
  let ws: TempWorkspace;
  let h: Connected;
  let outsideBefore: string[];
  let baseBefore: string[];
  const answers: string[] = [];

  const call = async (command: string, args: readonly string[], stdin?: string): Promise<CallToolResult> => {
    const result = (await h.client.request(
      { method: 'tools/call', params: { name: 'execute_command', arguments: { command, args, ...(stdin === undefined ? {} : { stdin }), timeout_ms: 5000 } } },
      CallToolResultSchema,
    )) as CallToolResult;
    answers.push(JSON.stringify(result));
    return result;
  };

  beforeAll(async () => {
    ws = await createTempWorkspace('tfo-mcp-policy-');
    await addAttackFixtures(ws);
    h = await connectOver(
      transport,
      { TELEMETRYFLOW_MCP_MCP__ROOTS: ws.root, TELEMETRYFLOW_MCP_CLAUDE__API_KEY: CANARY, TELEMETRYFLOW_MCP_LOGGING__LEVEL: 'debug' },
      ws.root,
    );
    await addServerEnvironLink(ws, h.pid);
    outsideBefore = await readdir(ws.outside);
    baseBefore = await readdir(path.dirname(ws.root));
  });

  afterAll(async () => {
    await h?.close();
    await ws?.cleanup();
  });

  const attacks = (): Attack[] => policyAttacks(ws, h.pid);

  it('every hostile call - isError envelope naming the rule, nothing leaked, nothing created outside the root', async () => {
    const failures: string[] = [];
    for (const attack of attacks()) {
      const result = await call(attack.command, attack.args, attack.stdin);
      const envelope = result.structuredContent as Envelope | undefined;
      const problem = result.isError !== true
        ? 'was not refused'
        : envelope?.error !== attack.error
          ? `error "${envelope?.error}" is not "${attack.error}"`
          : attack.reason.test(envelope.reason) ? undefined : `reason "${envelope.reason}" does not match ${attack.reason}`;
      if (problem) failures.push(`${attack.name}: ${problem} — ${JSON.stringify(result).slice(0, 400)}`);
    }
    expect(failures).toEqual([]);
    expect(await readdir(ws.outside)).toEqual(outsideBefore);
    expect(await readdir(path.dirname(ws.root))).toEqual(baseBefore);
  });

  it('safe forms of the same programs - run, and follow no symlink out of the root', async () => {
    const grep = await call('grep', ['-rn', NEEDLE, '.']);
    expect(grep.isError).toBeFalsy();
    expect(grep.structuredContent).toMatchObject({ exit_code: 1, stdout: '' });
    const ls = await call('ls', ['-R']);
    expect(ls.structuredContent).toMatchObject({ exit_code: 0, stdout: expect.stringContaining('link-out') });
    const ps = await call('ps', ['aux']);
    expect(ps.structuredContent).toMatchObject({ exit_code: 0 });
    const date = await call('date', ['-u', '+%Y']);
    expect(date.structuredContent).toMatchObject({ exit_code: 0, stdout: expect.stringMatching(/^\d{4}\n$/) });
  });

  it('diff of directories - runs with --no-dereference, so a link inside is compared as a link, not read', async () => {
    await mkdir(path.join(ws.root, 'left'));
    await mkdir(path.join(ws.root, 'right'));
    await symlink(ws.files.outsideSecret, path.join(ws.root, 'left', 'secret.txt'));
    await writeFile(path.join(ws.root, 'right', 'secret.txt'), 'other\n');
    for (const args of [['-r', 'left', 'right'], ['left', 'right']]) {
      const result = await call('diff', args);
      expect(result.structuredContent).toMatchObject({ exit_code: 1, args, stdout: expect.stringContaining('symbolic link') });
    }
  });

  it('all answers - never carry the sentinel outside the root or the server\'s API key', () => {
    expect(answers.length).toBeGreaterThan(40);
    const everything = [...answers, h.output()].join('\n');
    expect(everything).not.toContain(SENTINEL);
    expect(everything).not.toContain(CANARY);
  });
});
