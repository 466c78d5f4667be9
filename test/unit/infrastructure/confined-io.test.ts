import { link, mkdir, mkdtemp, open, readFile, readdir, realpath, rename, rm, stat, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { WriteFileRequest } from '../../../src/application/ports/workspace.js';
import { HARD_LINKED } from '../../../src/infrastructure/filesystem/fs-errors.js';
import { NodeWorkspace } from '../../../src/infrastructure/filesystem/node-workspace.js';
import { assertOpenedAt } from '../../../src/infrastructure/filesystem/opened-location.js';
import { pinDirectory } from '../../../src/infrastructure/filesystem/pinned-directory.js';

let base: string;
let root: string;
let outside: string;

beforeEach(async () => {
  base = await realpath(await mkdtemp(path.join(os.tmpdir(), 'tfo-confined-')));
  root = path.join(base, 'root');
  outside = path.join(base, 'outside');
  await mkdir(path.join(root, 'sub'), { recursive: true });
  await mkdir(outside);
  await writeFile(path.join(outside, 'secret.txt'), 'secret\n');
});

afterEach(async () => {
  await rm(base, { recursive: true, force: true });
});

function writeRequest(filePath: string, mode: WriteFileRequest['mode'], content: string): WriteFileRequest {
  return { path: filePath, content, encoding: 'utf8', mode, create_directories: false, max_bytes: 1024 };
}

describe('assertOpenedAt', () => {
  it('descriptor still at the checked path - accepted', async () => {
    const file = path.join(root, 'a.txt');
    await writeFile(file, 'a');
    const handle = await open(file, 'r');
    try {
      await expect(assertOpenedAt(handle, file)).resolves.toBeUndefined();
    } finally {
      await handle.close();
    }
  });

  it('file renamed after the open - ESTALE', async () => {
    const file = path.join(root, 'a.txt');
    await writeFile(file, 'a');
    const handle = await open(file, 'r');
    try {
      await rename(file, path.join(root, 'b.txt'));
      await expect(assertOpenedAt(handle, file)).rejects.toMatchObject({ code: 'ESTALE' });
    } finally {
      await handle.close();
    }
  });

  it('opened through a directory that is now a symlink to outside - ESTALE', async () => {
    await rename(path.join(root, 'sub'), path.join(root, 'sub.real'));
    await symlink(outside, path.join(root, 'sub'));
    const handle = await open(path.join(root, 'sub', 'secret.txt'), 'r');
    try {
      await expect(assertOpenedAt(handle, path.join(root, 'sub', 'secret.txt'))).rejects.toMatchObject({ code: 'ESTALE' });
    } finally {
      await handle.close();
    }
  });
});

describe('pinDirectory', () => {
  it('directory swapped for an outside symlink after pinning - entries still land in the pinned directory, verify() refuses', async () => {
    const dir = await pinDirectory(path.join(root, 'sub'), false);
    try {
      await rename(path.join(root, 'sub'), path.join(root, 'moved'));
      await symlink(outside, path.join(root, 'sub'));
      await writeFile(dir.entry('x.txt'), 'x');
      expect(await readdir(outside)).toEqual(['secret.txt']);
      expect(await readFile(path.join(root, 'moved', 'x.txt'), 'utf8')).toBe('x');
      await expect(dir.verify()).rejects.toMatchObject({ code: 'ESTALE' });
    } finally {
      await dir.close();
    }
  });

  it('the path is already a symlink when pinning - refused as changed, not followed', async () => {
    await symlink(outside, path.join(root, 'link'));
    await expect(pinDirectory(path.join(root, 'link'), false)).rejects.toMatchObject({ code: 'ESTALE' });
  });

  it('create: makes the missing tail and pins the deepest directory', async () => {
    const dir = await pinDirectory(path.join(root, 'a', 'b', 'c'), true);
    try {
      expect(dir.path).toBe(path.join(root, 'a', 'b', 'c'));
      expect((await stat(path.join(root, 'a', 'b', 'c'))).isDirectory()).toBe(true);
    } finally {
      await dir.close();
    }
  });

  it('missing directory without create - ENOENT', async () => {
    await expect(pinDirectory(path.join(root, 'missing'), false)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

describe('NodeWorkspace.write on a file with more than one hard link', () => {
  beforeEach(async () => {
    await link(path.join(outside, 'secret.txt'), path.join(root, 'hard.txt'));
  });

  it('append - refused as hard-linked; the outside file is unchanged', async () => {
    const workspace = new NodeWorkspace([root]);
    await expect(workspace.write(writeRequest('hard.txt', 'append', 'appended\n'))).rejects.toMatchObject({ code: HARD_LINKED });
    expect(await readFile(path.join(outside, 'secret.txt'), 'utf8')).toBe('secret\n');
  });

  it('append with allowHardlinkWrites - written through, as configured', async () => {
    const workspace = new NodeWorkspace([root], { allowHardlinkWrites: true });
    await workspace.write(writeRequest('hard.txt', 'append', 'appended\n'));
    expect(await readFile(path.join(outside, 'secret.txt'), 'utf8')).toBe('secret\nappended\n');
  });

  it('overwrite - replaces the link itself; the outside file keeps its content', async () => {
    const workspace = new NodeWorkspace([root]);
    await workspace.write(writeRequest('hard.txt', 'overwrite', 'new\n'));
    expect(await readFile(path.join(root, 'hard.txt'), 'utf8')).toBe('new\n');
    expect(await readFile(path.join(outside, 'secret.txt'), 'utf8')).toBe('secret\n');
    expect((await stat(path.join(outside, 'secret.txt'))).nlink).toBe(1);
  });

  it('create - EEXIST; nothing written through', async () => {
    const workspace = new NodeWorkspace([root]);
    await expect(workspace.write(writeRequest('hard.txt', 'create', 'x'))).rejects.toMatchObject({ code: 'EEXIST' });
    expect(await readFile(path.join(outside, 'secret.txt'), 'utf8')).toBe('secret\n');
  });

  it('append to an ordinary file (one link) - still allowed', async () => {
    await writeFile(path.join(root, 'one.txt'), 'a');
    await new NodeWorkspace([root]).write(writeRequest('one.txt', 'append', 'b'));
    expect(await readFile(path.join(root, 'one.txt'), 'utf8')).toBe('ab');
  });
});

describe('NodeWorkspace on a path longer than the kernel accepts', () => {
  // Over PATH_MAX (4096) in all, with one component over NAME_MAX (255) so even a walk stops there.
  const longPath = () => path.join(root, 'n'.repeat(300), ...Array.from({ length: 400 }, (_, index) => `component-${index}`));

  it('read - ENAMETOOLONG', async () => {
    await expect(new NodeWorkspace([root]).read({ path: longPath(), encoding: 'utf8', allow_binary: false, max_bytes: 10 })).rejects.toMatchObject({
      code: 'ENAMETOOLONG',
    });
  });

  it('write - ENAMETOOLONG, and nothing created', async () => {
    await expect(new NodeWorkspace([root]).write({ ...writeRequest(longPath(), 'create', 'x'), create_directories: true })).rejects.toMatchObject({
      code: 'ENAMETOOLONG',
    });
    expect((await readdir(root)).sort()).toEqual(['sub']);
  });
});
