import type { ZodType } from 'zod';
import type { Query } from '../../application/bus/message-bus.js';
import { CompleteArgumentQuery } from '../../application/completion/complete-argument.query.js';
import type { Origin } from '../../application/origin.js';
import type { ClientRequests } from '../../application/ports/client-requests.js';
import { GetPromptQuery } from '../../application/prompts/get-prompt.query.js';
import { ListPromptsQuery } from '../../application/prompts/list-prompts.query.js';
import { ListResourceTemplatesQuery, ListResourcesQuery } from '../../application/resources/list-resources.query.js';
import { ReadResourceQuery } from '../../application/resources/read-resource.query.js';
import { ExecuteToolCommand, isToolCallTask, type TaskHandles } from '../../application/tools/execute-tool.command.js';
import type { ToolContext } from '../../application/tools/tool-definition.js';
import { ListToolsQuery } from '../../application/tools/list-tools.query.js';
import { CallToolParams, CompleteParams, GetPromptParams, PaginatedParams, ReadResourceParams } from './params.js';
import { page } from './route.js';
import { toCreateTaskResult } from './task-wire.js';
import type { McpDependencies } from './session-channel.js';

type Result = Record<string, unknown>;

/**
 * One request as the catalog handlers see it, whichever revision it came on: a session's request
 * (2025 revisions, stdio) or a stateless 2026-07-28 request.
 */
export interface CallSite {
  readonly origin: Origin;
  toolContext(tool: string): ToolContext;
  client(): ClientRequests;
  afterAnswer(task: () => void): void;
  /** Whether this request could take a task handle (2026-07-28 only; absent on sessions). */
  readonly tasks?: TaskHandles;
}

export interface CatalogHandler<P = never> {
  readonly params: ZodType<P>;
  run(params: P, site: CallSite): Promise<Result>;
}

function handler<P>(params: ZodType<P>, run: (params: P, site: CallSite) => Promise<Result>): CatalogHandler<P> {
  return { params, run };
}

const tables = new WeakMap<McpDependencies, ReadonlyMap<string, CatalogHandler<unknown>>>();

/**
 * tools/*, resources/* (but subscriptions, which are per session), prompts/*, completion/complete:
 * each a query or command on the bus. Built once per server and shared by every session and
 * every stateless request; the features switched off are absent (so: -32601).
 */
export function catalogHandlers(deps: McpDependencies): ReadonlyMap<string, CatalogHandler<unknown>> {
  const known = tables.get(deps);
  if (known) return known;
  const { commands, queries, features } = deps;
  const table = new Map<string, CatalogHandler<never>>();
  const add = <P>(method: string, h: CatalogHandler<P>) => table.set(method, h as unknown as CatalogHandler<never>);
  /** A paginated list: one query, its page under `key`. */
  const list = (method: string, key: string, ListQuery: new (origin: Origin, cursor?: string) => Query<{ items: readonly unknown[]; nextCursor?: string }>) =>
    add(
      method,
      handler(PaginatedParams, async (params, site) => {
        const result = await queries.execute(new ListQuery(site.origin, params.cursor));
        return page(result.items as never[], result.nextCursor, key);
      }),
    );

  if (features.tools) {
    list('tools/list', 'tools', ListToolsQuery);
    add(
      'tools/call',
      handler(CallToolParams, async (params, site) => {
        const context = site.toolContext(params.name);
        // A caller that asked for progress hears at least that the tool started.
        context.progress(0, undefined, `${params.name} started`);
        const outcome = await commands.execute(new ExecuteToolCommand(site.origin, params.name, params.arguments, context, site.tasks));
        if (isToolCallTask(outcome)) return toCreateTaskResult(outcome.task) as unknown as Result;
        if (outcome.isError) context.log('warning', { message: `tool ${params.name} failed`, error: outcome.structuredContent?.['error'] });
        else context.log('debug', { message: `tool ${params.name} succeeded` });
        return outcome as unknown as Result;
      }),
    );
  }

  if (features.resources) {
    list('resources/list', 'resources', ListResourcesQuery);
    list('resources/templates/list', 'resourceTemplates', ListResourceTemplatesQuery);
    add(
      'resources/read',
      handler(ReadResourceParams, async (params, site) => {
        const answered = (task: () => void) => site.afterAnswer(task);
        const result = await queries.execute(new ReadResourceQuery(site.origin, params.uri, site.client(), answered));
        return result as unknown as Result;
      }),
    );
  }

  if (features.prompts) {
    list('prompts/list', 'prompts', ListPromptsQuery);
    add(
      'prompts/get',
      handler(GetPromptParams, async (params, site) => {
        const result = await queries.execute(new GetPromptQuery(site.origin, params.name, params.arguments ?? {}, site.client()));
        return result as unknown as Result;
      }),
    );
  }

  if (features.completions) {
    add(
      'completion/complete',
      handler(CompleteParams, async (params, site) => {
        const ref = params.ref.type === 'ref/prompt' ? { type: params.ref.type, name: params.ref.name } : { type: params.ref.type, uri: params.ref.uri };
        const completion = await queries.execute(new CompleteArgumentQuery(site.origin, ref, params.argument.name, params.argument.value));
        return { completion };
      }),
    );
  }
  tables.set(deps, table as ReadonlyMap<string, CatalogHandler<unknown>>);
  return table as ReadonlyMap<string, CatalogHandler<unknown>>;
}
