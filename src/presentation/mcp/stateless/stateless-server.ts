import { serverCapabilities } from '../capabilities.js';
import type { McpDependencies } from '../session-channel.js';
import { StatelessEndpoint } from './stateless-endpoint.js';

/** The 2026-07-28 revisions served statelessly (newest first). */
export const STATELESS_REVISIONS: readonly string[] = ['2026-07-28'];

/**
 * Cache hints (SEP-2549), chosen to be true: the tool, prompt and template catalogs are fixed from
 * start to shutdown (config reload does not change them; a restart may, hence one minute, and a
 * runtime change is announced on subscriptions/listen); resource lists and reads depend on files,
 * roots and who asks, so they are never cached. None is public except what every caller sees alike.
 */
const CACHE_HINTS = {
  'tools/list': { ttlMs: 60_000, cacheScope: 'private' },
  'prompts/list': { ttlMs: 60_000, cacheScope: 'private' },
  'resources/templates/list': { ttlMs: 60_000, cacheScope: 'private' },
  'resources/list': { ttlMs: 0, cacheScope: 'private' },
  'resources/read': { ttlMs: 0, cacheScope: 'private' },
  'server/discover': { ttlMs: 60_000, cacheScope: 'public' },
} as const;

/** The one stateless endpoint of a server. */
export function statelessEndpoint(deps: McpDependencies): StatelessEndpoint {
  return new StatelessEndpoint(deps, {
    capabilities: serverCapabilities(deps.features),
    supportedVersions: STATELESS_REVISIONS,
    ...(deps.requestState ? { requestState: deps.requestState } : {}),
    cacheHints: CACHE_HINTS,
  });
}
