import { fileURLToPath } from 'node:url';
import { DomainError } from '../../domain/shared/domain-error.js';
import { intersectRoots } from '../../domain/workspace/root-selection.js';
import type { ClientRequests } from '../ports/client-requests.js';
import type { Logger } from '../ports/logger.js';
import type { Workspace } from '../ports/workspace.js';

export interface RootsPolicy {
  /** mcp.roots as the operator set them (absolute), or undefined when not set. */
  readonly configured?: readonly string[];
  /** The roots used when the client declares none: the configured ones, the safe working directory, or none. */
  readonly fallback: readonly string[];
  /** Why `fallback` is empty, naming the setting that fixes it. */
  readonly noRootsReason?: string;
}

/** Where the roots of a request came from, for the health report and the ready line. */
export interface EffectiveRoots {
  readonly roots: readonly string[];
  readonly source: 'client' | 'client ∩ mcp.roots' | 'server';
}

const MAX_SCOPES = 256;

/**
 * The workspace a request may touch. A client that declares the `roots` capability confines the
 * file tools, file:// resources and execute_command to its roots (narrowed to mcp.roots when the
 * operator set them); other clients get the server's own roots. A client that declares roots but
 * lists none, or cannot answer roots/list, is treated as declaring none.
 */
export class WorkspaceScopes {
  readonly server: Workspace;
  readonly #scopes = new Map<string, Workspace>();
  readonly #configured?: Workspace;

  constructor(
    private readonly create: (roots: readonly string[]) => Workspace,
    private readonly policy: RootsPolicy,
    private readonly logger: Logger,
  ) {
    this.server = create(policy.fallback);
    if (policy.configured) this.#configured = create(policy.configured);
  }

  /** The workspace for a request whose client is `client` (absent: a caller with no client, e.g. a test). */
  async for(client?: ClientRequests): Promise<Workspace> {
    const clientRoots = await this.clientRoots(client);
    if (clientRoots.length === 0) return this.serverWorkspace();
    const scoped = this.scope(clientRoots);
    if (!this.#configured) return scoped;
    const allowed = intersectRoots(scoped.roots(), this.#configured.roots());
    if (allowed.length === 0) {
      throw new DomainError(
        'workspace.no_roots',
        `none of the client's roots (${scoped.roots().join(', ')}) is inside mcp.roots (${this.#configured.roots().join(', ')}); ` +
          'the file tools have no directory to work in',
        { client_roots: scoped.roots(), configured_roots: this.#configured.roots() },
      );
    }
    return this.scope(allowed);
  }

  /** The roots a request from `client` gets, and where they came from. */
  async effective(client?: ClientRequests): Promise<EffectiveRoots> {
    const clientRoots = await this.clientRoots(client);
    if (clientRoots.length === 0) return { roots: this.server.roots(), source: 'server' };
    const roots = (await this.for(client).catch(() => undefined))?.roots() ?? [];
    return { roots, source: this.#configured ? 'client ∩ mcp.roots' : 'client' };
  }

  private serverWorkspace(): Workspace {
    if (this.server.roots().length === 0) {
      throw new DomainError('workspace.no_roots', this.policy.noRootsReason ?? 'no workspace root is configured; set mcp.roots', {});
    }
    return this.server;
  }

  private async clientRoots(client?: ClientRequests): Promise<string[]> {
    // A client that answers later would pay a round trip per call for its roots: the server's apply.
    if (!client?.supports.roots || client.answersLater === true) return [];
    let listed: readonly { uri: string }[];
    try {
      listed = await client.listRoots();
    } catch (error) {
      this.logger.warn('roots/list failed; using the server roots', { error: error instanceof Error ? error.message : String(error) });
      return [];
    }
    return listed.flatMap((root) => pathOf(root.uri));
  }

  /** Scoped workspaces are kept by root set: building one resolves its roots on disk. */
  private scope(roots: readonly string[]): Workspace {
    const key = roots.join('\0');
    let workspace = this.#scopes.get(key);
    if (!workspace) {
      if (this.#scopes.size >= MAX_SCOPES) this.#scopes.clear();
      workspace = this.create(roots);
      this.#scopes.set(key, workspace);
    }
    return workspace;
  }
}

/** Only file:// roots name directories here; anything else (or a malformed URI) is ignored. */
function pathOf(uri: string): string[] {
  if (!uri.startsWith('file://')) return [];
  try {
    return [fileURLToPath(uri)];
  } catch {
    return [];
  }
}
