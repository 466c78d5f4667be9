/**
 * Port: the files the tools may touch, confined to configured roots. Every method resolves real
 * paths (symlinks included) and refuses anything outside the roots with
 * DomainError('workspace.path_outside_roots').
 *
 * Requests and results use the file tools' own field names (read_file's `start_line`, search_files'
 * `files_scanned`…): those names are the product's public API and cannot change, so the port speaks
 * them too, and a tool passes its validated input in and its result out without renaming fields.
 */
export interface FileEntry {
  readonly name: string;
  /** Path relative to the listed directory, '/'-separated. */
  readonly path: string;
  readonly type: 'file' | 'directory' | 'symlink' | 'other';
  readonly size: number;
  readonly modified: string;
}

/**
 * Reads bytes (`offset`/`length`) or lines (`start_line`/`end_line`, 1-based, inclusive), never
 * both. The caller validates the range once (read_file's input schema: one mode, offset >= 0,
 * length >= 1, lines >= 1, end_line >= start_line); the adapter does not check it again.
 */
export interface ReadFileRequest {
  readonly path: string;
  readonly encoding: 'utf8' | 'base64' | 'latin1';
  readonly offset?: number;
  readonly length?: number;
  readonly start_line?: number;
  readonly end_line?: number;
  /** Return a binary file as base64 instead of refusing it. */
  readonly allow_binary: boolean;
  readonly max_bytes: number;
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
  readonly bytes_read: number;
  readonly truncated: boolean;
  readonly binary: boolean;
  readonly mime_type: string;
  readonly start_line?: number;
  readonly end_line?: number;
  readonly total_lines?: number;
}

export interface WriteFileRequest {
  readonly path: string;
  readonly content: string;
  readonly encoding: 'utf8' | 'base64';
  readonly mode: 'overwrite' | 'append' | 'create';
  readonly create_directories: boolean;
  readonly max_bytes: number;
}

export interface WriteFileResult {
  readonly path: string;
  readonly bytes_written: number;
  readonly size: number;
  readonly created: boolean;
}

export interface ListRequest {
  readonly path: string;
  readonly depth: number;
  readonly max_entries: number;
  readonly include_hidden: boolean;
}

export interface ListResult {
  readonly path: string;
  readonly entries: readonly FileEntry[];
  readonly truncated: boolean;
}

export interface SearchRequest {
  readonly path: string;
  readonly pattern: string;
  /** Only lines containing this text (or matching it, with `regex`) are reported. */
  readonly content_pattern?: string;
  readonly regex: boolean;
  readonly case_sensitive: boolean;
  readonly max_results: number;
  readonly include_hidden: boolean;
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
  readonly files_scanned: number;
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
