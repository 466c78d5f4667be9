import { constants } from 'node:fs';
import { lstat, mkdir, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { hasErrno } from './fs-errors.js';
import { DIRECTORY, NOFOLLOW, assertOpenedAt, descriptorPath, openedPath, openVerified } from './opened-location.js';

/**
 * A directory held open and verified to be at its confined real path. Node has no openat(2), so
 * names inside it go through /proc/self/fd/N/<name>: the kernel resolves that prefix to the open
 * directory's inode, so a swap of any component of `path` afterwards cannot redirect them. Without
 * /proc, entries are plain joins and verify() re-checks the inode (best effort, see opened-location).
 */
export interface PinnedDirectory {
  /** The real path the directory was verified at. */
  readonly path: string;
  /** A path naming `name` (a single component) inside the pinned directory. */
  entry(name: string): string;
  /** Throws ESTALE if the directory is no longer at `path` (moved, or on the fallback, swapped). */
  verify(): Promise<void>;
  close(): Promise<void>;
}

const OPEN_DIRECTORY = constants.O_RDONLY | DIRECTORY | NOFOLLOW;

function openDirectory(location: string, expected: string): Promise<FileHandle> {
  return openVerified(location, OPEN_DIRECTORY, expected);
}

async function pinned(handle: FileHandle, real: string): Promise<PinnedDirectory> {
  // openDirectory has just read this link successfully where /proc exists.
  const viaProc = (await openedPath(handle).catch(() => undefined)) !== undefined;
  return {
    path: real,
    entry: (name) => path.join(viaProc ? descriptorPath(handle) : real, name),
    verify: () => assertOpenedAt(handle, real),
    close: () => handle.close(),
  };
}

/** The deepest existing ancestor of `dir` (itself included) and the components missing below it. */
async function existingAncestor(dir: string): Promise<{ existing: string; missing: string[] }> {
  const missing: string[] = [];
  let existing = dir;
  for (;;) {
    try {
      await lstat(existing);
      return { existing, missing };
    } catch (error) {
      const parent = path.dirname(existing);
      if (!hasErrno(error, 'ENOENT') || parent === existing) throw error;
      missing.unshift(path.basename(existing));
      existing = parent;
    }
  }
}

/**
 * Opens and verifies the real directory `dir`; with `create`, makes the missing tail one level at
 * a time inside the directory already pinned, so no mkdir can be redirected outside either.
 */
export async function pinDirectory(dir: string, create: boolean): Promise<PinnedDirectory> {
  if (!create) return pinned(await openDirectory(dir, dir), dir);
  const { existing, missing } = await existingAncestor(dir);
  let current = await pinned(await openDirectory(existing, existing), existing);
  for (const name of missing) {
    let next: PinnedDirectory;
    try {
      await mkdir(current.entry(name)).catch((error: unknown) => {
        if (!hasErrno(error, 'EEXIST')) throw error;
      });
      const child = path.join(current.path, name);
      next = await pinned(await openDirectory(current.entry(name), child), child);
    } catch (error) {
      await current.close();
      throw error;
    }
    await current.close();
    current = next;
  }
  return current;
}
