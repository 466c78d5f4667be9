import { mkdir, mkdtemp, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** A throw-away workspace root plus a sibling directory that lies outside it. */
export interface TempWorkspace {
  /** Real path of the root the server is confined to. */
  readonly root: string;
  /** Real path of a directory outside the root (holds `secret.txt`). */
  readonly outside: string;
  readonly files: {
    /** Five lines of UTF-8 text. */
    readonly text: string;
    /** Bytes with NULs: a binary file. */
    readonly binary: string;
    /** `nested/deep/inner.txt`. */
    readonly nested: string;
    /** `link-out`: a symlink to `outside` (a directory outside the root). */
    readonly symlinkOut: string;
    /** `outside/secret.txt`. */
    readonly outsideSecret: string;
  };
  readonly textLines: readonly string[];
  readonly binaryBytes: Buffer;
  cleanup(): Promise<void>;
}

export const TEXT_LINES = ['alpha line one', 'beta line two', 'gamma needle three', 'delta line four', 'epsilon line five'] as const;
export const NESTED_TEXT = 'nested needle content\n';
export const OUTSIDE_SECRET = 'outside-secret-do-not-leak\n';

/** mkdtemp with a few files: text, binary, nested dir, and a symlink pointing outside the root. */
export async function createTempWorkspace(prefix = 'tfo-mcp-e2e-'): Promise<TempWorkspace> {
  // realpath: on some systems tmpdir() itself is a symlink, and the server reports real paths.
  const base = await realpath(await mkdtemp(path.join(tmpdir(), prefix)));
  const root = path.join(base, 'root');
  const outside = path.join(base, 'outside');
  await mkdir(path.join(root, 'nested', 'deep'), { recursive: true });
  await mkdir(outside, { recursive: true });

  const binaryBytes = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0x01, 0x02, 0x00, 0xff, 0xfe, 0x00, 0x10]);
  const files = {
    text: path.join(root, 'hello.txt'),
    binary: path.join(root, 'image.png'),
    nested: path.join(root, 'nested', 'deep', 'inner.txt'),
    symlinkOut: path.join(root, 'link-out'),
    outsideSecret: path.join(outside, 'secret.txt'),
  };
  await writeFile(files.text, `${TEXT_LINES.join('\n')}\n`);
  await writeFile(files.binary, binaryBytes);
  await writeFile(files.nested, NESTED_TEXT);
  await writeFile(files.outsideSecret, OUTSIDE_SECRET);
  await symlink(outside, files.symlinkOut);

  return {
    root,
    outside,
    files,
    textLines: TEXT_LINES,
    binaryBytes,
    cleanup: () => rm(base, { recursive: true, force: true }),
  };
}

/** An empty temp dir (e.g. the server's cwd, so no stray ./tfo-mcp.yaml is picked up). */
export async function createTempDir(prefix = 'tfo-mcp-cwd-'): Promise<{ dir: string; cleanup(): Promise<void> }> {
  const dir = await realpath(await mkdtemp(path.join(tmpdir(), prefix)));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}
