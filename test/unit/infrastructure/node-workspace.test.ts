import { chmod, mkdir, mkdtemp, readFile, readdir, realpath, rm, stat, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { ReadFileRequest, SearchRequest } from '../../../src/application/ports/workspace.js';
import { NodeWorkspace } from '../../../src/infrastructure/filesystem/node-workspace.js';

const OUTSIDE = { code: 'workspace.path_outside_roots' };
const INVALID = { code: 'value.invalid' };

let base: string;
let root: string;
let outside: string;
let workspace: NodeWorkspace;

function readRequest(filePath: string, extra: Partial<ReadFileRequest> = {}): ReadFileRequest {
  return { path: filePath, encoding: 'utf8', allow_binary: false, max_bytes: 1024 * 1024, ...extra };
}

function searchRequest(extra: Partial<SearchRequest> = {}): SearchRequest {
  return { path: 'search', pattern: '**', regex: false, case_sensitive: true, max_results: 100, include_hidden: false, ...extra };
}

async function tempFilesIn(directory: string): Promise<string[]> {
  return (await readdir(directory)).filter((name) => name.endsWith('.tmp'));
}

beforeAll(async () => {
  base = await realpath(await mkdtemp(path.join(os.tmpdir(), 'tfo-ws-')));
  root = path.join(base, 'root');
  outside = path.join(base, 'outside');
  await mkdir(path.join(root, 'dir', 'nested'), { recursive: true });
  await mkdir(outside);
  await mkdir(path.join(base, 'root-evil'));
  await mkdir(path.join(base, 'second'));
  await writeFile(path.join(base, 'root-evil', 'x.txt'), 'evil');
  await writeFile(path.join(base, 'second', 'two.txt'), 'two');
  await writeFile(path.join(outside, 'secret.txt'), 'secret');
  await writeFile(path.join(root, 'a.txt'), 'alpha');
  await writeFile(path.join(root, 'dir', 'b.txt'), 'bravo');
  await writeFile(path.join(root, 'dir', 'nested', 'c.txt'), 'charlie');
  await writeFile(path.join(root, '.hidden'), 'h');
  await symlink(path.join(root, 'a.txt'), path.join(root, 'link-in'));
  await symlink(path.join(outside, 'secret.txt'), path.join(root, 'link-out-file'));
  await symlink(outside, path.join(root, 'link-out-dir'));
  await symlink(path.join(outside, 'planted.txt'), path.join(root, 'dangling-out'));
  await symlink('created-by-link.txt', path.join(root, 'dangling-in'));
  await symlink(path.join(outside, 'missing-dir'), path.join(root, 'dangling-out-dir'));
  await symlink('loop-b', path.join(root, 'loop-a'));
  await symlink('loop-a', path.join(root, 'loop-b'));
  workspace = new NodeWorkspace([root, path.join(base, 'second')]);
});

afterAll(async () => {
  await rm(base, { recursive: true, force: true });
});

describe('NodeWorkspace.resolve', () => {
  it('roots: reports the real roots', () => {
    expect(workspace.roots()).toEqual([root, path.join(base, 'second')]);
  });

  it('relative path: resolves against the first root', async () => {
    await expect(workspace.resolve('dir/b.txt', 'read')).resolves.toBe(path.join(root, 'dir', 'b.txt'));
  });

  it('second root: an absolute path inside it is allowed', async () => {
    await expect(workspace.resolve(path.join(base, 'second', 'two.txt'), 'read')).resolves.toBe(path.join(base, 'second', 'two.txt'));
  });

  it('symlink inside the root: resolves to its target', async () => {
    await expect(workspace.resolve('link-in', 'read')).resolves.toBe(path.join(root, 'a.txt'));
  });

  it.each([
    ['symlink to an outside file', 'link-out-file'],
    ['symlink to an outside directory', 'link-out-dir'],
    ['a file through a symlinked outside directory', 'link-out-dir/secret.txt'],
    ['.. escape', '../outside/secret.txt'],
    ['.. escape that does not exist', '../outside/nothing-here.txt'],
    ['sibling with the root as prefix', '../root-evil/x.txt'],
  ])('read, %s: refused as outside the roots', async (_name, input) => {
    await expect(workspace.resolve(input, 'read')).rejects.toMatchObject(OUTSIDE);
  });

  it('read, absolute sibling prefix path: refused', async () => {
    await expect(workspace.resolve(path.join(base, 'root-evil', 'x.txt'), 'read')).rejects.toMatchObject(OUTSIDE);
  });

  it('read, missing file inside: ENOENT, not "outside"', async () => {
    await expect(workspace.resolve('nope.txt', 'read')).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('NUL byte: refused as an invalid path', async () => {
    await expect(workspace.resolve('a.txt\0/../../x', 'read')).rejects.toMatchObject({ code: 'workspace.invalid_path' });
  });

  it.each([
    ['symlink to an outside file', 'link-out-file'],
    ['a new file under a symlinked outside directory', 'link-out-dir/new.txt'],
    ['a dangling symlink pointing outside', 'dangling-out'],
    ['a new file below a dangling symlink pointing outside', 'dangling-out-dir/new.txt'],
    ['.. escape', '../outside/new.txt'],
    ['sibling with the root as prefix', '../root-evil/new.txt'],
  ])('write, %s: refused as outside the roots', async (_name, input) => {
    await expect(workspace.resolve(input, 'write')).rejects.toMatchObject(OUTSIDE);
  });

  it('write, a dangling symlink pointing inside: resolves to the link target', async () => {
    await expect(workspace.resolve('dangling-in', 'write')).resolves.toBe(path.join(root, 'created-by-link.txt'));
  });

  it('write, a new file in missing directories inside: resolves lexically below the root', async () => {
    await expect(workspace.resolve('new/deeper/file.txt', 'write')).resolves.toBe(path.join(root, 'new', 'deeper', 'file.txt'));
  });

  it('write, a symlink loop: fails with ELOOP', async () => {
    await expect(workspace.resolve('loop-a', 'write')).rejects.toMatchObject({ code: 'ELOOP' });
  });

  it('no roots: every path is refused', async () => {
    await expect(new NodeWorkspace([]).resolve(path.join(root, 'a.txt'), 'read')).rejects.toMatchObject(OUTSIDE);
  });

  it('write through a dangling symlink pointing outside: nothing is created outside', async () => {
    await expect(
      workspace.write({ path: 'dangling-out', content: 'x', encoding: 'utf8', mode: 'overwrite', create_directories: false, max_bytes: 100 }),
    ).rejects.toMatchObject(OUTSIDE);
    await expect(stat(path.join(outside, 'planted.txt'))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

describe('NodeWorkspace.read', () => {
  beforeAll(async () => {
    await writeFile(path.join(root, 'lines.txt'), 'one\ntwo\nthree\nfour\nfive\n');
    await writeFile(path.join(root, 'no-newline.txt'), 'first\nsecond');
    await writeFile(path.join(root, 'data.json'), '{"k":1}');
    await writeFile(path.join(root, 'image.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0x01, 0x02]));
    await writeFile(path.join(root, 'utf8.txt'), 'aé');
  });

  it('whole text file: content, size, mime type', async () => {
    const result = await workspace.read(readRequest('data.json'));
    expect(result).toMatchObject({ content: '{"k":1}', size: 7, bytes_read: 7, truncated: false, binary: false, mime_type: 'application/json' });
    expect(result.total_lines).toBeUndefined();
  });

  it('by bytes: returns offset..offset+length', async () => {
    const result = await workspace.read(readRequest('lines.txt', { offset: 4, length: 3 }));
    expect(result).toMatchObject({ content: 'two', bytes_read: 3, truncated: false, mime_type: 'text/plain' });
  });

  it('by bytes past the end: returns nothing', async () => {
    const result = await workspace.read(readRequest('lines.txt', { offset: 1000 }));
    expect(result).toMatchObject({ content: '', bytes_read: 0, truncated: false });
  });

  it('by bytes over max_bytes: truncated at max_bytes', async () => {
    const result = await workspace.read(readRequest('lines.txt', { max_bytes: 5 }));
    expect(result).toMatchObject({ content: 'one\nt', bytes_read: 5, truncated: true, size: 24 });
  });

  it('by lines: returns the inclusive range and counts all lines', async () => {
    const result = await workspace.read(readRequest('lines.txt', { start_line: 2, end_line: 3 }));
    expect(result).toMatchObject({ content: 'two\nthree\n', start_line: 2, end_line: 3, total_lines: 5, truncated: false });
  });

  it('by lines past the end: clamps end_line to total_lines', async () => {
    const result = await workspace.read(readRequest('no-newline.txt', { start_line: 2, end_line: 10 }));
    expect(result).toMatchObject({ content: 'second', end_line: 2, total_lines: 2 });
  });

  it('by lines over max_bytes: truncated inside the last line returned', async () => {
    const result = await workspace.read(readRequest('lines.txt', { start_line: 2, max_bytes: 6 }));
    expect(result).toMatchObject({ content: 'two\nth', truncated: true, end_line: 3, total_lines: 5 });
  });

  it('by lines across read chunks: finds lines after a 70 KB line', async () => {
    await writeFile(path.join(root, 'wide.txt'), `${'w'.repeat(70_000)}\nsecond\nthird`);
    const result = await workspace.read(readRequest('wide.txt', { start_line: 2, end_line: 2 }));
    expect(result).toMatchObject({ content: 'second\n', total_lines: 3, truncated: false });
  });

  it('truncation inside a UTF-8 character: cuts before it', async () => {
    const result = await workspace.read(readRequest('utf8.txt', { max_bytes: 2 }));
    expect(result).toMatchObject({ content: 'a', bytes_read: 1, truncated: true });
  });

  it('binary file: refused unless allowed', async () => {
    await expect(workspace.read(readRequest('image.png'))).rejects.toMatchObject({ code: 'value.invalid', details: { binary: true } });
  });

  it('binary file allowed: returned as base64 with its mime type', async () => {
    const result = await workspace.read(readRequest('image.png', { allow_binary: true }));
    expect(result).toMatchObject({ encoding: 'base64', binary: true, mime_type: 'image/png', bytes_read: 7 });
    expect(Buffer.from(result.content, 'base64')).toEqual(await readFile(path.join(root, 'image.png')));
  });

  it('directory: fails with EISDIR', async () => {
    await expect(workspace.read(readRequest('dir'))).rejects.toMatchObject({ code: 'EISDIR' });
  });

  it('through a symlink to outside: refused', async () => {
    await expect(workspace.read(readRequest('link-out-file'))).rejects.toMatchObject(OUTSIDE);
  });
});

describe('NodeWorkspace.write', () => {
  const write = (filePath: string, content: string, extra: Partial<Parameters<NodeWorkspace['write']>[0]> = {}) =>
    workspace.write({ path: filePath, content, encoding: 'utf8', mode: 'overwrite', create_directories: false, max_bytes: 1024, ...extra });

  it('overwrite: replaces the content, keeps the mode, leaves no temp file', async () => {
    const file = path.join(root, 'w-over.txt');
    await writeFile(file, 'old content');
    await chmod(file, 0o640);
    const result = await write('w-over.txt', 'new');
    expect(result).toEqual({ path: file, bytes_written: 3, size: 3, created: false });
    expect(await readFile(file, 'utf8')).toBe('new');
    expect((await stat(file)).mode & 0o777).toBe(0o640);
    expect(await tempFilesIn(root)).toEqual([]);
  });

  it('create on a new path: creates the file', async () => {
    const result = await write('w-create.txt', 'fresh', { mode: 'create' });
    expect(result.created).toBe(true);
    expect(await readFile(path.join(root, 'w-create.txt'), 'utf8')).toBe('fresh');
  });

  it('create on an existing file: EEXIST, content untouched, no temp file', async () => {
    await writeFile(path.join(root, 'w-exists.txt'), 'keep');
    await expect(write('w-exists.txt', 'clobber', { mode: 'create' })).rejects.toMatchObject({ code: 'EEXIST' });
    expect(await readFile(path.join(root, 'w-exists.txt'), 'utf8')).toBe('keep');
    expect(await tempFilesIn(root)).toEqual([]);
  });

  it('append: adds to the end', async () => {
    await writeFile(path.join(root, 'w-append.txt'), 'one\n');
    const result = await write('w-append.txt', 'two\n', { mode: 'append' });
    expect(result).toMatchObject({ bytes_written: 4, size: 8, created: false });
    expect(await readFile(path.join(root, 'w-append.txt'), 'utf8')).toBe('one\ntwo\n');
  });

  it('missing parent without create_directories: ENOENT', async () => {
    await expect(write('w-missing/dir/file.txt', 'x')).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('missing parent with create_directories: creates them inside the root', async () => {
    const result = await write('w-made/dir/file.txt', 'x', { create_directories: true });
    expect(result.created).toBe(true);
    expect(await readFile(path.join(root, 'w-made', 'dir', 'file.txt'), 'utf8')).toBe('x');
  });

  it('content over max_bytes: refused and nothing written', async () => {
    await expect(write('w-big.txt', 'x'.repeat(11), { max_bytes: 10 })).rejects.toMatchObject(INVALID);
    await expect(stat(path.join(root, 'w-big.txt'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('base64: writes the decoded bytes', async () => {
    await write('w-bytes.bin', Buffer.from([0, 1, 2, 255]).toString('base64'), { encoding: 'base64' });
    expect(await readFile(path.join(root, 'w-bytes.bin'))).toEqual(Buffer.from([0, 1, 2, 255]));
  });

  it('invalid base64: refused', async () => {
    await expect(write('w-bad.bin', 'not base64!', { encoding: 'base64' })).rejects.toMatchObject(INVALID);
  });

  it('through a dangling symlink inside: creates the link target', async () => {
    await write('dangling-in', 'via link');
    expect(await readFile(path.join(root, 'created-by-link.txt'), 'utf8')).toBe('via link');
  });

  it('onto a directory: EISDIR', async () => {
    await expect(write('dir', 'x')).rejects.toMatchObject({ code: 'EISDIR' });
  });
});

describe('NodeWorkspace.list', () => {
  let listRoot: string;

  beforeAll(async () => {
    listRoot = path.join(base, 'second', 'list');
    await mkdir(path.join(listRoot, 'sub', 'deep'), { recursive: true });
    await writeFile(path.join(listRoot, 'b.txt'), '12345');
    await writeFile(path.join(listRoot, 'a.txt'), '1');
    await writeFile(path.join(listRoot, '.dot'), '');
    await writeFile(path.join(listRoot, 'sub', 'c.txt'), '');
    await writeFile(path.join(listRoot, 'sub', 'deep', 'd.txt'), '');
    await symlink(outside, path.join(listRoot, 'zlink'));
  });

  const list = (extra: { depth?: number; max_entries?: number; include_hidden?: boolean } = {}) =>
    workspace.list({ path: path.join(base, 'second', 'list'), depth: 0, max_entries: 100, include_hidden: false, ...extra });

  it('depth 0: the directory entries only, sorted, with lstat types', async () => {
    const result = await list();
    expect(result.path).toBe(listRoot);
    expect(result.truncated).toBe(false);
    expect(result.entries.map((entry) => [entry.path, entry.type])).toEqual([
      ['a.txt', 'file'],
      ['b.txt', 'file'],
      ['sub', 'directory'],
      ['zlink', 'symlink'],
    ]);
    const b = result.entries.find((entry) => entry.name === 'b.txt');
    expect(b?.size).toBe(5);
    expect(new Date(b?.modified ?? '').toISOString()).toBe(b?.modified);
  });

  it('depth 2: nested entries with /-separated paths; the symlinked directory is not entered', async () => {
    const paths = (await list({ depth: 2 })).entries.map((entry) => entry.path);
    expect(paths).toEqual(['a.txt', 'b.txt', 'sub', 'sub/c.txt', 'sub/deep', 'sub/deep/d.txt', 'zlink']);
  });

  it('depth 1: stops one level down', async () => {
    const paths = (await list({ depth: 1 })).entries.map((entry) => entry.path);
    expect(paths).toContain('sub/deep');
    expect(paths).not.toContain('sub/deep/d.txt');
  });

  it('include_hidden: dot files appear', async () => {
    expect((await list()).entries.map((entry) => entry.name)).not.toContain('.dot');
    expect((await list({ include_hidden: true })).entries.map((entry) => entry.name)).toContain('.dot');
  });

  it('max_entries: stops there and flags truncation', async () => {
    const result = await list({ depth: 2, max_entries: 3 });
    expect(result.entries).toHaveLength(3);
    expect(result.truncated).toBe(true);
  });

  it('max_entries equal to the count: not truncated', async () => {
    const result = await list({ max_entries: 4 });
    expect(result.entries).toHaveLength(4);
    expect(result.truncated).toBe(false);
  });

  it('a file: ENOTDIR', async () => {
    await expect(workspace.list({ path: 'a.txt', depth: 0, max_entries: 10, include_hidden: false })).rejects.toMatchObject({ code: 'ENOTDIR' });
  });

  it('a symlinked outside directory: refused', async () => {
    await expect(workspace.list({ path: 'link-out-dir', depth: 0, max_entries: 10, include_hidden: false })).rejects.toMatchObject(OUTSIDE);
  });
});

describe('NodeWorkspace.search', () => {
  beforeAll(async () => {
    const dir = path.join(root, 'search');
    await mkdir(path.join(dir, 'sub'), { recursive: true });
    await mkdir(path.join(dir, '.hidden'));
    await writeFile(path.join(dir, 'a.ts'), 'const foo = 1;\nFOO bar\n');
    await writeFile(path.join(dir, 'b.md'), 'no match here\n');
    await writeFile(path.join(dir, 'sub', 'c.ts'), 'foo again\r\n');
    await writeFile(path.join(dir, '.hidden', 'd.ts'), 'foo hidden\n');
    await writeFile(path.join(dir, 'bin.dat'), Buffer.from('foo\0foo'));
    await writeFile(path.join(dir, 'long.txt'), `${'x'.repeat(5000)}needle\n${'y'.repeat(10)}early ${'z'.repeat(2000)}\n`);
    await writeFile(path.join(outside, 'e.ts'), 'foo outside\n');
    await symlink(outside, path.join(dir, 'linkdir'));
    await symlink(path.join(outside, 'e.ts'), path.join(dir, 'linkfile.ts'));
  });

  it('glob without a slash: matches file names at any depth, skipping hidden and symlinks', async () => {
    const result = await workspace.search(searchRequest({ pattern: '*.ts' }));
    expect(result.matches.map((match) => match.path)).toEqual(['a.ts', 'sub/c.ts']);
    expect(result).toMatchObject({ root: path.join(root, 'search'), files_scanned: 2, truncated: false });
  });

  it('glob with a slash: anchored at the search root', async () => {
    const result = await workspace.search(searchRequest({ pattern: 'sub/*.ts' }));
    expect(result.matches.map((match) => match.path)).toEqual(['sub/c.ts']);
  });

  it('include_hidden: finds files in dot directories', async () => {
    const result = await workspace.search(searchRequest({ pattern: '*.ts', include_hidden: true }));
    // Walk order: a directory's files first, then its subdirectories by name.
    expect(result.matches.map((match) => match.path)).toEqual(['a.ts', '.hidden/d.ts', 'sub/c.ts']);
  });

  it('literal content: line numbers and text; binary files and symlinked directories skipped', async () => {
    const result = await workspace.search(searchRequest({ content_pattern: 'foo' }));
    expect(result.matches).toEqual([
      { path: 'a.ts', line: 1, text: 'const foo = 1;' },
      { path: 'sub/c.ts', line: 1, text: 'foo again' },
    ]);
  });

  it('case-insensitive literal: matches both cases', async () => {
    const result = await workspace.search(searchRequest({ content_pattern: 'foo', case_sensitive: false, pattern: 'a.ts' }));
    expect(result.matches.map((match) => match.line)).toEqual([1, 2]);
  });

  it('regex content: matches by regular expression', async () => {
    const result = await workspace.search(searchRequest({ content_pattern: '^FOO\\s+bar$', regex: true }));
    expect(result.matches).toEqual([{ path: 'a.ts', line: 2, text: 'FOO bar' }]);
  });

  it.each([
    ['nested plus', '(a+)+$'],
    ['nested star', '(a*)*'],
    ['quantified alternation', '(a|aa)+'],
    ['quantified group with a bounded repeat', '(?:x\\d+){2,}'],
    ['numeric backreference', '(\\w)\\1'],
    ['named backreference', '(?<n>a)\\k<n>'],
    ['overlong pattern', 'a'.repeat(257)],
    ['invalid syntax', '(unclosed'],
  ])('runaway or invalid regex (%s): refused before running', async (_name, pattern) => {
    await expect(workspace.search(searchRequest({ content_pattern: pattern, regex: true }))).rejects.toMatchObject(INVALID);
  });

  it.each([
    ['optional group', '(foo)?bar'],
    ['repeated group without quantifiers', '(?:ab)+'],
    ['quantifier chars inside a class', '[(a+)+]x'],
    ['escaped parentheses', '\\(a+\\)+'],
  ])('safe regex (%s): accepted', async (_name, pattern) => {
    await expect(workspace.search(searchRequest({ content_pattern: pattern, regex: true }))).resolves.toMatchObject({ truncated: false });
  });

  it('max_results: stops there and flags truncation', async () => {
    const result = await workspace.search(searchRequest({ content_pattern: 'foo', case_sensitive: false, max_results: 2 }));
    expect(result.matches).toHaveLength(2);
    expect(result.truncated).toBe(true);
  });

  it('aborted signal: stops early, flagged truncated', async () => {
    const controller = new AbortController();
    controller.abort();
    const result = await workspace.search(searchRequest({ content_pattern: 'foo', signal: controller.signal }));
    expect(result.matches).toEqual([]);
    expect(result.truncated).toBe(true);
  });

  it('long lines: only the first 4096 characters are scanned and reported text is shortened', async () => {
    expect((await workspace.search(searchRequest({ pattern: 'long.txt', content_pattern: 'needle' }))).matches).toEqual([]);
    const early = await workspace.search(searchRequest({ pattern: 'long.txt', content_pattern: 'early' }));
    expect(early.matches).toHaveLength(1);
    expect(early.matches[0].text?.length).toBe(1000);
  });

  it('files over the search size limit: skipped and not counted', async () => {
    const small = new NodeWorkspace([root], { maxSearchFileBytes: 10 });
    const result = await small.search(searchRequest({ content_pattern: 'foo' }));
    expect(result.matches).toEqual([]);
    expect(result.files_scanned).toBe(0);
  });

  it('a search root outside the roots: refused', async () => {
    await expect(workspace.search(searchRequest({ path: 'link-out-dir' }))).rejects.toMatchObject(OUTSIDE);
  });
});
