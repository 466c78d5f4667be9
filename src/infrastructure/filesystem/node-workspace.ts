import { watch } from 'node:fs';
import { realpathSync } from 'node:fs';
import { realpath } from 'node:fs/promises';
import path from 'node:path';
import type {
  ListRequest,
  ListResult,
  ReadFileRequest,
  ReadFileResult,
  SearchRequest,
  SearchResult,
  WriteFileRequest,
  WriteFileResult,
  Workspace,
} from '../../application/ports/workspace.js';
import { DomainError } from '../../domain/shared/domain-error.js';
import { assertValidPathInput, assertWithinRoots, toAbsolute } from '../../domain/workspace/path-containment.js';
import { writeConfined } from './atomic-write.js';
import { listDirectory } from './directory-listing.js';
import { readConfinedFile } from './file-reader.js';
import { searchFiles } from './file-search.js';
import { hasErrno } from './fs-errors.js';
import { resolveForCreation } from './real-paths.js';

export interface NodeWorkspaceOptions {
  /** Content search skips files larger than this (bytes); defaults to 10 MiB like execution.security.max_file_bytes. */
  readonly maxSearchFileBytes?: number;
  /** execution.security.allow_hardlink_writes: append to files that have more than one hard link. Default false. */
  readonly allowHardlinkWrites?: boolean;
}

const DEFAULT_MAX_SEARCH_FILE_BYTES = 10 * 1024 * 1024;
const BASE64 = /^[A-Za-z0-9+/\s]*={0,2}\s*$/;

function realRoot(root: string): string {
  if (!path.isAbsolute(root)) throw new DomainError('value.invalid', `workspace root "${root}" must be an absolute path`);
  try {
    return realpathSync(root);
  } catch (error) {
    // A root that does not exist yet confines lexically; anything created under it later is still inside.
    if (hasErrno(error, 'ENOENT')) return path.normalize(root);
    throw error;
  }
}

/**
 * The Workspace port on the local file system. Construct it with absolute roots: they are
 * realpath'd once, synchronously, in the constructor (the composition root builds it at start-up),
 * so roots() stays synchronous and every check compares real paths with real paths.
 */
export class NodeWorkspace implements Workspace {
  readonly #roots: readonly string[];
  readonly #maxSearchFileBytes: number;
  readonly #allowHardlinkWrites: boolean;

  constructor(roots: readonly string[], options: NodeWorkspaceOptions = {}) {
    this.#roots = Object.freeze(roots.map(realRoot));
    this.#maxSearchFileBytes = options.maxSearchFileBytes ?? DEFAULT_MAX_SEARCH_FILE_BYTES;
    this.#allowHardlinkWrites = options.allowHardlinkWrites ?? false;
  }

  roots(): readonly string[] {
    return this.#roots;
  }

  async resolve(input: string, purpose: 'read' | 'write'): Promise<string> {
    assertValidPathInput(input);
    // With no roots every path is refused below, so the base for relative paths does not matter.
    const absolute = toAbsolute(input, this.#roots[0] ?? path.sep);
    if (purpose === 'write') {
      const location = await resolveForCreation(absolute);
      assertWithinRoots(this.#roots, location, input);
      return location;
    }
    let real: string;
    try {
      real = await realpath(absolute);
    } catch (error) {
      // Refuse a missing path outside the roots as "outside", not "not found": whether something
      // exists out there is not ours to reveal.
      const location = await resolveForCreation(absolute).catch(() => undefined);
      if (location !== undefined) assertWithinRoots(this.#roots, location, input);
      throw error;
    }
    assertWithinRoots(this.#roots, real, input);
    return real;
  }

  async read(request: ReadFileRequest): Promise<ReadFileResult> {
    return readConfinedFile(await this.resolve(request.path, 'read'), request);
  }

  async write(request: WriteFileRequest): Promise<WriteFileResult> {
    if (request.encoding === 'base64' && !BASE64.test(request.content)) {
      throw new DomainError('value.invalid', 'the content is not valid base64', { path: request.path });
    }
    const data = Buffer.from(request.content, request.encoding);
    if (data.length > request.max_bytes) {
      throw new DomainError('value.invalid', `the content is ${data.length} bytes; the limit is ${request.max_bytes}`, {
        path: request.path,
        bytes: data.length,
        limit: request.max_bytes,
      });
    }
    const target = await this.resolve(request.path, 'write');
    const outcome = await writeConfined(target, data, request, { allowHardlinkWrites: this.#allowHardlinkWrites });
    return { path: target, bytes_written: data.length, size: outcome.size, created: outcome.created };
  }

  async list(request: ListRequest): Promise<ListResult> {
    return listDirectory(await this.resolve(request.path, 'read'), request);
  }

  async watch(input: string, onChange: () => void): Promise<() => void> {
    const real = await this.resolve(input, 'read');
    let timer: NodeJS.Timeout | undefined;
    const watcher = watch(real, { persistent: false }, () => {
      // Editors write in bursts (truncate, write, rename): one notification per burst.
      clearTimeout(timer);
      timer = setTimeout(onChange, 50);
    });
    watcher.on('error', () => watcher.close());
    return () => {
      clearTimeout(timer);
      watcher.close();
    };
  }

  async search(request: SearchRequest): Promise<SearchResult> {
    return searchFiles(await this.resolve(request.path, 'read'), request, this.#maxSearchFileBytes);
  }
}
