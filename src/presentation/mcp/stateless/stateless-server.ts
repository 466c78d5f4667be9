import { serverCapabilities } from '../capabilities.js';
import type { McpDependencies } from '../session-channel.js';
import type { ServerCapabilities } from '@modelcontextprotocol/server';
import { tasksServerCapability, toDetailedTask } from '../task-wire.js';
import { MODERN_REVISIONS } from './revision-claim.js';
import { taskRoutes } from './task.routes.js';
import { StatelessEndpoint } from './stateless-endpoint.js';
import { SubscriptionHub, type SubscriptionSources } from './subscriptions.js';

/** The 2026-07-28 revisions served statelessly (newest first): the ones the edge's claim test accepts. */
export const STATELESS_REVISIONS: readonly string[] = MODERN_REVISIONS;

/**
 * Cache hints (SEP-2549), chosen to be true: the tool, prompt and template catalogs are fixed from
 * start to shutdown (config reload does not change them; a restart may, hence one minute, and a
 * tool added at runtime, which only the conformance fixture does, is announced on
 * subscriptions/listen streams that asked for toolsListChanged); resource lists and reads depend
 * on files, roots and who asks, so they are never cached. None is public except what every caller
 * sees alike.
 */
const CACHE_HINTS = {
  'tools/list': { ttlMs: 60_000, cacheScope: 'private' },
  'prompts/list': { ttlMs: 60_000, cacheScope: 'private' },
  'resources/templates/list': { ttlMs: 60_000, cacheScope: 'private' },
  'resources/list': { ttlMs: 0, cacheScope: 'private' },
  'resources/read': { ttlMs: 0, cacheScope: 'private' },
  'server/discover': { ttlMs: 60_000, cacheScope: 'public' },
} as const;

/**
 * What server/discover declares: the session capabilities, less resource subscriptions (on this
 * revision they would ride on subscriptions/listen, and a resource watch needs a session today),
 * and the tasks extension where tasks are served.
 */
export function statelessCapabilities(deps: McpDependencies): ServerCapabilities {
  const capabilities = serverCapabilities(deps.features);
  const resources = capabilities.resources ? { resources: { ...capabilities.resources, subscribe: false } } : {};
  return { ...capabilities, ...resources, ...(deps.tasks ? tasksServerCapability() : {}) };
}

/** The one stateless endpoint of a server. */
export function statelessEndpoint(deps: McpDependencies): StatelessEndpoint {
  return new StatelessEndpoint(deps, {
    capabilities: statelessCapabilities(deps),
    supportedVersions: STATELESS_REVISIONS,
    ...(deps.requestState ? { requestState: deps.requestState } : {}),
    ...(deps.tasks ? { tasks: true, routes: taskRoutes(deps.tasks) } : {}),
    cacheHints: CACHE_HINTS,
  });
}

/**
 * The subscriptions/listen hub of a server: tool list changes from the registry, task statuses
 * (as tasks/get would show them) when the task service is wired; prompts and resources never
 * change at runtime, so their list_changed filters are not honored (discover says listChanged: false).
 */
export function subscriptionHub(deps: McpDependencies): SubscriptionHub {
  const { toolChanges, tasks } = deps;
  const sources: SubscriptionSources = {
    ...(toolChanges ? { toolsListChanged: toolChanges } : {}),
    ...(tasks ? { tasks: (listener) => tasks.onStatusChange((view) => listener(view.principal, toDetailedTask(view))) } : {}),
  };
  return new SubscriptionHub({
    capabilities: statelessCapabilities(deps),
    serverInfo: { name: deps.settings.name, version: deps.settings.version },
    sources,
  });
}
