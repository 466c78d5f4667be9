import { constants, type Dirent } from 'node:fs';
import { lstat, open, readdir, readlink, realpath, stat, type FileHandle } from 'node:fs/promises';
import { hasErrno, pathChangedError } from './fs-errors.js';

/**
 * Check-then-use without openat(2): open first, then ask the kernel where the descriptor really
 * is. On Linux /proc/self/fd/N names the open file itself, so its link text is the file's current
 * real path, whatever was swapped on the way. Elsewhere (no /proc) the fallback compares device
 * and inode with a fresh stat of the checked path: it catches a swap that is still in place, but
 * one undone between the open and the stat can slip through. The fallback is best effort.
 */

/** O_NOFOLLOW on the last component: a file swapped for a symlink fails to open instead of being followed. */
export const NOFOLLOW = constants.O_NOFOLLOW ?? 0;
/** A FIFO swapped in after the check must not block the open until some writer shows up. */
export const NONBLOCK = constants.O_NONBLOCK ?? 0;
export const DIRECTORY = constants.O_DIRECTORY ?? 0;

export function descriptorPath(handle: FileHandle): string {
  return `/proc/self/fd/${handle.fd}`;
}

/** The real path of what `handle` has open, or undefined where the platform has no /proc. */
export async function openedPath(handle: FileHandle): Promise<string | undefined> {
  try {
    return await readlink(descriptorPath(handle));
  } catch (error) {
    if (hasErrno(error, 'ENOENT', 'ENOTDIR', 'ENOSYS', 'EINVAL')) return undefined;
    throw error;
  }
}

async function sameInodeStillThere(handle: FileHandle, expected: string): Promise<boolean> {
  const [opened, now] = await Promise.all([handle.stat(), stat(expected).catch(() => undefined)]);
  if (!now || opened.dev !== now.dev || opened.ino !== now.ino) return false;
  return (await realpath(expected).catch(() => undefined)) === expected;
}

/**
 * Throws ESTALE unless `handle` is open on `expected` (a real path the caller confined): the
 * descriptor, not the name, is what gets read or written afterwards.
 */
export async function assertOpenedAt(handle: FileHandle, expected: string): Promise<void> {
  const actual = await openedPath(handle);
  if (actual === undefined) {
    if (!(await sameInodeStillThere(handle, expected))) throw pathChangedError(expected, 'device/inode differ');
    return;
  }
  // A file unlinked since the open reads "<path> (deleted)", which never equals a live path.
  if (actual !== expected) throw pathChangedError(expected, `opened ${actual}`);
}

/** The open(2) ELOOP that O_NOFOLLOW gives for a last component that became a symlink after resolving. */
export function swappedForSymlink(error: unknown, expected: string): unknown {
  return hasErrno(error, 'ELOOP') ? pathChangedError(expected, 'the last component is now a symbolic link') : error;
}

/** O_DIRECTORY|O_NOFOLLOW on a symlink fails with ENOTDIR on Linux (ELOOP elsewhere): tell that from a real file. */
async function openFailure(error: unknown, location: string, expected: string): Promise<unknown> {
  if (!hasErrno(error, 'ENOTDIR')) return swappedForSymlink(error, expected);
  const stats = await lstat(location).catch(() => undefined);
  return stats?.isSymbolicLink() ? pathChangedError(expected, 'a symbolic link is now in its place') : error;
}

/**
 * Opens `location` with `flags` (O_NOFOLLOW among them) and returns the handle only once it is
 * checked to be open on `expected`, a confined real path; a swapped component fails with ESTALE.
 */
export async function openVerified(location: string, flags: number, expected: string): Promise<FileHandle> {
  const handle = await open(location, flags).catch(async (error: unknown) => {
    throw await openFailure(error, location, expected);
  });
  try {
    await assertOpenedAt(handle, expected);
    return handle;
  } catch (error) {
    await handle.close();
    throw error;
  }
}

/**
 * The entries of the directory at `expected` (a confined real path), read through a descriptor
 * checked to be open on exactly that directory: a component swapped for a symlink since the walk
 * saw it fails with ESTALE instead of listing what the link points at.
 */
export async function readDirectoryAt(expected: string): Promise<Dirent[]> {
  const handle = await openVerified(expected, constants.O_RDONLY | DIRECTORY | NOFOLLOW | NONBLOCK, expected);
  try {
    const viaDescriptor = (await openedPath(handle)) !== undefined;
    return await readdir(viaDescriptor ? descriptorPath(handle) : expected, { withFileTypes: true });
  } finally {
    await handle.close();
  }
}

/** Opens the regular file at `expected` (a confined real path) for reading, checked as above. */
export function openFileAt(expected: string): Promise<FileHandle> {
  return openVerified(expected, constants.O_RDONLY | NOFOLLOW | NONBLOCK, expected);
}
