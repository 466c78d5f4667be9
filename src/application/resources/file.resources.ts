import { fileURLToPath } from 'node:url';
import { posix } from 'node:path';
import { ApplicationError, ToolFailure } from '../application.errors.js';
import type { ResourceContents, ResourceProvider } from './resource-catalog.js';
import type { Requester } from '../ports/client-requests.js';
import { admit, type InFlightBudget } from '../limits/in-flight-budget.js';
import { READ_BUDGET } from '../limits/budgets.js';
import type { WorkspaceScopes } from '../workspace/workspace-scopes.js';
import { DomainError } from '../../domain/shared/domain-error.js';
import type { ResourceTemplate } from '../../domain/resource/resource.js';

const TEMPLATE: ResourceTemplate = {
  uriTemplate: 'file:///{path}',
  name: 'file',
  title: 'Files in the allowed roots',
  description: 'Any file inside the configured roots, as text or a base64 blob with its MIME type. {path} is the absolute path without its leading slash.',
};

/** Files inside the workspace roots, addressed as file:// URIs. */
export class FileResources implements ResourceProvider {
  constructor(
    private readonly workspaces: WorkspaceScopes,
    private readonly maxBytes: number,
    private readonly readBudget?: InFlightBudget,
  ) {}

  resources() {
    return [];
  }

  templates(): readonly ResourceTemplate[] {
    return [TEMPLATE];
  }

  async read(uri: string, requester?: Requester): Promise<ResourceContents[] | undefined> {
    if (!uri.startsWith('file://')) return undefined;
    let path: string;
    try {
      path = fileURLToPath(uri);
    } catch {
      throw new ApplicationError('params.invalid', `not a valid file URI: ${uri.slice(0, 256)}`);
    }
    let release = () => {};
    try {
      const budget = this.readBudget;
      const reserve = budget && ((bytes: number) => (release = admit(budget, READ_BUDGET, requester?.sessionId ?? '', bytes)));
      const file = await (await this.workspaces.for(requester?.client)).read({ path, encoding: 'utf8', allow_binary: true, max_bytes: this.maxBytes, reserve });
      if (file.truncated) {
        throw new ApplicationError(
          'params.invalid',
          `Resource too large: ${uri.slice(0, 256)} is ${file.size} bytes; file:// resources serve at most ${this.maxBytes} bytes ` +
            '(execution.security.max_read_bytes); read it in parts with the read_file tool (offset/length or start_line/end_line)',
        );
      }
      if (file.binary || file.encoding === 'base64') return [{ uri, mimeType: file.mime_type, blob: file.content }];
      return [{ uri, mimeType: file.mime_type, text: file.content }];
    } catch (error) {
      throw this.notReadable(uri, error);
    } finally {
      // Held until the answer has left the process, not just until it was read.
      if (requester?.afterAnswer) requester.afterAnswer(release);
      else setImmediate(release);
    }
  }

  async watch(uri: string, onChange: () => void, requester?: Requester): Promise<(() => void) | undefined> {
    if (!uri.startsWith('file://')) return undefined;
    try {
      return await (await this.workspaces.for(requester?.client)).watch(fileURLToPath(uri), onChange);
    } catch (error) {
      throw this.notReadable(uri, error);
    }
  }

  /** Completes the `path` variable with entries of the directory typed so far. */
  async complete(_template: string, argument: string, value: string): Promise<string[]> {
    if (argument !== 'path') return [];
    const typed = `/${value.replace(/^\/+/, '')}`;
    const dir = typed.endsWith('/') ? typed : posix.dirname(typed);
    const prefix = typed.endsWith('/') ? '' : posix.basename(typed);
    const candidates: string[] = [];
    try {
      const listing = await this.workspaces.server.list({ path: dir, depth: 0, max_entries: 1000, include_hidden: prefix.startsWith('.') });
      for (const entry of listing.entries) {
        if (!entry.name.startsWith(prefix)) continue;
        const full = posix.join(dir, entry.name) + (entry.type === 'directory' ? '/' : '');
        candidates.push(full.slice(1));
      }
    } catch {
      // outside the roots or missing: offer the roots themselves
      for (const root of this.workspaces.server.roots()) if (root.startsWith(typed)) candidates.push(`${root.slice(1)}/`);
    }
    return candidates.sort();
  }

  private notReadable(uri: string, error: unknown): Error {
    if (error instanceof ToolFailure) {
      return new ApplicationError('server.busy', `Server busy: ${error.envelope.reason}; retry shortly`, { cause: error });
    }
    if (error instanceof DomainError && error.code === 'workspace.no_roots') {
      return new ApplicationError('resource.not_found', `Resource not found: ${uri}: ${error.message}`, { cause: error });
    }
    if (error instanceof DomainError && error.code === 'workspace.path_outside_roots') {
      return new ApplicationError('resource.not_found', `Resource not found: ${uri} is outside the allowed roots`, { cause: error });
    }
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return new ApplicationError('resource.not_found', `Resource not found: ${uri}`, { cause: error });
    if (code === 'EISDIR') return new ApplicationError('resource.not_found', `Resource not found: ${uri} is a directory`, { cause: error });
    return error instanceof Error ? error : new Error(String(error));
  }
}
