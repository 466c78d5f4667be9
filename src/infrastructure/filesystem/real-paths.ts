import { lstat, readlink } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import path from 'node:path';
import { errnoError, hasErrno } from './fs-errors.js';

/** Linux's own MAXSYMLINKS: a longer chain is a loop as far as the kernel is concerned. */
const MAX_LINK_HOPS = 40;

function componentsOf(value: string): string[] {
  return value.split(path.sep).filter((part) => part.length > 0);
}

async function lstatOrUndefined(candidate: string): Promise<Stats | undefined> {
  try {
    return await lstat(candidate);
  } catch (error) {
    if (hasErrno(error, 'ENOENT', 'ENOTDIR')) return undefined;
    throw error;
  }
}

/**
 * Where the kernel would land if it created `absolute` now: like realpath, but the tail may be
 * missing. Symlinks are followed wherever they appear, dangling ones included, because a write
 * through a dangling link creates its target: the target, not the link, is what must be confined.
 * '..' is applied after the preceding links are resolved, as the kernel does.
 */
export async function resolveForCreation(absolute: string): Promise<string> {
  let resolved = path.parse(absolute).root;
  let pending = componentsOf(absolute);
  let hops = 0;
  while (pending.length > 0) {
    const part = pending.shift() as string;
    if (part === '.') continue;
    if (part === '..') {
      resolved = path.dirname(resolved);
      continue;
    }
    const candidate = path.join(resolved, part);
    const stats = await lstatOrUndefined(candidate);
    if (!stats || (!stats.isDirectory() && !stats.isSymbolicLink() && pending.length > 0)) {
      // Nothing below a missing entry (or below a file) exists: the rest is plain path arithmetic.
      return path.join(candidate, ...pending);
    }
    if (stats.isSymbolicLink()) {
      hops += 1;
      if (hops > MAX_LINK_HOPS) throw errnoError('ELOOP', `too many symbolic links resolving ${absolute}`);
      const target = await readlink(candidate);
      if (path.isAbsolute(target)) resolved = path.parse(target).root;
      pending = [...componentsOf(target), ...pending];
      continue;
    }
    resolved = candidate;
  }
  return resolved;
}
