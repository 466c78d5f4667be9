/**
 * Port: the files the tools may touch, confined to configured roots. Every method resolves real
 * paths (symlinks included) and refuses anything outside the roots with
 * DomainError('workspace.path_outside_roots').
 */
export interface FileEntry {
  readonly name: string;
  /** Path relative to the listed directory, '/'-separated. */
  readonly path: string;
  readonly type: 'file' | 'directory' | 'symlink' | 'other';
  readonly size: number;
  readonly modified: string;
}

export interface ReadFileRequest {
  readonly path: string;
  readonly encoding: 'utf8' | 'base64' | 'latin1';
  readonly offset?: number;
  readonly length?: number;
  readonly startLine?: number;
  readonly endLine?: number;
  readonly allowBinary: boolean;
  readonly maxBytes: number;
  /**
   * Told how many bytes the read will hold once the file's size is known, before anything is
   * read; throws to refuse the read (e.g. too many bytes already in flight).
   */
  readonly reserve?: (bytes: number) => void;
}

export interface ReadFileResult {
  readonly path: string;
  readonly content: string;
  readonly encoding: 'utf8' | 'base64' | 'latin1';
  readonly size: number;
  readonly bytesRead: number;
  readonly truncated: boolean;
  readonly binary: boolean;
  readonly mimeType: string;
  readonly startLine?: number;
  readonly endLine?: number;
  readonly totalLines?: number;
}

export interface WriteFileRequest {
  readonly path: string;
  readonly content: string;
  readonly encoding: 'utf8' | 'base64';
  readonly mode: 'overwrite' | 'append' | 'create';
  readonly createDirectories: boolean;
  readonly maxBytes: number;
}

export interface WriteFileResult {
  readonly path: string;
  readonly bytesWritten: number;
  readonly size: number;
  readonly created: boolean;
}

export interface ListRequest {
  readonly path: string;
  readonly depth: number;
  readonly maxEntries: number;
  readonly includeHidden: boolean;
}

export interface ListResult {
  readonly path: string;
  readonly entries: readonly FileEntry[];
  readonly truncated: boolean;
}

export interface SearchRequest {
  readonly path: string;
  readonly pattern: string;
  readonly content?: string;
  readonly contentIsRegex: boolean;
  readonly caseSensitive: boolean;
  readonly maxResults: number;
  readonly includeHidden: boolean;
  readonly signal?: AbortSignal;
}

export interface SearchMatch {
  readonly path: string;
  readonly line?: number;
  readonly text?: string;
}

export interface SearchResult {
  readonly root: string;
  readonly matches: readonly SearchMatch[];
  readonly filesScanned: number;
  readonly truncated: boolean;
}

export interface Workspace {
  /** The configured roots, as real absolute paths. */
  roots(): readonly string[];
  /** Resolves `path` (absolute, or relative to the first root) to a real path inside the roots. */
  resolve(path: string, purpose: 'read' | 'write'): Promise<string>;
  read(request: ReadFileRequest): Promise<ReadFileResult>;
  write(request: WriteFileRequest): Promise<WriteFileResult>;
  list(request: ListRequest): Promise<ListResult>;
  search(request: SearchRequest): Promise<SearchResult>;
  /** Calls `onChange` (debounced) when the file at `path` changes; resolves to a function that stops watching. */
  watch(path: string, onChange: () => void): Promise<() => void>;
}
