import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { link, lstat, open, rename, unlink, writeFile } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import path from 'node:path';
import type { WriteFileRequest } from '../../application/ports/workspace.js';
import { DomainError } from '../../domain/shared/domain-error.js';
import { HARD_LINKED, errnoError, hasErrno } from './fs-errors.js';
import { NOFOLLOW, NONBLOCK, swappedForSymlink } from './opened-location.js';
import { pinDirectory, type PinnedDirectory } from './pinned-directory.js';

export interface WriteOutcome {
  readonly created: boolean;
  readonly size: number;
}

export interface WriteOptions {
  /**
   * execution.security.allow_hardlink_writes: append to a file that has other names. Off by default, since
   * another name may lie outside the roots. Overwrite and create never write through a link:
   * rename replaces this name's entry and leaves the other names' content untouched.
   */
  readonly allowHardlinkWrites: boolean;
}

/** Keeps ".<name>.<random>.tmp" under NAME_MAX (255) even for long names. */
const MAX_TEMP_STEM = 200;
const TEMP_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | NOFOLLOW;
/** O_NONBLOCK: a FIFO swapped in fails with ENXIO instead of blocking until a reader appears. */
const APPEND_FLAGS = constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | NOFOLLOW | NONBLOCK;

async function lstatOrUndefined(target: string): Promise<Stats | undefined> {
  try {
    return await lstat(target);
  } catch (error) {
    if (hasErrno(error, 'ENOENT')) return undefined;
    throw error;
  }
}

/** Best effort: a temp file we cannot delete must not hide the error that made us delete it. */
async function removeQuietly(file: string): Promise<void> {
  await unlink(file).catch(() => undefined);
}

/** Writes `data` to a fresh temp file in the pinned directory (same file system, so rename is atomic). */
async function writeTemp(dir: PinnedDirectory, name: string, data: Buffer, mode: number | undefined): Promise<string> {
  const temp = dir.entry(`.${name.slice(0, MAX_TEMP_STEM)}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(temp, TEMP_FLAGS, 0o666);
  try {
    await handle.writeFile(data);
    // chmod, not open's mode argument: the umask would otherwise strip bits the old file had.
    if (mode !== undefined) await handle.chmod(mode & 0o7777);
    await handle.sync();
  } catch (error) {
    await handle.close();
    await removeQuietly(temp);
    throw error;
  }
  await handle.close();
  return temp;
}

async function createExclusively(dir: PinnedDirectory, name: string, data: Buffer): Promise<void> {
  const temp = await writeTemp(dir, name, data, undefined);
  try {
    await dir.verify();
    // link(2) fails with EEXIST if anything (a symlink included) appeared meanwhile: no clobbering.
    await link(temp, dir.entry(name));
  } catch (error) {
    if (!hasErrno(error, 'EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS')) throw error;
    // File systems without hard links: O_EXCL still refuses to clobber, at the cost of atomicity.
    await writeFile(dir.entry(name), data, { flag: 'wx' });
  } finally {
    await removeQuietly(temp);
  }
}

async function replaceAtomically(dir: PinnedDirectory, name: string, data: Buffer, existing: Stats | undefined): Promise<void> {
  const temp = await writeTemp(dir, name, data, existing?.mode);
  try {
    await dir.verify();
    // rename(2) replaces the entry itself: a symlink or hard link there is replaced, not written through.
    await rename(temp, dir.entry(name));
  } catch (error) {
    await removeQuietly(temp);
    throw error;
  }
}

async function append(dir: PinnedDirectory, name: string, data: Buffer, request: WriteFileRequest, options: WriteOptions): Promise<void> {
  const target = path.join(dir.path, name);
  const handle = await open(dir.entry(name), APPEND_FLAGS, 0o666).catch((error: unknown) => {
    throw swappedForSymlink(error, target);
  });
  try {
    const opened = await handle.stat();
    if (!opened.isFile()) throw new DomainError('value.invalid', `"${request.path}" is not a regular file`, { path: request.path });
    if (opened.nlink > 1 && !options.allowHardlinkWrites) {
      throw errnoError(HARD_LINKED, `${target} has ${opened.nlink} hard links; appending would change every one of them`);
    }
    await dir.verify();
    await handle.appendFile(data);
  } finally {
    await handle.close();
  }
}

/** Writes `data` to `target`, which the caller has already resolved and confined. */
export async function writeConfined(target: string, data: Buffer, request: WriteFileRequest, options: WriteOptions): Promise<WriteOutcome> {
  const dir = await pinDirectory(path.dirname(target), request.create_directories);
  try {
    const name = path.basename(target);
    const existing = await lstatOrUndefined(dir.entry(name));
    if (existing?.isDirectory()) throw errnoError('EISDIR', target);
    if (existing && !existing.isFile()) {
      throw new DomainError('value.invalid', `"${request.path}" is not a regular file`, { path: request.path });
    }
    switch (request.mode) {
      case 'create':
        if (existing) throw errnoError('EEXIST', target);
        await createExclusively(dir, name, data);
        break;
      case 'overwrite':
        await replaceAtomically(dir, name, data, existing);
        break;
      case 'append':
        await append(dir, name, data, request, options);
        break;
    }
    return { created: existing === undefined, size: (await lstat(dir.entry(name))).size };
  } finally {
    await dir.close();
  }
}
