import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import type { ReadFileRequest, ReadFileResult } from '../../application/ports/workspace.js';
import { DomainError } from '../../domain/shared/domain-error.js';
import { errnoError } from './fs-errors.js';
import { mimeTypeOf } from './mime-types.js';
import { NOFOLLOW, NONBLOCK, assertOpenedAt, swappedForSymlink } from './opened-location.js';

/** The same heuristic as git and grep: a NUL byte early in the file means binary. */
export const SNIFF_BYTES = 8192;
const CHUNK_BYTES = 64 * 1024;
const OPEN_FOR_READING = constants.O_RDONLY | NOFOLLOW | NONBLOCK;

interface Slice {
  readonly bytes: Buffer;
  readonly truncated: boolean;
}

interface LineSlice extends Slice {
  readonly endLine: number;
  readonly totalLines: number;
}

export function looksBinary(head: Buffer): boolean {
  return head.subarray(0, SNIFF_BYTES).includes(0);
}

function invalid(message: string, path: string): DomainError {
  return new DomainError('value.invalid', message, { path });
}

/** The range was validated by the caller (see ReadFileRequest); only which mode it asks for matters here. */
function byLines(request: ReadFileRequest): boolean {
  return request.start_line !== undefined || request.end_line !== undefined;
}

async function readAt(handle: FileHandle, buffer: Buffer, position: number): Promise<number> {
  let filled = 0;
  while (filled < buffer.length) {
    const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, position + filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return filled;
}

async function readBytes(handle: FileHandle, size: number, request: ReadFileRequest): Promise<Slice> {
  const offset = request.offset ?? 0;
  const available = Math.max(0, size - offset);
  const wanted = Math.min(request.length ?? available, available);
  const buffer = Buffer.alloc(Math.min(wanted, request.max_bytes));
  const filled = await readAt(handle, buffer, offset);
  return { bytes: buffer.subarray(0, filled), truncated: buffer.length < wanted };
}

/** Streams the whole file once: the selected lines are kept (up to max_bytes), the rest only counted. */
async function readLines(handle: FileHandle, request: ReadFileRequest): Promise<LineSlice> {
  const first = request.start_line ?? 1;
  const last = request.end_line ?? Number.POSITIVE_INFINITY;
  const parts: Buffer[] = [];
  const chunk = Buffer.alloc(CHUNK_BYTES);
  let collected = 0;
  let truncated = false;
  let line = 1;
  let lastIncluded = first - 1;
  let position = 0;
  let endsWithNewline = false;
  for (let read = await readAt(handle, chunk, 0); read > 0; read = await readAt(handle, chunk, position)) {
    position += read;
    const data = chunk.subarray(0, read);
    endsWithNewline = data[read - 1] === 10;
    for (let from = 0; from < data.length; ) {
      const newline = data.indexOf(10, from);
      const to = newline === -1 ? data.length : newline + 1;
      if (line >= first && line <= last && !truncated) {
        const room = request.max_bytes - collected;
        const piece = data.subarray(from, Math.min(to, from + room));
        if (piece.length > 0) {
          parts.push(Buffer.from(piece));
          collected += piece.length;
          lastIncluded = line;
        }
        truncated = to - from > room;
      }
      if (newline === -1) break;
      line += 1;
      from = to;
    }
  }
  const totalLines = position === 0 ? 0 : endsWithNewline ? line - 1 : line;
  const endLine = truncated ? lastIncluded : Math.min(last, totalLines);
  return { bytes: Buffer.concat(parts), truncated, endLine, totalLines };
}

/** A cut in the middle of a UTF-8 sequence would decode to U+FFFD; cutting before it keeps offsets exact. */
function withoutPartialUtf8Tail(bytes: Buffer): Buffer {
  for (let back = 1; back <= Math.min(4, bytes.length); back += 1) {
    const byte = bytes[bytes.length - back];
    if ((byte & 0xc0) === 0x80) continue;
    const length = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
    return length > back ? bytes.subarray(0, bytes.length - back) : bytes;
  }
  return bytes;
}

/**
 * Opens `realPath` (already confined) and proves the descriptor is still there: a directory on
 * the path swapped for a symlink after the check would otherwise hand us a file outside the roots.
 */
async function openConfined(realPath: string, request: ReadFileRequest): Promise<FileHandle> {
  // O_NONBLOCK: a FIFO opens at once instead of waiting for a writer, and is refused below.
  const handle = await open(realPath, OPEN_FOR_READING).catch((error: unknown) => {
    throw swappedForSymlink(error, realPath);
  });
  try {
    await assertOpenedAt(handle, realPath);
    const opened = await handle.stat();
    if (opened.isDirectory()) throw errnoError('EISDIR', realPath);
    if (!opened.isFile()) throw invalid(`"${request.path}" is not a regular file`, request.path);
    return handle;
  } catch (error) {
    await handle.close();
    throw error;
  }
}

/** The most this read can hold: the requested range of the file, capped at max_bytes. */
function heldBytes(size: number, request: ReadFileRequest): number {
  if (byLines(request)) return Math.min(size, request.max_bytes);
  return Math.min(Math.max(0, size - (request.offset ?? 0)), request.length ?? Infinity, request.max_bytes);
}

/** Reads `realPath` (already confined) as the request asks, never holding more than max_bytes of content. */
export async function readConfinedFile(realPath: string, request: ReadFileRequest): Promise<ReadFileResult> {
  const handle = await openConfined(realPath, request);
  try {
    const size = (await handle.stat()).size;
    request.reserve?.(heldBytes(size, request));
    const head = Buffer.alloc(Math.min(SNIFF_BYTES, size));
    const binary = looksBinary(head.subarray(0, await readAt(handle, head, 0)));
    if (binary && !request.allow_binary) {
      throw new DomainError('value.invalid', `"${request.path}" is a binary file (it contains NUL bytes)`, {
        path: request.path,
        binary: true,
      });
    }
    const encoding = binary ? 'base64' : request.encoding;
    let slice: Slice;
    let lines: Pick<ReadFileResult, 'start_line' | 'end_line' | 'total_lines'> = {};
    if (byLines(request)) {
      const selected = await readLines(handle, request);
      lines = { start_line: request.start_line ?? 1, end_line: selected.endLine, total_lines: selected.totalLines };
      slice = selected;
    } else {
      slice = await readBytes(handle, size, request);
    }
    const bytes = slice.truncated && encoding === 'utf8' ? withoutPartialUtf8Tail(slice.bytes) : slice.bytes;
    return {
      path: realPath,
      content: bytes.toString(encoding),
      encoding,
      size,
      bytes_read: bytes.length,
      truncated: slice.truncated,
      binary,
      mime_type: mimeTypeOf(realPath, binary),
      ...lines,
    };
  } finally {
    await handle.close();
  }
}
