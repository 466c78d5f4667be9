import { stat, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { SearchMatch, SearchRequest, SearchResult } from '../../application/ports/workspace.js';
import { looksBinary } from './file-reader.js';
import { errnoError, hasErrno } from './fs-errors.js';
import { openFileAt, readDirectoryAt } from './opened-location.js';
import { compileGlob } from './linear-glob.js';
import { compileSafeRegex } from './regex-guard.js';

/** Bounds the work one line can cost a regex, and the memory one minified line can take. */
export const MAX_SCANNED_LINE_CHARS = 4096;
/** Keeps a result list of long lines readable; the model can read_file the rest. */
const MAX_REPORTED_LINE_CHARS = 1000;
const CHUNK_BYTES = 64 * 1024;
/** Longest stretch one search holds the event loop before letting other clients' requests run. */
const SLICE_MS = 10;

type LineTest = (line: string) => boolean;
type Accept = (match: SearchMatch) => boolean;

function lineTest(request: SearchRequest): LineTest | undefined {
  const needle = request.content_pattern;
  if (needle === undefined) return undefined;
  if (request.regex) {
    const regex = compileSafeRegex(needle, request.case_sensitive);
    return (line) => regex.test(line);
  }
  if (request.case_sensitive) return (line) => line.includes(needle);
  const lowered = needle.toLowerCase();
  return (line) => line.toLowerCase().includes(lowered);
}

/**
 * Matching is linear-time, but a search may still test thousands of lines; it gives way to the
 * event loop every SLICE_MS so another client's ping is never queued behind it for long.
 */
class Pacer {
  #since = performance.now();

  get due(): boolean {
    return performance.now() - this.#since >= SLICE_MS;
  }

  async yield(): Promise<void> {
    await nextTurn();
    this.#since = performance.now();
  }
}

/**
 * Depth-first, in name order, yielding regular files only. Dirents carry lstat types, so a symlink
 * (to a directory or a file) is never entered nor read: its target may lie outside the roots.
 */
async function* walk(root: string, includeHidden: boolean, signal?: AbortSignal): AsyncGenerator<string> {
  const pending = [''];
  while (pending.length > 0 && !signal?.aborted) {
    const directory = pending.pop() as string;
    let dirents;
    try {
      dirents = await readDirectoryAt(path.join(root, directory));
    } catch (error) {
      // One unreadable subdirectory should not sink the whole search; the top one must exist.
      if (directory === '') throw error;
      continue;
    }
    const subdirectories: string[] = [];
    for (const dirent of dirents.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      if (!includeHidden && dirent.name.startsWith('.')) continue;
      const relative = directory === '' ? dirent.name : `${directory}/${dirent.name}`;
      if (dirent.isDirectory()) subdirectories.push(relative);
      else if (dirent.isFile()) yield relative;
    }
    pending.push(...subdirectories.reverse());
  }
}

function capped(line: string, more: string): string {
  return line.length >= MAX_SCANNED_LINE_CHARS ? line : (line + more).slice(0, MAX_SCANNED_LINE_CHARS);
}

interface ScanOutcome {
  readonly scanned: boolean;
  readonly stop: boolean;
}

/** Reads one file in chunks, testing each line (capped); binary and oversized files are skipped. */
async function scanFile(file: string, relative: string, test: LineTest, maxFileBytes: number, accept: Accept, pacer: Pacer, signal?: AbortSignal): Promise<ScanOutcome> {
  let handle: FileHandle;
  try {
    handle = await openFileAt(file);
  } catch (error) {
    // Swapped for a symlink (or moved) since the walk saw it: not ours to read any more.
    if (hasErrno(error, 'ESTALE', 'ELOOP', 'ENOENT')) return { scanned: false, stop: false };
    throw error;
  }
  try {
    if ((await handle.stat()).size > maxFileBytes) return { scanned: false, stop: false };
    const decoder = new StringDecoder('utf8');
    const chunk = Buffer.alloc(CHUNK_BYTES);
    const emit = (line: number, text: string): boolean => {
      const clean = text.endsWith('\r') ? text.slice(0, -1) : text;
      return !test(clean) || accept({ path: relative, line, text: clean.slice(0, MAX_REPORTED_LINE_CHARS) });
    };
    let lineNumber = 1;
    let current = '';
    for (let position = 0; ; ) {
      if (signal?.aborted) return { scanned: true, stop: true };
      const { bytesRead } = await handle.read(chunk, 0, CHUNK_BYTES, position);
      if (bytesRead === 0) break;
      if (position === 0 && looksBinary(chunk.subarray(0, bytesRead))) return { scanned: false, stop: false };
      position += bytesRead;
      const pieces = decoder.write(chunk.subarray(0, bytesRead)).split('\n');
      for (let index = 0; index < pieces.length - 1; index += 1) {
        if (pacer.due) {
          await pacer.yield();
          if (signal?.aborted) return { scanned: true, stop: true };
        }
        if (!emit(lineNumber, capped(current, pieces[index]))) return { scanned: true, stop: true };
        lineNumber += 1;
        current = '';
      }
      current = capped(current, pieces[pieces.length - 1]);
    }
    current = capped(current, decoder.end());
    const stop = current.length > 0 && !emit(lineNumber, current);
    return { scanned: true, stop };
  } finally {
    await handle.close();
  }
}

/** Walks `root` (already confined) for files matching the glob and, optionally, lines matching `content`. */
export async function searchFiles(root: string, request: SearchRequest, maxFileBytes: number): Promise<SearchResult> {
  const test = lineTest(request);
  // Hidden entries never reach the glob unless asked for, so it needs no dot rule of its own.
  const matchesGlob = compileGlob(request.pattern);
  const pacer = new Pacer();
  if (!(await stat(root)).isDirectory()) throw errnoError('ENOTDIR', root);
  const matches: SearchMatch[] = [];
  let truncated = false;
  let filesScanned = 0;
  const accept: Accept = (match) => {
    if (matches.length >= request.max_results) {
      truncated = true;
      return false;
    }
    matches.push(match);
    return true;
  };
  for await (const relative of walk(root, request.include_hidden, request.signal)) {
    if (pacer.due) await pacer.yield();
    if (!matchesGlob(relative)) continue;
    if (test === undefined) {
      filesScanned += 1;
      if (!accept({ path: relative })) break;
      continue;
    }
    let outcome: ScanOutcome;
    try {
      outcome = await scanFile(path.join(root, relative), relative, test, maxFileBytes, accept, pacer, request.signal);
    } catch {
      // A file deleted or locked mid-walk is skipped like a binary one rather than failing the search.
      continue;
    }
    if (outcome.scanned) filesScanned += 1;
    if (outcome.stop) break;
  }
  // A cancelled search returns what it found so far, flagged as incomplete.
  if (request.signal?.aborted) truncated = true;
  return { root, matches, files_scanned: filesScanned, truncated };
}
