import { randomBytes } from 'node:crypto';
import { mkdir, readdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { CallToolResultSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { connectHttpClient } from '../support/http-client.js';
import { startHttpServer } from '../support/http-server.js';
import { createTempWorkspace, startClient, type TempWorkspace } from '../support/spawn-server.js';
import { OUTSIDE_SECRET } from '../support/temp-workspace.js';

/**
 * Hostile execute_command calls against the built server with its default allowlist (issue 16): each
 * must be refused with an isError envelope naming the rule, and none may leak the sentinel file
 * outside the root, the server's API key, or create a file outside the root.
 */
const CANARY = `sk-canary-${randomBytes(12).toString('hex')}`;
const SENTINEL = OUTSIDE_SECRET.trim();
/** Matches the sentinel's line without being the sentinel, so echoed arguments cannot look like a leak. */
const NEEDLE = SENTINEL.slice(4, -4);

interface Attack {
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly stdin?: string;
  /** What the envelope's `error` and `reason` must say. */
  readonly error: string;
  readonly reason: RegExp;
}

type Envelope = { error: string; reason: string; context?: Record<string, unknown> };

const DENIED = 'command denied by policy';
const OUTSIDE = 'path outside allowed roots';

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
    await symlink(ws.files.outsideSecret, path.join(ws.root, 'secret-link'));
    await writeFile(path.join(ws.root, 'sums.txt'), `0000000000000000000000000000000000000000000000000000000000000000  ${ws.files.outsideSecret}\n`);
    h = await connectOver(
      transport,
      { TELEMETRYFLOW_MCP_MCP__ROOTS: ws.root, TELEMETRYFLOW_MCP_CLAUDE__API_KEY: CANARY, TELEMETRYFLOW_MCP_LOGGING__LEVEL: 'debug' },
      ws.root,
    );
    await symlink(`/proc/${h.pid}/environ`, path.join(ws.root, 'environ-link'));
    outsideBefore = await readdir(ws.outside);
    baseBefore = await readdir(path.dirname(ws.root));
  });

  afterAll(async () => {
    await h?.close();
    await ws?.cleanup();
  });

  const attacks = (): Attack[] => {
    const out = ws.outside;
    const secret = ws.files.outsideSecret;
    const pid = String(h.pid);
    return [
      { name: 'sort --compress-program=sh', command: 'sort', args: ['-S', '1', '--compress-program=sh', 'hello.txt'], error: DENIED, reason: /sort: option --compress-program runs another program/ },
      { name: 'sort --compress-prog=sh (abbreviated)', command: 'sort', args: ['--compress-prog=sh', 'hello.txt'], error: DENIED, reason: /--compress-prog \(--compress-program\) runs another program/ },
      { name: 'sort hello.txt --compress-program sh (permuted)', command: 'sort', args: ['hello.txt', '--compress-program', 'sh'], error: DENIED, reason: /runs another program/ },
      { name: 'sort -T outside (glued)', command: 'sort', args: [`-T${out}`, 'hello.txt'], error: DENIED, reason: /sort: option -T \(--temporary-directory\)/ },
      { name: 'sort -T /tmp', command: 'sort', args: ['-T', '/tmp', 'hello.txt'], error: DENIED, reason: /temporary files/ },
      { name: 'sort --files0-from=- (file list on stdin)', command: 'sort', args: ['--files0-from=-'], stdin: `${secret}\0`, error: DENIED, reason: /--files0-from reads a list of file names/ },
      { name: 'sort -o outside (glued)', command: 'sort', args: [`-o${out}/created.txt`, 'hello.txt'], error: DENIED, reason: /sort: option -o \(--output\) writes to a file/ },
      { name: 'sort hello.txt --out outside (abbreviated, permuted)', command: 'sort', args: ['hello.txt', '--out', `${out}/created.txt`], error: DENIED, reason: /--output/ },
      { name: 'wc --files0-from=-', command: 'wc', args: ['--files0-from=-'], stdin: `${secret}\0`, error: DENIED, reason: /wc: option --files0-from/ },
      { name: 'du --files0-from=-', command: 'du', args: ['--files0-from=-'], stdin: `${secret}\0`, error: DENIED, reason: /du: option --files0-from/ },
      { name: 'file -f - (file list on stdin)', command: 'file', args: ['-f', '-'], stdin: `${secret}\n`, error: DENIED, reason: /file: option -f \(--files-from\)/ },
      { name: 'sha256sum -c (names read from a checksum file)', command: 'sha256sum', args: ['-c', 'sums.txt'], error: DENIED, reason: /sha256sum: option -c \(--check\)/ },
      { name: 'file -z (runs decompressors)', command: 'file', args: ['-z', 'hello.txt'], error: DENIED, reason: /runs another program/ },
      { name: 'diff -l (runs pr)', command: 'diff', args: ['-l', 'hello.txt', 'hello.txt'], error: DENIED, reason: /runs another program \(pr\)/ },
      { name: 'uniq IN OUT (writes outside)', command: 'uniq', args: ['hello.txt', `${out}/created.txt`], error: DENIED, reason: /names an output file/ },
      { name: 'cat a symlink to a file outside', command: 'cat', args: ['secret-link'], error: OUTSIDE, reason: /secret-link/ },
      { name: 'cat through a symlinked directory', command: 'cat', args: ['link-out/secret.txt'], error: OUTSIDE, reason: /link-out/ },
      { name: 'cat -- outside', command: 'cat', args: ['--', secret], error: DENIED, reason: /outside the allowed roots/ },
      { name: 'grep -f<outside> (glued pattern file)', command: 'grep', args: [`-f${secret}`, 'hello.txt'], error: DENIED, reason: /outside the allowed roots/ },
      { name: 'grep -f through a symlink (glued)', command: 'grep', args: ['-fsecret-link', 'hello.txt'], error: OUTSIDE, reason: /secret-link/ },
      { name: 'head -5c <outside> (obsolete count)', command: 'head', args: ['-5c', secret], error: DENIED, reason: /outside the allowed roots/ },
      { name: 'grep -R through a symlink', command: 'grep', args: ['-R', NEEDLE, '.'], error: DENIED, reason: /grep: option -R \(--dereference-recursive\) follows symbolic links/ },
      { name: 'grep -rR (cluster)', command: 'grep', args: ['-rnR', NEEDLE], error: DENIED, reason: /follows symbolic links/ },
      { name: 'ls -LR', command: 'ls', args: ['-LR'], error: DENIED, reason: /ls: option -L with -R/ },
      { name: 'ls --dereference --recursive', command: 'ls', args: ['--dereference', '.', '--recursive'], error: DENIED, reason: /follows symbolic links/ },
      { name: 'du -L', command: 'du', args: ['-aL', '.'], error: DENIED, reason: /du: option -L \(--dereference\)/ },
      { name: 'diff -r into a symlinked directory operand', command: 'diff', args: ['-r', 'link-out', 'nested'], error: OUTSIDE, reason: /link-out/ },
      { name: 'date -s', command: 'date', args: ['-s', '2001-01-01'], error: DENIED, reason: /date: option -s \(--set\) sets the system clock/ },
      { name: 'date MMDDhhmm', command: 'date', args: ['010100002001'], error: DENIED, reason: /sets the system clock/ },
      { name: 'hostname NAME', command: 'hostname', args: ['tfo-pwned'], error: DENIED, reason: /hostname: the operand "tfo-pwned" sets the host name/ },
      { name: 'hostname -F file', command: 'hostname', args: ['-Fhello.txt'], error: DENIED, reason: /sets the host name from a file/ },
      { name: 'ps e', command: 'ps', args: ['e'], error: DENIED, reason: /ps: BSD option e .* shows the environment/ },
      { name: 'ps ewww', command: 'ps', args: ['ewww'], error: DENIED, reason: /environment/ },
      { name: 'ps auxe', command: 'ps', args: ['auxe'], error: DENIED, reason: /environment/ },
      { name: 'ps -E', command: 'ps', args: ['-E'], error: DENIED, reason: /ps: option -E is not one the policy has reviewed/ },
      { name: 'cat /proc/<server pid>/environ', command: 'cat', args: [`/proc/${pid}/environ`], error: DENIED, reason: /process memory or environment/ },
      { name: 'cat /proc/self/environ', command: 'cat', args: ['/proc/self/environ'], error: DENIED, reason: /process memory or environment/ },
      { name: 'grep -a sk- /proc/<server pid>/environ', command: 'grep', args: ['-a', 'sk-', `/proc/${pid}/environ`], error: DENIED, reason: /process memory or environment/ },
      { name: 'grep --file=/proc/<server pid>/environ', command: 'grep', args: [`--file=/proc/${pid}/environ`, 'hello.txt'], error: DENIED, reason: /process memory or environment/ },
      { name: 'cat a symlink to /proc/<server pid>/environ', command: 'cat', args: ['environ-link'], error: OUTSIDE, reason: /environ-link/ },
      { name: 'sh (blocked)', command: 'sh', args: ['-c', `cat ${secret}`], error: DENIED, reason: /blocked by security\.blocked_commands/ },
      { name: 'python3 (not allowed)', command: 'python3', args: ['-c', 'print(1)'], error: DENIED, reason: /not in security\.allowed_commands/ },
    ];
  };

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
