import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { link, lstat, mkdir, open, rename, stat, unlink, writeFile } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import path from 'node:path';
import type { WriteFileRequest } from '../../application/ports/workspace.js';
import { DomainError } from '../../domain/shared/domain-error.js';
import { errnoError, hasErrno } from './fs-errors.js';

export interface WriteOutcome {
  readonly created: boolean;
  readonly size: number;
}

/** Keeps ".<name>.<random>.tmp" under NAME_MAX (255) even for long names. */
const MAX_TEMP_STEM = 200;
/** O_NOFOLLOW: if the resolved file is swapped for a symlink after the check, appending fails instead of following it. */
const APPEND_FLAGS = constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | (constants.O_NOFOLLOW ?? 0);

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

/** Writes `data` to a fresh temp file next to `target` (same file system, so rename is atomic). */
async function writeTemp(target: string, data: Buffer, mode: number | undefined): Promise<string> {
  const stem = path.basename(target).slice(0, MAX_TEMP_STEM);
  const temp = path.join(path.dirname(target), `.${stem}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(temp, 'wx', 0o666);
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

async function createExclusively(target: string, data: Buffer): Promise<void> {
  const temp = await writeTemp(target, data, undefined);
  try {
    // link(2) fails with EEXIST if anything (a symlink included) appeared meanwhile: no clobbering.
    await link(temp, target);
  } catch (error) {
    if (!hasErrno(error, 'EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS')) throw error;
    // File systems without hard links: O_EXCL still refuses to clobber, at the cost of atomicity.
    await writeFile(target, data, { flag: 'wx' });
  } finally {
    await removeQuietly(temp);
  }
}

async function replaceAtomically(target: string, data: Buffer, existing: Stats | undefined): Promise<void> {
  const temp = await writeTemp(target, data, existing?.mode);
  try {
    await rename(temp, target);
  } catch (error) {
    await removeQuietly(temp);
    throw error;
  }
}

async function append(target: string, data: Buffer): Promise<void> {
  const handle = await open(target, APPEND_FLAGS, 0o666);
  try {
    await handle.appendFile(data);
  } finally {
    await handle.close();
  }
}

/** Writes `data` to `target`, which the caller has already resolved and confined. */
export async function writeConfined(target: string, data: Buffer, request: WriteFileRequest): Promise<WriteOutcome> {
  if (request.createDirectories) await mkdir(path.dirname(target), { recursive: true });
  const existing = await lstatOrUndefined(target);
  if (existing?.isDirectory()) throw errnoError('EISDIR', target);
  if (existing && !existing.isFile()) {
    throw new DomainError('value.invalid', `"${request.path}" is not a regular file`, { path: request.path });
  }
  switch (request.mode) {
    case 'create':
      if (existing) throw errnoError('EEXIST', target);
      await createExclusively(target, data);
      break;
    case 'overwrite':
      await replaceAtomically(target, data, existing);
      break;
    case 'append':
      await append(target, data);
      break;
  }
  return { created: existing === undefined, size: (await stat(target)).size };
}
