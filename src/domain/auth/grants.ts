import { DomainError } from '../shared/domain-error.js';

/**
 * What a principal may use, in the forms operators write in config and OAuth scopes carry:
 * `tools:<name>`, `tools:*`, `resources:<scheme>`, `resources:*`, `prompts:<name>`, `prompts:*`.
 * Anything else in a scope string (e.g. `openid`, `offline_access`) is not a grant and is ignored
 * by `fromScopes`; in config it is an error, because there it can only be a typo.
 */
export type GrantKind = 'tools' | 'resources' | 'prompts';

const KINDS: readonly GrantKind[] = ['tools', 'resources', 'prompts'];
/** Tool and prompt names as MCP allows them; resource schemes as RFC 3986 does. */
const NAME = /^[A-Za-z0-9_.\-/]{1,128}$/;
const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]{0,31}$/;

export class Grants {
  private constructor(
    private readonly all: ReadonlySet<GrantKind>,
    private readonly named: Readonly<Record<GrantKind, ReadonlySet<string>>>,
  ) {}

  /** Every tool, resource and prompt: the default for the local stdio user and for a server without auth. */
  static everything(): Grants {
    return new Grants(new Set(KINDS), { tools: new Set(), resources: new Set(), prompts: new Set() });
  }

  static none(): Grants {
    return new Grants(new Set(), { tools: new Set(), resources: new Set(), prompts: new Set() });
  }

  /** Config grants: every entry must be one of the forms; throws a DomainError naming the first that is not. */
  static parse(entries: readonly string[]): Grants {
    return Grants.build(entries, true);
  }

  /** OAuth `scope` (space-separated): grant-shaped entries count, the rest are ignored. */
  static fromScopes(scope: string | readonly string[] | undefined): Grants {
    const entries = typeof scope === 'string' ? scope.split(' ') : (scope ?? []);
    return Grants.build(entries.filter((entry) => entry.length > 0), false);
  }

  private static build(entries: readonly string[], strict: boolean): Grants {
    const all = new Set<GrantKind>();
    const named: Record<GrantKind, Set<string>> = { tools: new Set(), resources: new Set(), prompts: new Set() };
    for (const entry of entries) {
      const parsed = parseGrant(entry);
      if (!parsed) {
        if (strict) {
          throw new DomainError('value.invalid', `"${entry}" is not a grant: expected tools:<name>, tools:*, resources:<scheme>, resources:*, prompts:<name> or prompts:*`);
        }
        continue;
      }
      if (parsed.name === '*') all.add(parsed.kind);
      else named[parsed.kind].add(parsed.kind === 'resources' ? parsed.name.toLowerCase() : parsed.name);
    }
    return new Grants(all, named);
  }

  /**
   * Whether every item of `kind` is allowed (`tools:*`…): lists are then shown whole, without
   * a filtered copy — the case of every caller of a server without auth.
   */
  allowsEvery(kind: GrantKind): boolean {
    return this.all.has(kind);
  }

  allowsTool(name: string): boolean {
    return this.allows('tools', name);
  }

  /** By the URI's scheme (`file:///…` needs `resources:file`); a URI without one is never allowed. */
  allowsResource(uri: string): boolean {
    const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(uri)?.[1];
    return scheme !== undefined && this.allows('resources', scheme.toLowerCase());
  }

  allowsPrompt(name: string): boolean {
    return this.allows('prompts', name);
  }

  /** The grant a denial names: what the caller would need. */
  static requiredFor(kind: GrantKind, nameOrUri: string): string {
    if (kind !== 'resources') return `${kind}:${nameOrUri}`;
    const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(nameOrUri)?.[1];
    return `resources:${scheme?.toLowerCase() ?? nameOrUri}`;
  }

  /** The canonical list (sorted, wildcards first): for events, logs and `config print`. */
  toJSON(): string[] {
    const out: string[] = [];
    for (const kind of KINDS) {
      if (this.all.has(kind)) out.push(`${kind}:*`);
      else out.push(...[...this.named[kind]].sort().map((name) => `${kind}:${name}`));
    }
    return out;
  }

  private allows(kind: GrantKind, name: string): boolean {
    return this.all.has(kind) || this.named[kind].has(name);
  }
}

function parseGrant(entry: string): { kind: GrantKind; name: string } | undefined {
  const colon = entry.indexOf(':');
  if (colon <= 0) return undefined;
  const kind = entry.slice(0, colon) as GrantKind;
  const name = entry.slice(colon + 1);
  if (!KINDS.includes(kind)) return undefined;
  if (name === '*') return { kind, name };
  return (kind === 'resources' ? SCHEME : NAME).test(name) ? { kind, name } : undefined;
}
