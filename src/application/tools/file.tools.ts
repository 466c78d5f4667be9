import { z } from 'zod';
import { ToolFailure } from '../application.errors.js';
import type { ReadFileResult } from '../ports/workspace.js';
import { afterAnswer, type ToolDefinition, type ToolFamily } from './tool-definition.js';
import type { WorkspaceScopes } from '../workspace/workspace-scopes.js';
import { admit, type InFlightBudget } from '../limits/in-flight-budget.js';
import { READ_BUDGET } from '../limits/budgets.js';
import { DomainError } from '../../domain/shared/domain-error.js';
import { defineTool, outputSchemaOf, structured } from './define-tool.js';
import { toToolFailure } from './tool-failures.js';

export interface FileToolLimits {
  readonly maxFileBytes: number;
  /** The most one read_file answer carries (default maxFileBytes); larger files are paged. */
  readonly maxReadBytes?: number;
  /** Bytes of file reads held at once, per session and in all; absent = unbounded. */
  readonly readBudget?: InFlightBudget;
  readonly maxListEntries: number;
  readonly maxSearchResults: number;
}

/** Deeper listings are what search_files is for; this keeps one call's walk predictable. */
const MAX_LIST_DEPTH = 10;
const READ_ONLY = { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false } as const;
const PATH_HELP = 'absolute, or relative to the first allowed root';

const int = () => z.number().int();

export const readFileOutput = z.object({
  path: z.string().describe('The real path that was read'),
  content: z.string().describe('The content, in `encoding`'),
  encoding: z.enum(['utf8', 'base64', 'latin1']).describe('Encoding of `content` (base64 for binary files)'),
  size: int().describe('Size of the whole file in bytes'),
  bytes_read: int().describe('Bytes of the file returned in `content`'),
  truncated: z.boolean().describe('True when the size limit cut the requested range short'),
  binary: z.boolean().describe('True when the file contains NUL bytes'),
  mime_type: z.string().describe('Media type guessed from the extension'),
  start_line: int().optional().describe('First line returned (line mode)'),
  end_line: int().optional().describe('Last line returned, possibly partial when truncated (line mode)'),
  total_lines: int().optional().describe('Lines in the whole file (line mode)'),
  hint: z.string().optional().describe('How to read the rest when truncated'),
});

export const writeFileOutput = z.object({
  path: z.string().describe('The real path that was written'),
  mode: z.enum(['overwrite', 'append', 'create']),
  bytes_written: int().describe('Bytes written by this call'),
  size: int().describe('Size of the file afterwards'),
  created: z.boolean().describe('True when the file did not exist before'),
});

export const listDirectoryOutput = z.object({
  path: z.string().describe('The real path of the listed directory'),
  entries: z.array(
    z.object({
      name: z.string(),
      path: z.string().describe("Relative to the listed directory, '/'-separated"),
      type: z.enum(['file', 'directory', 'symlink', 'other']),
      size: int().describe('Bytes (for a symlink: the length of its target path)'),
      modified: z.string().describe('Last modification, ISO 8601'),
    }),
  ),
  count: int(),
  truncated: z.boolean().describe('True when max_entries cut the listing short'),
  hint: z.string().optional(),
});

export const searchFilesOutput = z.object({
  root: z.string().describe('The real path searched'),
  matches: z.array(
    z.object({
      path: z.string().describe("Relative to root, '/'-separated"),
      line: int().optional().describe('1-based line number (content search)'),
      text: z.string().optional().describe('The matching line, shortened if very long'),
    }),
  ),
  files_scanned: int().describe('Files that matched the glob and were examined'),
  truncated: z.boolean().describe('True when max_results was reached or the search was cancelled'),
  hint: z.string().optional(),
});

/** Maps a failure for the model; adds the one fix each tool can suggest better than the generic table. */
function failure(error: unknown, path: string, createDirectories?: boolean): ToolFailure {
  if (error instanceof DomainError && error.details?.['binary'] === true) {
    return new ToolFailure(
      {
        error: 'binary file',
        reason: error.message,
        suggested_actions: ['pass allow_binary: true (or encoding "base64") to receive the bytes as base64'],
        retryable: false,
        context: { path },
      },
      { cause: error },
    );
  }
  const mapped = toToolFailure(error, { path });
  if (createDirectories === false && mapped.envelope.context?.['code'] === 'ENOENT') {
    const { envelope } = mapped;
    return new ToolFailure(
      { ...envelope, reason: 'the parent directory does not exist', suggested_actions: ['pass create_directories: true', ...envelope.suggested_actions] },
      { cause: error },
    );
  }
  return mapped;
}

function readHint(result: ReadFileResult, offset: number): string | undefined {
  if (!result.truncated) return undefined;
  if (result.end_line !== undefined) {
    return `output stopped at the size limit inside line ${result.end_line}; continue with start_line=${result.end_line}`;
  }
  return `output stopped at the size limit; continue with offset=${offset + result.bytes_read}, or read by lines`;
}

/** read_file, write_file, list_directory and search_files, all confined to the roots of the request (see WorkspaceScopes). */
export class FileTools implements ToolFamily {
  private readonly definitions: readonly ToolDefinition<unknown>[];

  constructor(
    private readonly workspaces: WorkspaceScopes,
    private readonly limits: FileToolLimits,
  ) {
    // Built once; the limits are part of the descriptions.
    this.definitions = [this.readFile(), this.writeFile(), this.listDirectory(), this.searchFiles()];
  }

  tools(): readonly ToolDefinition<unknown>[] {
    return this.definitions;
  }

  private get maxReadBytes(): number {
    return Math.min(this.limits.maxReadBytes ?? this.limits.maxFileBytes, this.limits.maxFileBytes);
  }

  private readFile(): ToolDefinition {
    const input = z
      .object({
        path: z.string().min(1).describe(`The file to read: ${PATH_HELP}`),
        encoding: z.enum(['utf8', 'base64', 'latin1']).default('utf8').describe('How to return the content'),
        offset: int().min(0).optional().describe('Byte offset to start at (byte mode)'),
        length: int().min(1).optional().describe('Bytes to read from offset (byte mode)'),
        start_line: int().min(1).optional().describe('First line to read, 1-based (line mode)'),
        end_line: int().min(1).optional().describe('Last line to read, inclusive (line mode)'),
        allow_binary: z.boolean().default(false).describe('Return binary files as base64 instead of refusing them'),
      })
      .strict()
      .refine((v) => !((v.offset !== undefined || v.length !== undefined) && (v.start_line !== undefined || v.end_line !== undefined)), {
        message: 'use offset/length or start_line/end_line, not both',
      })
      .refine((v) => v.end_line === undefined || v.end_line >= (v.start_line ?? 1), { message: 'end_line must not be before start_line' });
    return defineTool({
      props: {
        name: 'read_file',
        title: 'Read file',
        description:
          `Reads a file inside the allowed roots. Returns at most ${this.maxReadBytes} bytes per call; ` +
          'for larger files page with offset/length (bytes) or start_line/end_line (lines, with total_lines). ' +
          'Binary files are refused unless allow_binary is true or encoding is "base64".',
        outputSchema: () => outputSchemaOf(readFileOutput),
        annotations: { title: 'Read file', ...READ_ONLY },
      },
      input,
      run: async (args, context) => {
        const budget = this.limits.readBudget;
        let release = () => {};
        try {
          const result = await (await this.workspaces.for(context.client)).read({
            ...args,
            allow_binary: args.allow_binary || args.encoding === 'base64',
            max_bytes: this.maxReadBytes,
            reserve: budget && ((bytes) => (release = admit(budget, READ_BUDGET, context.sessionId, bytes))),
          });
          const hint = readHint(result, args.offset ?? 0);
          // The port speaks the tools' field names (ports/workspace.ts): its result is the output as it is.
          const data: z.infer<typeof readFileOutput> = { ...result, ...(hint !== undefined && { hint }) };
          return structured(data);
        } catch (error) {
          throw failure(error, args.path);
        } finally {
          // Held until the answer has left the process, not just until it was read.
          afterAnswer(context, release);
        }
      },
    });
  }

  private writeFile(): ToolDefinition {
    const input = z
      .object({
        path: z.string().min(1).describe(`The file to write: ${PATH_HELP}`),
        content: z.string().describe(`The content, at most ${this.limits.maxFileBytes} bytes once decoded`),
        encoding: z.enum(['utf8', 'base64']).default('utf8').describe('How `content` is encoded'),
        mode: z
          .enum(['overwrite', 'append', 'create'])
          .default('overwrite')
          .describe('overwrite replaces atomically; append adds to the end; create fails if the file exists'),
        create_directories: z.boolean().default(false).describe('Create missing parent directories (inside the roots only)'),
      })
      .strict();
    return defineTool({
      props: {
        name: 'write_file',
        title: 'Write file',
        description:
          'Writes a file inside the allowed roots. Overwrites are atomic (temp file + rename) and keep the file mode; ' +
          `content is limited to ${this.limits.maxFileBytes} bytes. Symlinks are followed only when their target is inside the roots.`,
        outputSchema: () => outputSchemaOf(writeFileOutput),
        annotations: { title: 'Write file', readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: false },
      },
      input,
      run: async (args, context) => {
        try {
          const result = await (await this.workspaces.for(context.client)).write({ ...args, max_bytes: this.limits.maxFileBytes });
          const data: z.infer<typeof writeFileOutput> = {
            path: result.path,
            mode: args.mode,
            bytes_written: result.bytes_written,
            size: result.size,
            created: result.created,
          };
          return structured(data);
        } catch (error) {
          throw failure(error, args.path, args.create_directories);
        }
      },
    });
  }

  private listDirectory(): ToolDefinition {
    const input = z
      .object({
        path: z.string().min(1).default('.').describe(`The directory to list: ${PATH_HELP}`),
        depth: int().min(0).max(MAX_LIST_DEPTH).default(0).describe('How many levels below the directory to include (0 = its entries only)'),
        max_entries: int().min(1).optional().describe(`Stop after this many entries (at most ${this.limits.maxListEntries})`),
        include_hidden: z.boolean().default(false).describe('Include entries whose name starts with "."'),
      })
      .strict();
    return defineTool({
      props: {
        name: 'list_directory',
        title: 'List directory',
        description:
          `Lists a directory inside the allowed roots, recursing up to depth ${MAX_LIST_DEPTH} and at most ` +
          `${this.limits.maxListEntries} entries, sorted by path. Symlinks are reported as such and never entered.`,
        outputSchema: () => outputSchemaOf(listDirectoryOutput),
        annotations: { title: 'List directory', ...READ_ONLY },
      },
      input,
      run: async (args, context) => {
        try {
          const maxEntries = Math.min(args.max_entries ?? this.limits.maxListEntries, this.limits.maxListEntries);
          const result = await (await this.workspaces.for(context.client)).list({ ...args, max_entries: maxEntries });
          const data: z.infer<typeof listDirectoryOutput> = {
            path: result.path,
            entries: result.entries.map((entry) => ({ ...entry })),
            count: result.entries.length,
            truncated: result.truncated,
            ...(result.truncated && { hint: `stopped after ${maxEntries} entries; list a subdirectory, lower depth, or use search_files` }),
          };
          return structured(data);
        } catch (error) {
          throw failure(error, args.path);
        }
      },
    });
  }

  private searchFiles(): ToolDefinition {
    const input = z
      .object({
        path: z.string().min(1).default('.').describe(`The directory to search: ${PATH_HELP}`),
        pattern: z
          .string()
          .min(1)
          .default('**')
          .describe('Glob on paths relative to `path`; without a "/" it matches file names at any depth (e.g. "*.ts")'),
        content_pattern: z.string().min(1).optional().describe('Only report lines containing this text'),
        regex: z.boolean().default(false).describe('Treat content_pattern as a JavaScript regular expression (max 256 chars, no backreferences or nested quantifiers)'),
        case_sensitive: z.boolean().default(true).describe('Match content_pattern case-sensitively'),
        max_results: int().min(1).optional().describe(`Stop after this many matches (at most ${this.limits.maxSearchResults})`),
        include_hidden: z.boolean().default(false).describe('Include files and directories whose name starts with "."'),
      })
      .strict();
    return defineTool({
      // A search of a large tree outlives its request as a task where the client can hold one.
      taskSupport: 'optional',
      props: {
        name: 'search_files',
        title: 'Search files',
        description:
          'Finds files under a directory inside the allowed roots by glob, optionally matching lines by text or regex. ' +
          `Returns at most ${this.limits.maxSearchResults} matches; skips binary files and files over ${this.limits.maxFileBytes} bytes; ` +
          'does not follow symlinks.',
        outputSchema: () => outputSchemaOf(searchFilesOutput),
        annotations: { title: 'Search files', ...READ_ONLY },
      },
      input,
      run: async (args, context) => {
        try {
          const maxResults = Math.min(args.max_results ?? this.limits.maxSearchResults, this.limits.maxSearchResults);
          const result = await (await this.workspaces.for(context.client)).search({ ...args, max_results: maxResults, signal: context.signal });
          const hint = context.signal.aborted
            ? 'the search was cancelled; the matches are partial'
            : `stopped after ${maxResults} matches; narrow path, pattern or content_pattern`;
          const data: z.infer<typeof searchFilesOutput> = { ...result, matches: [...result.matches], ...(result.truncated && { hint }) };
          return structured(data);
        } catch (error) {
          throw failure(error, args.path);
        }
      },
    });
  }
}
