import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  CallToolResultSchema,
  LATEST_PROTOCOL_VERSION,
  LoggingMessageNotificationSchema,
  type CallToolResult,
  type LoggingMessageNotification,
  type Progress,
} from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import {
  RawServer,
  createTempDir,
  createTempWorkspace,
  delay,
  startClient,
  stdoutProblems,
  within,
  type ClientHandle,
  type TempWorkspace,
} from '../support/spawn-server.js';
import { NESTED_TEXT, OUTSIDE_SECRET } from '../support/temp-workspace.js';

const SECRET = 'sk-secret-123';
const TOOLS = ['check_command_exists', 'claude_conversation', 'echo', 'execute_command', 'get_system_status', 'list_conversations', 'list_directory', 'read_file', 'search_files', 'system_info', 'write_file'];
const PROMPTS = ['code_review', 'debug_help', 'explain_code'];
/** A V8 stack frame, an internal module, or a source position: none may reach a client. */
const STACK_TRACE = /\n\s+at\s|\bat [\w.<>$]+ \(|node:internal|\.[cm]?[jt]s:\d+:\d+/;

const packageVersion = async (): Promise<string> =>
  (JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

function envFor(ws: TempWorkspace, extra: Record<string, string> = {}): Record<string, string> {
  return {
    TELEMETRYFLOW_MCP_MCP__ROOTS: ws.root,
    TELEMETRYFLOW_MCP_LOGGING__LEVEL: 'debug',
    TELEMETRYFLOW_MCP_CLAUDE__API_KEY: SECRET,
    // Replaces the default list: sleep and tail give the timeout, cancellation and progress tests slow programs.
    TELEMETRYFLOW_MCP_SECURITY__ALLOWED_COMMANDS: 'echo,cat,ls,false,sleep,tail',
    ...extra,
  };
}

type Envelope = { error: string; reason: string; suggested_actions: string[]; retryable: boolean };

/** The isError envelope: the fields a model acts on, and nothing internal. */
function expectToolFailure(result: CallToolResult, error: string | RegExp, retryable?: boolean): Envelope {
  expect(result.isError).toBe(true);
  const envelope = result.structuredContent as Envelope;
  expect(envelope).toEqual(
    expect.objectContaining({
      error: expect.any(String),
      reason: expect.any(String),
      suggested_actions: expect.any(Array),
      retryable: expect.any(Boolean),
    }),
  );
  expect(envelope.error).toMatch(error);
  if (retryable !== undefined) expect(envelope.retryable).toBe(retryable);
  expect(result.content[0]).toEqual(expect.objectContaining({ type: 'text', text: expect.stringContaining(envelope.error) }));
  expect(JSON.stringify(result)).not.toMatch(STACK_TRACE);
  return envelope;
}

function expectSuccess(result: CallToolResult): Record<string, unknown> {
  expect(result.isError).toBeFalsy();
  expect(result.structuredContent).toBeDefined();
  return result.structuredContent as Record<string, unknown>;
}

describe('stdio server spawned like Claude Desktop (SDK client, logging.level=debug)', () => {
  let ws: TempWorkspace;
  let h: ClientHandle;
  const logs: LoggingMessageNotification['params'][] = [];

  /** tools/call on the wire, without the SDK's output-schema check, so failure envelopes are seen as sent. */
  const call = (name: string, args?: Record<string, unknown>) =>
    h.client.request({ method: 'tools/call', params: { name, ...(args ? { arguments: args } : {}) } }, CallToolResultSchema) as Promise<CallToolResult>;

  /** tools/call as an SDK host makes it: after tools/list, with structured output validated. */
  const callValidated = async (name: string, args?: Record<string, unknown>) => {
    await h.client.listTools();
    return (await h.client.callTool({ name, arguments: args })) as CallToolResult;
  };

  beforeAll(async () => {
    ws = await createTempWorkspace();
    h = await startClient(envFor(ws));
    h.client.setNotificationHandler(LoggingMessageNotificationSchema, (notification) => {
      logs.push(notification.params);
    });
  });

  afterAll(async () => {
    await h?.close();
    await ws?.cleanup();
  });

  describe('initialize and ping', () => {
    it('initialize – SDK client – negotiates the latest version and reports serverInfo and capabilities', async () => {
      const initialize = h.stdoutLines.map((line) => JSON.parse(line) as { result?: { protocolVersion?: string } }).find((m) => m.result?.protocolVersion);
      expect(initialize?.result?.protocolVersion).toBe(LATEST_PROTOCOL_VERSION);
      expect(h.client.getServerVersion()).toEqual({ name: 'tfo-mcp', version: await packageVersion() });
      expect(h.client.getServerCapabilities()).toEqual(
        expect.objectContaining({
          tools: expect.any(Object),
          resources: expect.any(Object),
          prompts: expect.any(Object),
          logging: expect.any(Object),
          completions: expect.any(Object),
        }),
      );
    });

    it('ping – after initialize – answers an empty result', async () => {
      await expect(h.client.ping()).resolves.toEqual({});
    });
  });

  describe('tools/list', () => {
    it('tools/list – default page size – lists every tool with object input schema, annotations and output schema', async () => {
      const { tools, nextCursor } = await h.client.listTools();
      expect(nextCursor).toBeUndefined();
      expect(tools.map((t) => t.name).sort()).toEqual(TOOLS);
      for (const tool of tools) {
        expect(tool.description?.length).toBeGreaterThan(10);
        expect(tool.inputSchema.type).toBe('object');
        expect(tool.annotations).toEqual(
          expect.objectContaining({
            readOnlyHint: expect.any(Boolean),
            destructiveHint: expect.any(Boolean),
            idempotentHint: expect.any(Boolean),
            openWorldHint: expect.any(Boolean),
          }),
        );
        // Every tool in the source declares an output schema.
        expect(tool.outputSchema?.type).toBe('object');
      }
      const readOnly = Object.fromEntries(tools.map((t) => [t.name, t.annotations?.readOnlyHint]));
      expect(readOnly).toEqual(expect.objectContaining({ echo: true, read_file: true, write_file: false, execute_command: false }));
    });
  });

  describe('tools/call', () => {
    it('echo – a message – returns it unchanged as text and structured content', async () => {
      const message = 'héllo ✓ 😀 "quoted"\nsecond line';
      const result = await callValidated('echo', { message });
      expect(expectSuccess(result)).toEqual({ message });
      expect(result.content).toEqual([{ type: 'text', text: message }]);
    });

    it('echo – missing and oversized message – isError with invalid arguments', async () => {
      expectToolFailure(await call('echo', {}), 'invalid arguments');
      const envelope = expectToolFailure(await call('echo', { message: 'x'.repeat(100_001) }), 'invalid arguments');
      expect(envelope.reason).toMatch(/message/);
    });

    it('system_info – no arguments – describes this host and this Node.js', async () => {
      const info = expectSuccess(await call('system_info', {})) as {
        os: { platform: string };
        cpu: { cores: number };
        memory: { totalBytes: number };
        node: { version: string; pid: number };
      };
      expect(info.os.platform).toBe(process.platform);
      expect(info.node.version).toBe(process.version);
      expect(info.node.pid).toBe(h.pid);
      expect(info.cpu.cores).toBeGreaterThan(0);
      expect(info.memory.totalBytes).toBeGreaterThan(0);
    });

    it('system_info – through the SDK host path (output validated against outputSchema) – accepted', async () => {
      // The SDK validates with Ajv's default dialect; a 2020-12-only construct (prefixItems) must not reject real data.
      const info = expectSuccess(await callValidated('system_info', {})) as { cpu: { loadAverage: number[] } };
      expect(info.cpu.loadAverage).toHaveLength(3);
    });

    it('system_info – arguments that are not an object – -32602', async () => {
      await expect(
        h.client.request({ method: 'tools/call', params: { name: 'system_info', arguments: 'everything' } } as never, CallToolResultSchema),
      ).rejects.toMatchObject({ code: -32602 });
    });

    it('read_file – a text file inside the root – returns its content', async () => {
      const data = expectSuccess(await callValidated('read_file', { path: 'hello.txt' }));
      expect(data).toEqual(
        expect.objectContaining({
          path: ws.files.text,
          content: await readFile(ws.files.text, 'utf8'),
          encoding: 'utf8',
          binary: false,
          truncated: false,
        }),
      );
    });

    it('read_file – by lines – returns only the requested lines and the total', async () => {
      const data = expectSuccess(await callValidated('read_file', { path: ws.files.text, start_line: 2, end_line: 3 }));
      expect(data).toEqual(expect.objectContaining({ start_line: 2, end_line: 3, total_lines: 5 }));
      expect(data['content']).toMatch(/^beta line two\ngamma needle three\n?$/);
    });

    it('read_file – outside the root, directly or through a symlink – isError and no content leaks', async () => {
      for (const target of [ws.files.outsideSecret, 'link-out/secret.txt', '../outside/secret.txt']) {
        const result = await call('read_file', { path: target });
        expectToolFailure(result, 'path outside allowed roots', false);
        expect(JSON.stringify(result)).not.toContain(OUTSIDE_SECRET.trim());
      }
    });

    it('read_file – missing file – isError not found', async () => {
      expectToolFailure(await call('read_file', { path: 'no/such/file.txt' }), 'not found', false);
    });

    it('read_file – binary file – refused unless allow_binary, then base64', async () => {
      const envelope = expectToolFailure(await call('read_file', { path: 'image.png' }), 'binary file', false);
      expect(envelope.suggested_actions.join(' ')).toMatch(/allow_binary/);
      const data = expectSuccess(await callValidated('read_file', { path: 'image.png', allow_binary: true }));
      expect(data).toEqual(expect.objectContaining({ encoding: 'base64', binary: true, content: ws.binaryBytes.toString('base64') }));
    });

    it('write_file – new file with create_directories – writes it inside the root', async () => {
      const target = path.join(ws.root, 'out', 'deeper', 'new.txt');
      const data = expectSuccess(await callValidated('write_file', { path: 'out/deeper/new.txt', content: 'written ✓', create_directories: true }));
      expect(data).toEqual(expect.objectContaining({ path: target, created: true, bytes_written: Buffer.byteLength('written ✓') }));
      await expect(readFile(target, 'utf8')).resolves.toBe('written ✓');
    });

    it('write_file – mode create on an existing file – isError already exists and the file is unchanged', async () => {
      const before = await readFile(ws.files.text, 'utf8');
      expectToolFailure(await call('write_file', { path: 'hello.txt', content: 'clobbered', mode: 'create' }), 'already exists', false);
      await expect(readFile(ws.files.text, 'utf8')).resolves.toBe(before);
    });

    it('write_file – outside the root, directly or through a symlink – isError and nothing is written', async () => {
      expectToolFailure(await call('write_file', { path: path.join(ws.outside, 'evil.txt'), content: 'x' }), 'path outside allowed roots', false);
      expectToolFailure(await call('write_file', { path: 'link-out/evil2.txt', content: 'x' }), 'path outside allowed roots', false);
      expect(existsSync(path.join(ws.outside, 'evil.txt'))).toBe(false);
      expect(existsSync(path.join(ws.outside, 'evil2.txt'))).toBe(false);
    });

    it('list_directory – the root – lists files, directories and the symlink as such', async () => {
      const data = expectSuccess(await callValidated('list_directory', { path: '.' })) as { entries: { name: string; type: string }[] };
      const types = Object.fromEntries(data.entries.map((e) => [e.name, e.type]));
      expect(types).toEqual(expect.objectContaining({ 'hello.txt': 'file', 'image.png': 'file', nested: 'directory', 'link-out': 'symlink' }));
      expect(data.entries.some((e) => e.name === 'deep')).toBe(false);
    });

    it('list_directory – outside the root – isError', async () => {
      expectToolFailure(await call('list_directory', { path: ws.outside }), 'path outside allowed roots', false);
      expectToolFailure(await call('list_directory', { path: 'link-out' }), /path outside allowed roots|not a directory/, false);
    });

    it('search_files – a content pattern – finds matching lines at any depth', async () => {
      const data = expectSuccess(await callValidated('search_files', { content_pattern: 'needle' })) as {
        matches: { path: string; line?: number; text?: string }[];
      };
      const found = data.matches.map((m) => `${m.path}:${m.line}`).sort();
      expect(found).toEqual(['hello.txt:3', 'nested/deep/inner.txt:1']);
      expect(data.matches.find((m) => m.path === 'nested/deep/inner.txt')?.text).toBe(NESTED_TEXT.trim());
    });

    it('search_files – a runaway regular expression – refused as isError', async () => {
      const started = Date.now();
      const envelope = expectToolFailure(await call('search_files', { content_pattern: '(a+)+$', regex: true }), /invalid/);
      expect(envelope.reason).toMatch(/regular expression refused/);
      expect(Date.now() - started).toBeLessThan(5000);
    });

    it('execute_command – an allowed program – returns its output and exit code 0', async () => {
      const data = expectSuccess(await callValidated('execute_command', { command: 'echo', args: ['hello', 'world'] }));
      expect(data).toEqual(expect.objectContaining({ exit_code: 0, stdout: 'hello world\n', timed_out: false, cwd: ws.root }));
    });

    it('execute_command – a blocked program (rm) – isError denied and nothing is removed', async () => {
      const envelope = expectToolFailure(await call('execute_command', { command: 'rm', args: ['hello.txt'] }), 'command denied by policy', false);
      expect(envelope.reason).toMatch(/rm/);
      expect(existsSync(ws.files.text)).toBe(true);
    });

    it('execute_command – a non-zero exit – reported in the result, not as an error', async () => {
      const data = expectSuccess(await callValidated('execute_command', { command: 'ls', args: ['no-such-entry'] }));
      expect(data['exit_code']).not.toBe(0);
      expect(data['stderr']).toMatch(/no-such-entry/);
    });

    it('execute_command – exceeds timeout_ms – isError timed out, retryable, well before the program would end', async () => {
      const started = Date.now();
      const envelope = expectToolFailure(await call('execute_command', { command: 'sleep', args: ['5'], timeout_ms: 200 }), 'command timed out', true);
      expect(envelope.reason).toMatch(/200 ms/);
      expect(Date.now() - started).toBeLessThan(3000);
    });

    it('tools/call – unknown tool – -32602', async () => {
      await expect(h.client.callTool({ name: 'no_such_tool', arguments: {} })).rejects.toMatchObject({ code: -32602 });
    });

    it('tools/call – a failing tool through the SDK host path (after tools/list) – the client receives the isError result', async () => {
      // A host that validates structured output against outputSchema must still get failures as results.
      const result = await callValidated('read_file', { path: 'no/such/file.txt' });
      expectToolFailure(result as CallToolResult, 'not found', false);
    });
  });

  describe('resources', () => {
    it('resources/list and templates/list – list the server resources and the file template', async () => {
      const { resources } = await h.client.listResources();
      expect(resources.map((r) => r.uri).sort()).toEqual(['config://server', 'status://health']);
      const { resourceTemplates } = await h.client.listResourceTemplates();
      expect(resourceTemplates.map((t) => t.uriTemplate)).toEqual(['file:///{path}', 'conversation://{id}']);
    });

    it('resources/read config://server – secret in the environment – redacted, roots shown', async () => {
      const { contents } = await h.client.readResource({ uri: 'config://server' });
      const text = (contents[0] as { text: string }).text;
      expect(text).not.toContain(SECRET);
      const config = JSON.parse(text) as { claude: Record<string, unknown>; mcp: { roots: string[] } };
      expect(config.claude['api_key']).toBe('[redacted]');
      expect(config.mcp.roots).toEqual([ws.root]);
    });

    it('resources/read config://server – values under non-secret keys – shown, not redacted', async () => {
      const { contents } = await h.client.readResource({ uri: 'config://server' });
      const config = JSON.parse((contents[0] as { text: string }).text) as { claude: Record<string, unknown> };
      // max_tokens is a limit, not a token: the operator needs to see it.
      expect(config.claude['max_tokens']).toBe(4096);
    });

    it('resources/read status://health – running server – status up as JSON', async () => {
      const { contents } = await h.client.readResource({ uri: 'status://health' });
      expect(contents[0].mimeType).toBe('application/json');
      const health = JSON.parse((contents[0] as { text: string }).text) as { status: string; name: string };
      expect(health).toEqual(expect.objectContaining({ status: 'up', name: 'tfo-mcp' }));
    });

    it('resources/read file:// – text and binary files inside the root – text and base64 blob', async () => {
      const textUri = pathToFileURL(ws.files.text).href;
      const text = await h.client.readResource({ uri: textUri });
      expect(text.contents).toEqual([expect.objectContaining({ uri: textUri, text: await readFile(ws.files.text, 'utf8') })]);
      const binUri = pathToFileURL(ws.files.binary).href;
      const bin = await h.client.readResource({ uri: binUri });
      expect(bin.contents).toEqual([expect.objectContaining({ uri: binUri, blob: ws.binaryBytes.toString('base64') })]);
    });

    it('resources/read – outside the root, through a symlink, missing, unknown scheme – -32002', async () => {
      const uris = [
        pathToFileURL(ws.files.outsideSecret).href,
        pathToFileURL(path.join(ws.root, 'link-out', 'secret.txt')).href,
        pathToFileURL(path.join(ws.root, 'missing.txt')).href,
        'nosuch://thing',
      ];
      for (const uri of uris) {
        await expect(h.client.readResource({ uri })).rejects.toMatchObject({ code: -32002 });
      }
    });
  });

  describe('prompts', () => {
    it('prompts/list – lists the three code prompts with their arguments', async () => {
      const { prompts } = await h.client.listPrompts();
      expect(prompts.map((p) => p.name).sort()).toEqual(PROMPTS);
      for (const prompt of prompts) expect(prompt.arguments?.some((a) => a.required)).toBe(true);
    });

    it('prompts/get – each prompt with arguments – a user message that embeds them', async () => {
      const cases: [string, Record<string, string>, string[]][] = [
        ['code_review', { code: 'const a = 1;', language: 'typescript', focus: 'security' }, ['const a = 1;', 'security', 'typescript']],
        ['explain_code', { code: 'print(42)', language: 'python', audience: 'beginner' }, ['print(42)', 'beginner']],
        ['debug_help', { error: 'TypeError: boom', code: 'boom()', context: 'running tests' }, ['TypeError: boom', 'boom()', 'running tests']],
      ];
      for (const [name, args, expected] of cases) {
        const result = await h.client.getPrompt({ name, arguments: args });
        expect(result.messages).toHaveLength(1);
        expect(result.messages[0].role).toBe('user');
        const text = (result.messages[0].content as { text: string }).text;
        for (const fragment of expected) expect(text).toContain(fragment);
      }
    });

    it('prompts/get – missing required argument – -32602; unknown prompt – -32602', async () => {
      await expect(h.client.getPrompt({ name: 'code_review', arguments: { language: 'go' } })).rejects.toMatchObject({ code: -32602 });
      await expect(h.client.getPrompt({ name: 'no_such_prompt', arguments: {} })).rejects.toMatchObject({ code: -32602 });
    });
  });

  describe('completion/complete', () => {
    it('a prompt argument – prefix – matching values', async () => {
      const { completion } = await h.client.complete({ ref: { type: 'ref/prompt', name: 'code_review' }, argument: { name: 'language', value: 'ty' } });
      expect(completion.values).toEqual(['typescript']);
    });

    it('the file template path – directory and prefix – entries inside the root', async () => {
      const dir = ws.root.slice(1);
      const all = await h.client.complete({ ref: { type: 'ref/resource', uri: 'file:///{path}' }, argument: { name: 'path', value: `${dir}/` } });
      expect(all.completion.values).toEqual(expect.arrayContaining([`${dir}/hello.txt`, `${dir}/nested/`]));
      const some = await h.client.complete({ ref: { type: 'ref/resource', uri: 'file:///{path}' }, argument: { name: 'path', value: `${dir}/hel` } });
      expect(some.completion.values).toEqual([`${dir}/hello.txt`]);
    });
  });

  describe('logging, progress and cancellation', () => {
    it('logging/setLevel debug then error – debug messages only while debug is set', async () => {
      await h.client.setLoggingLevel('debug');
      logs.length = 0;
      await callValidated('echo', { message: 'log me' });
      await h.client.ping();
      expect(logs).toEqual(expect.arrayContaining([expect.objectContaining({ level: 'debug', logger: 'echo' })]));

      await h.client.setLoggingLevel('error');
      logs.length = 0;
      await callValidated('echo', { message: 'quiet' });
      await call('read_file', { path: 'missing.txt' }); // a warning, below error
      await h.client.ping();
      expect(logs).toEqual([]);
      await h.client.setLoggingLevel('info');
    });

    it('execute_command with a progressToken – output while it runs – onprogress gets the bytes so far before the result', async () => {
      const progress: Progress[] = [];
      const size = (await readFile(ws.files.text)).length;
      // tail -f prints the file, then keeps running until the (small) timeout stops it.
      const result = (await h.client.callTool({ name: 'execute_command', arguments: { command: 'tail', args: ['-f', 'hello.txt'], timeout_ms: 600 } }, CallToolResultSchema, {
        onprogress: (p) => progress.push(p),
      })) as CallToolResult;
      expectToolFailure(result, 'command timed out', true);
      // tools/call announces the start; the command then reports the bytes it printed.
      expect(progress[0]).toEqual(expect.objectContaining({ progress: 0, message: 'execute_command started' }));
      expect(progress).toEqual(expect.arrayContaining([expect.objectContaining({ progress: size, message: expect.stringMatching(/bytes/) })]));
      // The spec: progress increases with each notification.
      for (let i = 1; i < progress.length; i += 1) expect(progress[i].progress).toBeGreaterThan(progress[i - 1].progress);
    });

    it('tools/call with a progressToken – fast tools – their progress notifications precede the result on the wire', async () => {
      const calls: [string, Record<string, unknown>, RegExp][] = [
        ['execute_command', { command: 'cat', args: ['hello.txt'] }, /bytes/],
        ['echo', { message: 'progress please' }, /echo started/],
      ];
      for (const [name, args, expected] of calls) {
        const token = `wire-${name}`;
        const result = (await h.client.request({ method: 'tools/call', params: { name, arguments: args, _meta: { progressToken: token } } }, CallToolResultSchema)) as CallToolResult;
        expectSuccess(result);
        const request = h.sent.find((m) => JSON.stringify(m).includes(`"${token}"`)) as { id: number };
        const wire = h.stdoutLines.map((l) => JSON.parse(l) as { id?: unknown; method?: string; params?: { progressToken?: unknown; message?: string } });
        const resultAt = wire.findIndex((m) => m.id === request.id && m.method === undefined);
        const progress = wire.map((m, at) => ({ m, at })).filter(({ m }) => m.method === 'notifications/progress' && m.params?.progressToken === token);
        expect(progress.some(({ m }) => expected.test(m.params?.message ?? ''))).toBe(true);
        expect(progress.every(({ at }) => at < resultAt)).toBe(true);
      }
    });

    it('a long execute_command – aborted by the client – rejects quickly, no response is sent, the server keeps serving', async () => {
      const controller = new AbortController();
      const pending = h.client.callTool({ name: 'execute_command', arguments: { command: 'sleep', args: ['5'], timeout_ms: 10_000 } }, CallToolResultSchema, {
        signal: controller.signal,
      });
      await delay(300);
      const aborted = Date.now();
      controller.abort();
      // The SDK rejects with an McpError wrapping the signal's AbortError.
      await expect(pending).rejects.toMatchObject({ message: expect.stringMatching(/abort/i) });
      expect(Date.now() - aborted).toBeLessThan(1000);

      await expect(h.client.ping()).resolves.toEqual({});
      const request = h.sent.find(
        (m) => 'method' in m && m.method === 'tools/call' && JSON.stringify(m).includes('"sleep"') && JSON.stringify(m).includes('10000'),
      ) as { id: number } | undefined;
      expect(request).toBeDefined();
      expect(h.sent).toEqual(
        expect.arrayContaining([expect.objectContaining({ method: 'notifications/cancelled', params: expect.objectContaining({ requestId: request!.id }) })]),
      );
      await delay(500);
      const answered = h.stdoutLines.map((l) => JSON.parse(l) as { id?: unknown; result?: unknown; error?: unknown }).filter((m) => m.id === request!.id);
      expect(answered).toEqual([]);
      expect(expectSuccess(await callValidated('echo', { message: 'still here' }))).toEqual({ message: 'still here' });
    });
  });

  describe('stdout and stderr', () => {
    it('stdout – the whole session at logging.level=debug – every line is a JSON-RPC 2.0 message', async () => {
      await h.client.ping();
      await call('echo', { message: 'one more' });
      await call('read_file', { path: 'missing.txt' });
      expect(h.stdoutLines.length).toBeGreaterThan(3);
      expect(stdoutProblems(h.stdoutLines, h.unterminated())).toEqual([]);
      // The SDK client handles notifications a microtask after responses, so a progress notification that
      // shares a stdout chunk with its result is reported as "unknown token" (the wire order is tested above);
      // the raw progressToken test provokes exactly that on purpose.
      const sdkRace = /progress notification for an unknown token/;
      expect(h.clientErrors.map((e) => e.message).filter((m) => !sdkRace.test(m))).toEqual([]);
      // The logs exist; they went to stderr.
      expect(h.stderr()).toContain('tfo-mcp ready');
      expect(h.stdoutLines.join('\n')).not.toContain('tfo-mcp ready');
    });

    it('stderr – logging.level=debug – carries debug-level records', () => {
      const levels = h
        .stderr()
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => (JSON.parse(line) as { level?: string }).level);
      expect(levels).toContain('debug');
    });
  });
});

describe('pagination (mcp.page_size=2)', () => {
  let ws: TempWorkspace;
  let h: ClientHandle;

  beforeAll(async () => {
    ws = await createTempWorkspace();
    h = await startClient(envFor(ws, { TELEMETRYFLOW_MCP_MCP__PAGE_SIZE: '2' }));
  });

  afterAll(async () => {
    await h?.close();
    await ws?.cleanup();
  });

  it('tools/list – following nextCursor – pages of two until every tool was listed once', async () => {
    const names: string[] = [];
    const sizes: number[] = [];
    let cursor: string | undefined;
    do {
      const page = await h.client.listTools(cursor === undefined ? {} : { cursor });
      names.push(...page.tools.map((t) => t.name));
      sizes.push(page.tools.length);
      cursor = page.nextCursor;
    } while (cursor !== undefined && sizes.length < 20);
    expect(sizes).toEqual([2, 2, 2, 2, 2, 1]);
    expect([...names].sort()).toEqual(TOOLS);
  });

  it('prompts/list – page size 2 – a second page holds the third prompt', async () => {
    const first = await h.client.listPrompts();
    expect(first.prompts).toHaveLength(2);
    const second = await h.client.listPrompts({ cursor: first.nextCursor });
    expect(second.prompts).toHaveLength(1);
    expect(second.nextCursor).toBeUndefined();
  });

  it('tools/list – a cursor the server never issued – -32602', async () => {
    await expect(h.client.listTools({ cursor: 'not-a-cursor' })).rejects.toMatchObject({ code: -32602 });
    await expect(h.client.listTools({ cursor: Buffer.from('o:9999').toString('base64url') })).rejects.toMatchObject({ code: -32602 });
  });
});

describe('lifecycle', () => {
  let ws: TempWorkspace;
  let cwd: { dir: string; cleanup(): Promise<void> };
  const raws: RawServer[] = [];

  beforeAll(async () => {
    ws = await createTempWorkspace();
    cwd = await createTempDir();
  });

  afterEach(async () => {
    for (const raw of raws.splice(0)) await raw.stop();
  });

  afterAll(async () => {
    await ws?.cleanup();
    await cwd?.cleanup();
  });

  const raw = async () => {
    const server = await RawServer.start(envFor(ws), { cwd: cwd.dir });
    raws.push(server);
    return server;
  };

  it('initialize – an older supported version – echoed; an unknown one – the latest offered', async () => {
    const [older, unknown] = await Promise.all([raw(), raw()]);
    expect((await older.initialize('2024-11-05')).result?.['protocolVersion']).toBe('2024-11-05');
    expect((await unknown.initialize('2099-01-01')).result?.['protocolVersion']).toBe(LATEST_PROTOCOL_VERSION);
  });

  it('shutdown request – via the SDK client – answered {} and the process exits 0 by itself', async () => {
    const h = await startClient(envFor(ws));
    try {
      await expect(h.client.request({ method: 'shutdown' } as never, z.looseObject({}))).resolves.toEqual({});
      await expect(within(h.exited, 5000)).resolves.toEqual({ code: 0, signal: null });
      expect(stdoutProblems(h.stdoutLines, h.unterminated())).toEqual([]);
    } finally {
      await h.close();
    }
  });

  it('shutdown request – a request received just before it – still answered before the process exits', async () => {
    const server = await raw();
    await server.initialize();
    server.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    const inflight = JSON.stringify({ jsonrpc: '2.0', id: 'in-flight', method: 'tools/call', params: { name: 'read_file', arguments: { path: 'hello.txt' } } });
    server.write(`${inflight}\n${JSON.stringify({ jsonrpc: '2.0', id: 'bye', method: 'shutdown' })}\n`);
    await expect(server.waitForExit(5000)).resolves.toEqual({ code: 0, signal: null });
    expect(server.responsesFor('bye').map((m) => m.result)).toEqual([{}]);
    // JSON-RPC: every request gets a response; a graceful shutdown answers (or fails) what it already accepted.
    expect(server.responsesFor('in-flight')).toHaveLength(1);
  });

  it('stdin EOF – after a session – the process exits 0 within a few seconds', async () => {
    const server = await raw();
    await server.initialize();
    await server.request({ method: 'ping' });
    server.endInput();
    await expect(server.waitForExit(5000)).resolves.toEqual({ code: 0, signal: null });
    expect(stdoutProblems(server.lines, server.unterminated)).toEqual([]);
  });

  it('SIGTERM – idle server – exits 0', async () => {
    const server = await raw();
    await server.initialize();
    server.child.kill('SIGTERM');
    await expect(server.waitForExit(5000)).resolves.toEqual({ code: 0, signal: null });
    expect(server.stderr).toMatch(/shutting down/);
  });
});
