import { CompleteArgumentQuery } from '../../application/completion/complete-argument.query.js';
import { GetPromptQuery } from '../../application/prompts/get-prompt.query.js';
import { ListPromptsQuery } from '../../application/prompts/list-prompts.query.js';
import { ListResourceTemplatesQuery, ListResourcesQuery } from '../../application/resources/list-resources.query.js';
import { ReadResourceQuery } from '../../application/resources/read-resource.query.js';
import { WatchResourceCommand } from '../../application/resources/watch-resource.command.js';
import { ExecuteToolCommand } from '../../application/tools/execute-tool.command.js';
import { ListToolsQuery } from '../../application/tools/list-tools.query.js';
import type { SessionChannel } from './session-channel.js';
import { CallToolParams, CompleteParams, GetPromptParams, PaginatedParams, ReadResourceParams } from './params.js';
import { RPC, rpcError } from './error-mapping.js';
import { page, route } from './route.js';
import { clientRequests, toolContext } from './tool-context.js';

const MAX_SUBSCRIPTIONS = 100;

/** tools/*, resources/*, prompts/*, completion/complete: each a query or command on the bus. */
export function registerCatalogRoutes(connection: SessionChannel): void {
  const { commands, queries, features } = connection.deps;
  const session = () => connection.sessionId;

  if (features.tools) {
    route(connection, 'tools/list', PaginatedParams, async (params) => {
      const result = await queries.execute(new ListToolsQuery(session(), params.cursor));
      return page(result.items as never[], result.nextCursor, 'tools');
    });
    route(connection, 'tools/call', CallToolParams, async (params, extra) => {
      const context = toolContext(connection, params.name, extra);
      // A caller that asked for progress hears at least that the tool started.
      context.progress(0, undefined, `${params.name} started`);
      const result = await commands.execute(new ExecuteToolCommand(session(), params.name, params.arguments, context));
      if (result.isError) context.log('warning', { message: `tool ${params.name} failed`, error: result.structuredContent?.['error'] });
      else context.log('debug', { message: `tool ${params.name} succeeded` });
      return result as unknown as Record<string, unknown>;
    });
  }

  if (features.resources) {
    route(connection, 'resources/list', PaginatedParams, async (params) => {
      const result = await queries.execute(new ListResourcesQuery(session(), params.cursor));
      return page(result.items as never[], result.nextCursor, 'resources');
    });
    route(connection, 'resources/templates/list', PaginatedParams, async (params) => {
      const result = await queries.execute(new ListResourceTemplatesQuery(session(), params.cursor));
      return page(result.items as never[], result.nextCursor, 'resourceTemplates');
    });
    route(connection, 'resources/read', ReadResourceParams, async (params, extra) => {
      const answered = (task: () => void) => extra.afterAnswer(task);
      const result = await queries.execute(new ReadResourceQuery(session(), params.uri, clientRequests(connection, extra), answered));
      return result as unknown as Record<string, unknown>;
    });
    route(connection, 'resources/subscribe', ReadResourceParams, async ({ uri }, extra) => {
      if (connection.subscriptions.has(uri)) return {};
      if (connection.subscriptions.size >= MAX_SUBSCRIPTIONS) {
        throw rpcError(RPC.InvalidParams, `at most ${MAX_SUBSCRIPTIONS} subscriptions per session; unsubscribe from one first`);
      }
      const notify = () => void connection.dispatcher.notify('notifications/resources/updated', { uri }).catch(() => undefined);
      const { stop } = await commands.execute(new WatchResourceCommand(session(), uri, notify, clientRequests(connection, extra)));
      connection.subscriptions.set(uri, stop);
      return {};
    });
    route(connection, 'resources/unsubscribe', ReadResourceParams, async ({ uri }) => {
      connection.subscriptions.get(uri)?.();
      connection.subscriptions.delete(uri);
      return {};
    });
  }

  if (features.prompts) {
    route(connection, 'prompts/list', PaginatedParams, async (params) => {
      const result = await queries.execute(new ListPromptsQuery(session(), params.cursor));
      return page(result.items as never[], result.nextCursor, 'prompts');
    });
    route(connection, 'prompts/get', GetPromptParams, async (params) => {
      const result = await queries.execute(new GetPromptQuery(session(), params.name, params.arguments ?? {}));
      return result as unknown as Record<string, unknown>;
    });
  }

  if (features.completions) {
    route(connection, 'completion/complete', CompleteParams, async (params) => {
      const ref = params.ref.type === 'ref/prompt' ? { type: params.ref.type, name: params.ref.name } : { type: params.ref.type, uri: params.ref.uri };
      const completion = await queries.execute(new CompleteArgumentQuery(session(), ref, params.argument.name, params.argument.value));
      return { completion };
    });
  }
}
