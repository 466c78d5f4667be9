import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { lstat, mkdir, mkdtemp, readFile, readdir, realpath, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { ReadFileRequest, WriteFileRequest } from '../../../src/application/ports/workspace.js';
import { NodeWorkspace } from '../../../src/infrastructure/filesystem/node-workspace.js';

/**
 * A concurrent writer inside the root flips a path component between a real directory (or file)
 * and a symlink to outside, as fast as it can, in its own process. Whatever interleaving happens,
 * no outside content may be read and nothing outside may be created or changed.
 */

const INSIDE = 'inside content\n';
const OUTSIDE = 'OUTSIDE SECRET\n';
const ROUNDS = 400;
/** The swapper stops by itself after this many flips even if the test dies without killing it. */
const MAX_FLIPS = 2_000_000;

/**
 * Flips `name` between the real entry and a symlink to `outsideTarget`: rename away, link in,
 * remove, rename back. A step the writer under test got in the way of is skipped, not fatal; what
 * the writer recreated at \`name\` meanwhile (create_directories) is removed so the flips go on.
 */
const SWAPPER = `
const fs = require('node:fs');
const [name, stash, outsideTarget, max] = process.argv.slice(1);
const step = (operation) => { try { operation(); } catch {} };
process.stdout.write('ready\\n');
for (let i = 0; i < Number(max); i += 1) {
  step(() => fs.renameSync(name, stash));
  step(() => fs.symlinkSync(outsideTarget, name));
  step(() => { fs.lstatSync(stash); fs.rmSync(name, { recursive: true, force: true }); });
  step(() => fs.renameSync(stash, name));
}
`;

let base: string;
let root: string;
let outside: string;
let workspace: NodeWorkspace;

async function startSwapper(name: string, outsideTarget: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['-e', SWAPPER, name, `${name}.stash`, outsideTarget, String(MAX_FLIPS)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await once(child.stdout!, 'data');
  return child;
}

/** Stops the swapper and puts the real entry back wherever the kill left it. */
async function stopSwapper(child: ChildProcess, name: string): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
  }
  if (await lstat(`${name}.stash`).catch(() => undefined)) {
    await rm(name, { recursive: true, force: true });
    await rename(`${name}.stash`, name);
  }
}

/** Every file under `dir` with its content: the outside tree must look exactly like this afterwards. */
async function snapshot(dir: string): Promise<Record<string, string>> {
  const result: Record<string, string> = {};
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    const full = path.join(entry.parentPath, entry.name);
    result[path.relative(dir, full)] = entry.isFile() ? await readFile(full, 'utf8') : `<${entry.isDirectory() ? 'dir' : 'other'}>`;
  }
  return result;
}

function readRequest(filePath: string): ReadFileRequest {
  return { path: filePath, encoding: 'utf8', allow_binary: false, max_bytes: 1024 };
}

function writeRequest(filePath: string, mode: WriteFileRequest['mode'], content: string): WriteFileRequest {
  return { path: filePath, content, encoding: 'utf8', mode, create_directories: false, max_bytes: 1024 };
}

/** Runs `attempt` ROUNDS times; returns how often each outcome (a value or an error code) occurred. */
async function hammer(attempt: () => Promise<string>): Promise<Map<string, number>> {
  const outcomes = new Map<string, number>();
  for (let round = 0; round < ROUNDS; round += 1) {
    let outcome: string;
    try {
      outcome = await attempt();
    } catch (error) {
      outcome = `error:${String((error as { code?: unknown }).code)}`;
    }
    outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
  }
  return outcomes;
}

beforeAll(async () => {
  base = await realpath(await mkdtemp(path.join(os.tmpdir(), 'tfo-race-')));
  root = path.join(base, 'root');
  outside = path.join(base, 'outside');
  await mkdir(path.join(root, 'sub', 'deep'), { recursive: true });
  await mkdir(path.join(outside, 'deep'), { recursive: true });
  await writeFile(path.join(root, 'sub', 'deep', 'f.txt'), INSIDE);
  await writeFile(path.join(outside, 'deep', 'f.txt'), OUTSIDE);
  await writeFile(path.join(root, 'sub', 'f.txt'), INSIDE);
  await writeFile(path.join(root, 'file.txt'), INSIDE);
  await writeFile(path.join(outside, 'f.txt'), OUTSIDE);
  await writeFile(path.join(outside, 'file.txt'), OUTSIDE);
  workspace = new NodeWorkspace([root]);
});

afterAll(async () => {
  await rm(base, { recursive: true, force: true });
});

describe('file tools under a concurrent symlink swapper (check-then-use)', () => {
  it('read_file while a directory on the path flips to an outside symlink - outside content is never returned', async () => {
    const before = await snapshot(outside);
    const swapper = await startSwapper(path.join(root, 'sub'), outside);
    let outcomes: Map<string, number>;
    try {
      outcomes = await hammer(async () => (await workspace.read(readRequest('sub/f.txt'))).content);
    } finally {
      await stopSwapper(swapper, path.join(root, 'sub'));
    }
    expect(outcomes.get(OUTSIDE)).toBeUndefined();
    expect([...outcomes.keys()].every((key) => key === INSIDE || key.startsWith('error:'))).toBe(true);
    expect(await snapshot(outside)).toEqual(before);
  });

  it('read_file while the file itself flips to an outside symlink - outside content is never returned', async () => {
    const swapper = await startSwapper(path.join(root, 'file.txt'), path.join(outside, 'file.txt'));
    let outcomes: Map<string, number>;
    try {
      outcomes = await hammer(async () => (await workspace.read(readRequest('file.txt'))).content);
      } finally {
      await stopSwapper(swapper, path.join(root, 'file.txt'));
    }
    expect(outcomes.get(OUTSIDE)).toBeUndefined();
    expect([...outcomes.keys()].every((key) => key === INSIDE || key.startsWith('error:'))).toBe(true);
  });

  it.each(['overwrite', 'create', 'append'] as const)(
    'write_file (%s) while a directory above its parent flips to an outside symlink - nothing outside is created or changed, temp files included',
    async (mode) => {
      const before = await snapshot(outside);
      const swapper = await startSwapper(path.join(root, 'sub'), outside);
      let round = 0;
      try {
        await hammer(async () => {
          round += 1;
          const name = mode === 'create' ? `new-${round}.txt` : 'f.txt';
          return String((await workspace.write(writeRequest(`sub/deep/${name}`, mode, 'written\n'))).bytes_written);
        });
      } finally {
        await stopSwapper(swapper, path.join(root, 'sub'));
      }
      expect(await snapshot(outside)).toEqual(before);
    },
  );

  it('write_file with create_directories while a directory above flips to an outside symlink - no directory or file appears outside', async () => {
    const before = await snapshot(outside);
    const swapper = await startSwapper(path.join(root, 'sub'), outside);
    let round = 0;
    try {
      await hammer(async () => {
        round += 1;
        const request = { ...writeRequest(`sub/deep/made-${round}/again/x.txt`, 'create', 'x'), create_directories: true };
        return String((await workspace.write(request)).bytes_written);
      });
    } finally {
      await stopSwapper(swapper, path.join(root, 'sub'));
    }
    expect(await snapshot(outside)).toEqual(before);
  });

  it('write_file (overwrite) while the file flips to an outside symlink - the outside file is never changed', async () => {
    const before = await snapshot(outside);
    const swapper = await startSwapper(path.join(root, 'file.txt'), path.join(outside, 'file.txt'));
    try {
      await hammer(async () => String((await workspace.write(writeRequest('file.txt', 'overwrite', INSIDE))).bytes_written));
      await hammer(async () => String((await workspace.write(writeRequest('file.txt', 'append', 'x'))).bytes_written));
    } finally {
      await stopSwapper(swapper, path.join(root, 'file.txt'));
    }
    expect(await snapshot(outside)).toEqual(before);
  });

  it('search_files (content) while a directory flips to an outside symlink - outside lines are never reported', async () => {
    const swapper = await startSwapper(path.join(root, 'sub'), outside);
    const reported = new Set<string>();
    try {
      await hammer(async () => {
        const result = await workspace.search({ path: '.', pattern: '**', content_pattern: 'side', regex: false, case_sensitive: false, max_results: 100, include_hidden: false });
        for (const match of result.matches) reported.add(match.text ?? '');
        return 'searched';
      });
    } finally {
      await stopSwapper(swapper, path.join(root, 'sub'));
    }
    expect([...reported].some((text) => text.includes('OUTSIDE'))).toBe(false);
    expect(reported.has(INSIDE.trim())).toBe(true);
  });

  it('list_directory while the listed directory flips to an outside symlink - outside names are never listed', async () => {
    const secretName = 'only-outside.txt';
    await writeFile(path.join(outside, secretName), OUTSIDE);
    const swapper = await startSwapper(path.join(root, 'sub'), outside);
    const listed = new Set<string>();
    try {
      await hammer(async () => {
        const result = await workspace.list({ path: '.', depth: 2, max_entries: 1000, include_hidden: true });
        for (const entry of result.entries) listed.add(entry.name);
        return 'listed';
      });
    } finally {
      await stopSwapper(swapper, path.join(root, 'sub'));
      await rm(path.join(outside, secretName));
    }
    expect(listed.has(secretName)).toBe(false);
  });
});
