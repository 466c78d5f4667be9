import { mkdir, mkdtemp, readFile, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ToolFailure, type ToolErrorEnvelope } from '../../../src/application/application.errors.js';
import type { ReadFileRequest, ReadFileResult } from '../../../src/application/ports/workspace.js';
import { ExecuteToolCommand, isToolCallTask } from '../../../src/application/tools/execute-tool.command.js';
import { RegisterToolCommand } from '../../../src/application/tools/register-tool.command.js';
import type { ToolContext, ToolDefinition, ToolOutput } from '../../../src/application/tools/tool-definition.js';
import { WorkspaceScopes } from '../../../src/application/workspace/workspace-scopes.js';
import { NodeWorkspace } from '../../../src/infrastructure/filesystem/node-workspace.js';
import { madeSchema, RecordingLogger, toolContext, workspaceScopes } from '../../support/builders.js';
import { createTestApp } from '../../support/test-app.js';
import { jsonSchemaOf } from '../../../src/application/tools/json-schema.js';
import {
  FileTools,
  listDirectoryOutput,
  readFileOutput,
  searchFilesOutput,
  writeFileOutput,
} from '../../../src/application/tools/file.tools.js';

const LIMITS = { maxFileBytes: 64, maxListEntries: 3, maxSearchResults: 2 };

let base: string;
let root: string;
let tools: readonly ToolDefinition<unknown>[];

function context(signal: AbortSignal = new AbortController().signal): ToolContext {
  return { sessionId: 's', signal, progress() {}, log() {} };
}

function tool(name: string): ToolDefinition<unknown> {
  const found = tools.find((definition) => definition.props.name === name);
  if (!found) throw new Error(`no tool ${name}`);
  return found;
}

async function call(name: string, args: Record<string, unknown>, ctx: ToolContext = context()): Promise<Record<string, unknown>> {
  const definition = tool(name);
  const output: ToolOutput = await definition.run(definition.input.parse(args), ctx);
  expect(JSON.parse(output.content[0].type === 'text' ? output.content[0].text : 'null')).toEqual(output.structuredContent);
  return output.structuredContent ?? {};
}

async function failure(name: string, args: Record<string, unknown>): Promise<ToolErrorEnvelope> {
  try {
    await call(name, args);
  } catch (error) {
    expect(error).toBeInstanceOf(ToolFailure);
    const envelope = (error as ToolFailure).envelope;
    expect(typeof envelope.error).toBe('string');
    expect(typeof envelope.reason).toBe('string');
    expect(envelope.suggested_actions.length).toBeGreaterThan(0);
    expect(typeof envelope.retryable).toBe('boolean');
    const json = JSON.stringify(envelope);
    expect(json).not.toMatch(/ENOENT: no such file|EEXIST: file already exists|\n\s+at /);
    // The roots may be named (they are the fix); where a link really points outside may not.
    expect(json).not.toContain(path.join(base, 'outside'));
    return envelope;
  }
  throw new Error(`${name} did not fail`);
}

beforeAll(async () => {
  base = await realpath(await mkdtemp(path.join(os.tmpdir(), 'tfo-file-tools-')));
  root = path.join(base, 'root');
  await mkdir(path.join(root, 'src', 'deep'), { recursive: true });
  await mkdir(path.join(base, 'outside'));
  await writeFile(path.join(base, 'outside', 'secret.txt'), 'secret');
  await writeFile(path.join(root, 'notes.md'), 'line one\nline two\nline three\n');
  await writeFile(path.join(root, 'big.txt'), 'x'.repeat(100));
  await writeFile(path.join(root, 'blob.bin'), Buffer.from([1, 0, 2, 3]));
  await writeFile(path.join(root, 'src', 'a.ts'), 'export const todo = 1; // TODO one\n// TODO two\n// TODO three\n');
  await writeFile(path.join(root, 'src', 'deep', 'b.ts'), 'nothing\n');
  await symlink(path.join(base, 'outside', 'secret.txt'), path.join(root, 'escape'));
  tools = new FileTools(workspaceScopes([root]), LIMITS).tools();
});

afterAll(async () => {
  await rm(base, { recursive: true, force: true });
});

describe('FileTools definitions', () => {
  it('offers the four documented tools', () => {
    expect(tools.map((definition) => definition.props.name)).toEqual(['read_file', 'write_file', 'list_directory', 'search_files']);
  });

  it.each([['read_file'], ['list_directory'], ['search_files']])('%s: annotated read-only, idempotent, closed-world', (name) => {
    expect(tool(name).props.annotations).toMatchObject({ readOnlyHint: true, idempotentHint: true, destructiveHint: false, openWorldHint: false });
  });

  it('write_file: annotated destructive and not idempotent', () => {
    expect(tool('write_file').props.annotations).toMatchObject({ readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: false });
  });

  it.each([['read_file'], ['write_file'], ['list_directory'], ['search_files']])('%s: every argument is described, output schema is an object', (name) => {
    const definition = tool(name);
    const properties = jsonSchemaOf(definition.input)['properties'] as Record<string, { description?: string }>;
    expect(Object.keys(properties).length).toBeGreaterThan(0);
    for (const [key, property] of Object.entries(properties)) expect([key, typeof property.description]).toEqual([key, 'string']);
    expect(madeSchema(definition.props.outputSchema)?.['type']).toBe('object');
  });

  it('descriptions state the configured limits', () => {
    expect(tool('read_file').props.description).toContain('64 bytes');
    expect(tool('list_directory').props.description).toContain('3 entries');
    expect(tool('search_files').props.description).toContain('2 matches');
  });

  it('read_file input: byte and line ranges together are rejected', () => {
    expect(() => tool('read_file').input.parse({ path: 'a', offset: 1, start_line: 1 })).toThrow();
    expect(() => tool('read_file').input.parse({ path: 'a', start_line: 3, end_line: 2 })).toThrow();
    expect(() => tool('read_file').input.parse({ path: 'a', startLine: 1 })).toThrow();
  });
});

describe('read_file', () => {
  it('text file: structured content matching the output schema', async () => {
    const data = await call('read_file', { path: 'notes.md' });
    expect(readFileOutput.strict().parse(data)).toMatchObject({
      path: path.join(root, 'notes.md'),
      content: 'line one\nline two\nline three\n',
      mime_type: 'text/markdown',
      truncated: false,
    });
    expect(data).not.toHaveProperty('hint');
  });

  it('by lines: returns the range and total_lines', async () => {
    const data = readFileOutput.strict().parse(await call('read_file', { path: 'notes.md', start_line: 2, end_line: 2 }));
    expect(data).toMatchObject({ content: 'line two\n', start_line: 2, end_line: 2, total_lines: 3 });
  });

  it('over the size limit: truncated with a hint to continue', async () => {
    const data = readFileOutput.strict().parse(await call('read_file', { path: 'big.txt' }));
    expect(data).toMatchObject({ bytes_read: 64, truncated: true, size: 100 });
    expect(data.hint).toContain('offset=64');
  });

  it('binary file: "binary file" failure suggesting allow_binary', async () => {
    const envelope = await failure('read_file', { path: 'blob.bin' });
    expect(envelope.error).toBe('binary file');
    expect(envelope.suggested_actions.join(' ')).toContain('allow_binary');
  });

  it('binary file with allow_binary: base64 content', async () => {
    const data = readFileOutput.strict().parse(await call('read_file', { path: 'blob.bin', allow_binary: true }));
    expect(data).toMatchObject({ encoding: 'base64', binary: true, content: Buffer.from([1, 0, 2, 3]).toString('base64') });
  });

  it('missing file: "not found" without the Node message', async () => {
    const envelope = await failure('read_file', { path: 'missing.txt' });
    expect(envelope).toMatchObject({ error: 'not found', retryable: false, context: { path: 'missing.txt', code: 'ENOENT' } });
  });

  it('symlink out of the roots: "path outside allowed roots"', async () => {
    const envelope = await failure('read_file', { path: 'escape' });
    expect(envelope.error).toBe('path outside allowed roots');
    expect(envelope.context).toMatchObject({ path: 'escape' });
  });
});

/** Counts what reaches the port, to show a refused range never gets there. */
class CountingWorkspace extends NodeWorkspace {
  readonly reads: ReadFileRequest[] = [];

  override async read(request: ReadFileRequest): Promise<ReadFileResult> {
    this.reads.push(request);
    return super.read(request);
  }
}

describe('read_file ranges are validated once, by the input schema', () => {
  async function callThroughTheHandler(args: Record<string, unknown>) {
    let workspace: CountingWorkspace | undefined;
    const scopes = new WorkspaceScopes((roots) => (workspace = new CountingWorkspace(roots)), { fallback: [root] }, new RecordingLogger());
    const app = createTestApp();
    for (const definition of new FileTools(scopes, LIMITS).tools()) await app.commands.execute(new RegisterToolCommand(definition));
    const sessionId = await app.readySession();
    const outcome = await app.commands.execute(new ExecuteToolCommand(sessionId, 'read_file', args, toolContext(sessionId).context));
    if (isToolCallTask(outcome)) throw new Error('a session call became a task');
    return { result: outcome, reads: workspace?.reads ?? [] };
  }

  it.each([
    ['bytes and lines together', { offset: 1, start_line: 1 }, 'use offset/length or start_line/end_line, not both'],
    ['end_line before start_line', { start_line: 3, end_line: 2 }, 'end_line must not be before start_line'],
    ['a negative offset', { offset: -1 }, 'offset:'],
    ['line 0', { start_line: 0 }, 'start_line:'],
  ])('%s - "invalid arguments" naming the problem; the workspace is never asked', async (_name, range, problem) => {
    const { result, reads } = await callThroughTheHandler({ path: 'notes.md', ...range });

    expect(result.isError).toBe(true);
    expect(result.structuredContent).toMatchObject({ error: 'invalid arguments', reason: expect.stringContaining(problem) });
    expect(reads).toEqual([]);
  });

  it('a valid line range - reaches the workspace once, with the tool\'s own field names', async () => {
    const { result, reads } = await callThroughTheHandler({ path: 'notes.md', start_line: 2, end_line: 2 });

    expect(result.structuredContent).toMatchObject({ content: 'line two\n', start_line: 2, end_line: 2, total_lines: 3 });
    expect(reads).toEqual([expect.objectContaining({ path: 'notes.md', start_line: 2, end_line: 2, allow_binary: false, max_bytes: 64 })]);
  });
});

describe('write_file', () => {
  it('create then overwrite: structured results, file content changes', async () => {
    const created = writeFileOutput.strict().parse(await call('write_file', { path: 'out.txt', content: 'one', mode: 'create' }));
    expect(created).toEqual({ path: path.join(root, 'out.txt'), mode: 'create', bytes_written: 3, size: 3, created: true });
    const replaced = writeFileOutput.strict().parse(await call('write_file', { path: 'out.txt', content: 'two!' }));
    expect(replaced).toMatchObject({ mode: 'overwrite', size: 4, created: false });
    expect(await readFile(path.join(root, 'out.txt'), 'utf8')).toBe('two!');
  });

  it('create over an existing file: "already exists"', async () => {
    const envelope = await failure('write_file', { path: 'notes.md', content: 'x', mode: 'create' });
    expect(envelope.error).toBe('already exists');
  });

  it('missing parent directory: suggests create_directories', async () => {
    const envelope = await failure('write_file', { path: 'new/dir/file.txt', content: 'x' });
    expect(envelope.error).toBe('not found');
    expect(envelope.suggested_actions[0]).toContain('create_directories');
  });

  it('create_directories: creates the parents', async () => {
    await call('write_file', { path: 'made/dir/file.txt', content: 'x', create_directories: true });
    expect(await readFile(path.join(root, 'made', 'dir', 'file.txt'), 'utf8')).toBe('x');
  });

  it('content over the size limit: refused as invalid', async () => {
    const envelope = await failure('write_file', { path: 'huge.txt', content: 'x'.repeat(65) });
    expect(envelope.error).toBe('invalid request');
    expect(envelope.reason).toContain('limit is 64');
  });

  it('outside the roots: refused', async () => {
    const envelope = await failure('write_file', { path: '../outside/new.txt', content: 'x' });
    expect(envelope.error).toBe('path outside allowed roots');
  });
});

describe('list_directory', () => {
  it('within the limit: entries matching the output schema', async () => {
    const data = listDirectoryOutput.strict().parse(await call('list_directory', { path: 'src' }));
    expect(data).toMatchObject({ path: path.join(root, 'src'), count: 2, truncated: false });
    expect(data.entries.map((entry) => [entry.path, entry.type])).toEqual([
      ['a.ts', 'file'],
      ['deep', 'directory'],
    ]);
  });

  it('max_entries above the configured limit: capped, truncated with a hint', async () => {
    const data = listDirectoryOutput.strict().parse(await call('list_directory', { depth: 2, max_entries: 100 }));
    expect(data.count).toBe(3);
    expect(data.truncated).toBe(true);
    expect(data.hint).toContain('3 entries');
  });

  it('a file: "not a directory"', async () => {
    expect((await failure('list_directory', { path: 'notes.md' })).error).toBe('not a directory');
  });
});

describe('search_files', () => {
  it('glob only: matching files', async () => {
    const data = searchFilesOutput.strict().parse(await call('search_files', { pattern: '*.ts' }));
    expect(data.matches).toEqual([{ path: 'src/a.ts' }, { path: 'src/deep/b.ts' }]);
    expect(data).toMatchObject({ root, files_scanned: 2, truncated: false });
  });

  it('content over max_results: truncated with a hint', async () => {
    const data = searchFilesOutput.strict().parse(await call('search_files', { content_pattern: 'TODO' }));
    expect(data.matches).toEqual([
      { path: 'src/a.ts', line: 1, text: 'export const todo = 1; // TODO one' },
      { path: 'src/a.ts', line: 2, text: '// TODO two' },
    ]);
    expect(data.truncated).toBe(true);
    expect(data.hint).toContain('2 matches');
  });

  it('regex, case-insensitive: matches by expression', async () => {
    const data = searchFilesOutput.strict().parse(
      await call('search_files', { pattern: 'src/*.ts', content_pattern: '^export\\s+CONST', regex: true, case_sensitive: false }),
    );
    expect(data.matches.map((match) => match.line)).toEqual([1]);
  });

  it('runaway regex: refused as invalid', async () => {
    const envelope = await failure('search_files', { content_pattern: '(a+)+$', regex: true });
    expect(envelope.error).toBe('invalid request');
    expect(envelope.reason).toContain('regular expression refused');
  });

  it('cancelled: partial result flagged with a cancellation hint', async () => {
    const controller = new AbortController();
    controller.abort();
    const definition = tool('search_files');
    const output = await definition.run(definition.input.parse({ content_pattern: 'TODO' }), context(controller.signal));
    const data = searchFilesOutput.strict().parse(output.structuredContent);
    expect(data.truncated).toBe(true);
    expect(data.hint).toContain('cancelled');
  });
});
