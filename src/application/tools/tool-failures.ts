import { shortPath } from '../../domain/workspace/path-containment.js';
import { ToolFailure, type ToolErrorEnvelope } from '../application.errors.js';
import { DomainError } from '../../domain/shared/domain-error.js';
import { ClientInterrupt } from '../ports/client-requests.js';

const ERRNO: Record<string, Omit<ToolErrorEnvelope, 'context'>> = {
  ENOENT: {
    error: 'not found',
    reason: 'no file or directory exists at that path',
    suggested_actions: ['check the path with list_directory', 'use search_files to find the file'],
    retryable: false,
    follow_up_tools: ['list_directory', 'search_files'],
  },
  EACCES: {
    error: 'permission denied',
    reason: 'the server process is not allowed to access that path',
    suggested_actions: ['choose a path the server user can access'],
    retryable: false,
  },
  EPERM: {
    error: 'operation not permitted',
    reason: 'the operating system refused the operation',
    suggested_actions: ['choose another path'],
    retryable: false,
  },
  EISDIR: {
    error: 'is a directory',
    reason: 'the path names a directory where a file was expected',
    suggested_actions: ['use list_directory for directories'],
    retryable: false,
    follow_up_tools: ['list_directory'],
  },
  ENOTDIR: {
    error: 'not a directory',
    reason: 'a component of the path is a file, not a directory',
    suggested_actions: ['check the path with list_directory'],
    retryable: false,
    follow_up_tools: ['list_directory'],
  },
  EEXIST: {
    error: 'already exists',
    reason: 'a file already exists at that path and the mode does not overwrite',
    suggested_actions: ['use mode "overwrite" or "append"', 'choose another path'],
    retryable: false,
  },
  ENOSPC: {
    error: 'no space left',
    reason: 'the file system is full',
    suggested_actions: ['free disk space, then retry'],
    retryable: true,
  },
  ELOOP: {
    error: 'too many symbolic links',
    reason: 'resolving the path met a symlink loop',
    suggested_actions: ['use a path without the looping link'],
    retryable: false,
  },
  ENAMETOOLONG: {
    error: 'path too long',
    reason: 'the path, or one of its components, is longer than the file system accepts',
    suggested_actions: ['use a shorter path (each name at most 255 bytes, the whole path at most 4096)'],
    retryable: false,
  },
  ESTALE: {
    error: 'path changed during the operation',
    reason: 'the file or a directory on its path was replaced (renamed, or swapped for a symbolic link) between checking and opening it',
    suggested_actions: ['retry once', 'if it keeps changing, something else is rewriting that directory: choose a stable path'],
    retryable: true,
  },
  ERR_FS_HARD_LINKED: {
    error: 'hard-linked file',
    reason: 'the file has more than one hard link, and another name for it may lie outside the allowed roots, so appending is refused',
    suggested_actions: [
      'use mode "overwrite", which replaces this name with a new file and leaves the other links untouched',
      'ask the server operator to set execution.security.allow_hardlink_writes if writing through hard links is intended',
    ],
    retryable: false,
  },
};

/** A path too long to use is too long to echo whole: its head and tail identify it. */
function shortened(value: unknown): unknown {
  return typeof value === 'string' ? shortPath(value) : value;
}

/**
 * The one mapping from what a tool threw to the envelope the model sees, used by the families and
 * by ExecuteToolHandler for whatever a tool let through. Internal messages (driver texts, stack
 * traces) never pass through: only our own codes and the caller's own inputs; anything else is
 * the internal-error envelope, carrying its cause for the log. A ClientInterrupt is not a failure
 * of the tool: it is rethrown as it is, for the transport.
 */
export function toToolFailure(error: unknown, context: Record<string, unknown> = {}): ToolFailure {
  if (error instanceof ClientInterrupt) throw error;
  if (error instanceof ToolFailure) return error;
  if (error instanceof DomainError) {
    return new ToolFailure({ ...fromDomain(error), ...contextOf({ ...context, ...(error.details ?? {}) }) }, { cause: error });
  }
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (typeof code === 'string' && ERRNO[code]) {
    const echoed = code === 'ENAMETOOLONG' ? Object.fromEntries(Object.entries(context).map(([key, value]) => [key, shortened(value)])) : context;
    return new ToolFailure({ ...ERRNO[code], context: { ...echoed, code } }, { cause: error });
  }
  return ToolFailure.internal(error, context);
}

/** An envelope carries `context` only when there is some, as the internal-error envelope does. */
function contextOf(context: Record<string, unknown>): { context?: Record<string, unknown> } {
  return Object.keys(context).length > 0 ? { context } : {};
}

/** A domain rule refused the arguments; the message is ours, written for the caller. */
function invalidRequest(reason: string): Omit<ToolErrorEnvelope, 'context'> {
  return { error: 'invalid request', reason, suggested_actions: ['correct the arguments and retry'], retryable: false };
}

function fromDomain(error: DomainError): Omit<ToolErrorEnvelope, 'context'> {
  switch (error.code) {
    case 'workspace.path_outside_roots':
      return {
        error: 'path outside allowed roots',
        reason: error.message,
        suggested_actions: ['use a path inside one of the allowed roots (see the config://server resource)'],
        retryable: false,
        follow_up_tools: ['list_directory'],
      };
    case 'workspace.no_roots':
      return {
        error: 'no workspace roots',
        reason: error.message,
        suggested_actions: [
          'ask the server operator to set mcp.roots (TELEMETRYFLOW_MCP_MCP__ROOTS) to the directories the file tools may use',
          'or connect with a client that declares roots inside mcp.roots',
        ],
        retryable: false,
      };
    case 'workspace.invalid_path':
      return { error: 'invalid path', reason: error.message, suggested_actions: ['pass a plain file path'], retryable: false };
    case 'policy.command_denied':
      return {
        error: 'command denied by policy',
        reason: error.message,
        suggested_actions: ['use an allowed command (see execution.security.allowed_commands in config://server)'],
        retryable: false,
      };
    default:
      return invalidRequest(error.message);
  }
}
