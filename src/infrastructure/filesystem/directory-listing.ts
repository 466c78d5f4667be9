import { lstat, stat } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import path from 'node:path';
import type { FileEntry, ListRequest, ListResult } from '../../application/ports/workspace.js';
import { errnoError, hasErrno } from './fs-errors.js';
import { readDirectoryAt } from './opened-location.js';

function typeOf(stats: Stats): FileEntry['type'] {
  if (stats.isSymbolicLink()) return 'symlink';
  if (stats.isDirectory()) return 'directory';
  if (stats.isFile()) return 'file';
  return 'other';
}

function byPath(a: FileEntry, b: FileEntry): number {
  return a.path < b.path ? -1 : a.path > b.path ? 1 : 0;
}

async function namesIn(directory: string, isTop: boolean): Promise<string[]> {
  try {
    return (await readDirectoryAt(directory)).map((dirent) => dirent.name).sort();
  } catch (error) {
    // An unreadable subdirectory is listed but not entered; the requested directory itself must be readable.
    if (isTop) throw error;
    return [];
  }
}

async function entryFor(root: string, relative: string, name: string): Promise<FileEntry | undefined> {
  try {
    const stats = await lstat(path.join(root, relative));
    return { name, path: relative, type: typeOf(stats), size: stats.size, modified: stats.mtime.toISOString() };
  } catch (error) {
    // Deleted between readdir and lstat: it is simply no longer there.
    if (hasErrno(error, 'ENOENT')) return undefined;
    throw error;
  }
}

/**
 * Breadth-first, so that when max_entries cuts the listing the shallow entries are the ones kept.
 * Entries are lstat'd: a symlinked directory is reported as a symlink and never entered.
 */
export async function listDirectory(root: string, request: ListRequest): Promise<ListResult> {
  if (!(await stat(root)).isDirectory()) throw errnoError('ENOTDIR', root);
  const entries: FileEntry[] = [];
  let truncated = false;
  let level = [''];
  for (let depth = 0; depth <= request.depth && level.length > 0 && !truncated; depth += 1) {
    const next: string[] = [];
    for (const directory of level) {
      for (const name of await namesIn(path.join(root, directory), directory === '')) {
        if (!request.include_hidden && name.startsWith('.')) continue;
        const entry = await entryFor(root, directory === '' ? name : `${directory}/${name}`, name);
        if (!entry) continue;
        if (entries.length >= request.max_entries) {
          truncated = true;
          break;
        }
        entries.push(entry);
        if (entry.type === 'directory') next.push(entry.path);
      }
      if (truncated) break;
    }
    level = next;
  }
  return { path: root, entries: entries.sort(byPath), truncated };
}
