import type { RequestOrigin } from '../../../../src/application/origin.js';
import type { RateLimiter } from '../../../../src/application/ports/rate-limiter.js';
import { ListConversationsQuery } from '../../../../src/application/conversations/list-conversations.query.js';
import { ReadResourceQuery } from '../../../../src/application/resources/read-resource.query.js';
import { ConversationTools } from '../../../../src/application/tools/conversation.tools.js';
import { ExecuteToolCommand, isToolCallTask, type ToolCallResult } from '../../../../src/application/tools/execute-tool.command.js';
import { RegisterToolCommand } from '../../../../src/application/tools/register-tool.command.js';
import type { ToolContext } from '../../../../src/application/tools/tool-definition.js';
import { Grants } from '../../../../src/domain/auth/grants.js';
import type { Principal } from '../../../../src/domain/auth/principal.js';
import { rateLimitsSchema } from '../../../../src/infrastructure/config/rate-limits.schema.js';
import { createRateLimiter } from '../../../../src/infrastructure/rate-limit/create-rate-limiter.js';
import { RecordingLogger, textOutput, toolContext, toolDefinition } from '../../../support/builders.js';
import { answer, conversationHarness, ScriptedLlm, toolCall, type ConversationHarness } from './conversation-harness.js';

/**
 * Conversations under issue 14's principals, through ExecuteTool as a client's tools/call runs
 * them: owned by the caller's id, and the agentic loop's own tool calls made as the caller — its
 * grants, its limits, its Origin (trace included) and its actor on every event.
 */
const TRACE = { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' };

function principal(id: string, grants: readonly string[]): Principal {
  return Object.freeze({ id, kind: 'oauth' as const, grants: Grants.parse(grants) });
}

function stateless(caller: Principal, requestId: string): RequestOrigin {
  return { principal: caller.id, caller, requestId, protocolVersion: '2026-07-28', trace: TRACE };
}

async function harness(steps: ConstructorParameters<typeof ScriptedLlm>[0], rateLimiter?: RateLimiter) {
  const seen: ToolContext[] = [];
  const probe = toolDefinition('probe', async ({ message }, context) => {
    seen.push(context);
    return textOutput(`probed ${message}`);
  });
  const llm = new ScriptedLlm(steps);
  const app = await conversationHarness({ llm, tools: [probe], ...(rateLimiter ? { rateLimiter } : {}) });
  const family = new ConversationTools({ commands: app.commands, queries: app.queries, owners: app.owners, settings: app.settings });
  for (const tool of family.tools()) await app.commands.execute(new RegisterToolCommand(tool));
  await app.takeEvents();
  return { app, llm, seen };
}

async function chat(app: ConversationHarness, origin: RequestOrigin | string, args: Record<string, unknown>): Promise<ToolCallResult> {
  const scope = typeof origin === 'string' ? origin : `request:${origin.requestId}`;
  const outcome = await app.commands.execute(new ExecuteToolCommand(origin, 'claude_conversation', args, toolContext(scope).context));
  if (isToolCallTask(outcome)) throw new Error('unexpected task');
  return outcome;
}

describe('conversations and principals', () => {
  it('the loop\'s tool calls run as the caller: its Origin with the trace, its principal; every event carries its actor', async () => {
    const caller = principal('oauth:ana', ['tools:claude_conversation', 'tools:probe']);
    const origin = stateless(caller, 'r-1');
    const { app, seen } = await harness([toolCall('probe', { message: 'disk' }), answer('all good')]);

    const result = await chat(app, origin, { message: 'check', tools: ['probe'] });

    expect(result.isError).toBeUndefined();
    expect(seen).toHaveLength(1);
    expect(seen[0].caller).toBe(caller);
    expect(seen[0].origin).toBe(origin);
    const events = await app.takeEvents();
    const actor = { id: 'oauth:ana', kind: 'oauth' };
    expect(events.filter((e) => e.type === 'tool.executed').map((e) => [(e.data as { tool: string }).tool, e.actor, e.trace])).toEqual([
      ['probe', actor, TRACE],
      ['claude_conversation', actor, TRACE],
    ]);
    expect(events.filter((e) => e.type.startsWith('conversation.')).every((e) => e.actor?.id === 'oauth:ana')).toBe(true);
    const stored = await app.conversations.find((result.structuredContent as { conversation_id: string }).conversation_id);
    expect(stored?.ownerId).toBe('oauth:ana');
  });

  it('a tool the caller may not call - refused before the model is asked, naming the grant, and recorded', async () => {
    const caller = principal('oauth:ana', ['tools:claude_conversation']);
    const { app, llm, seen } = await harness([answer('never')]);

    const result = await chat(app, stateless(caller, 'r-2'), { message: 'check', tools: ['probe'] });

    expect(result.isError).toBe(true);
    expect(result.structuredContent).toMatchObject({ error: 'not permitted', retryable: false, context: { missing_grants: ['tools:probe'] } });
    expect(llm.requests).toHaveLength(0);
    expect(seen).toHaveLength(0);
    expect((await app.takeEvents()).filter((e) => e.type === 'authorization.denied').map((e) => e.data)).toEqual([
      expect.objectContaining({ principal: 'oauth:ana', asked: 'tools/call probe', missingGrant: 'tools:probe' }),
    ]);
  });

  it('max_concurrent 1 - the conversation holds the caller\'s slot, and its own tool calls still run (they take none)', async () => {
    const limiter = createRateLimiter(rateLimitsSchema.parse({ enabled: true, default: { max_concurrent: 1 } }), { logger: new RecordingLogger() });
    const caller = principal('oauth:ana', ['tools:*']);
    const { app, seen } = await harness([toolCall('probe', { message: 'a' }), answer('done'), answer('again')], limiter);

    const result = await chat(app, stateless(caller, 'r-3'), { message: 'go', tools: ['probe'] });
    const after = await chat(app, stateless(caller, 'r-4'), { message: 'again' });

    expect(result.isError).toBeUndefined();
    expect(seen).toHaveLength(1);
    expect(after.isError).toBeUndefined();
  });

  it('owned by the principal, not the connection: the same caller lists and reads it from another request; another caller cannot see it', async () => {
    const ana = principal('oauth:ana', ['tools:*', 'resources:*']);
    const bob = principal('oauth:bob', ['tools:*', 'resources:*']);
    const { app } = await harness([answer('hi ana')]);
    const session = await app.readySession('http', ana);

    const started = await chat(app, session, { message: 'hello' });
    const id = (started.structuredContent as { conversation_id: string }).conversation_id;

    const mine = await app.queries.execute(new ListConversationsQuery('oauth:ana', 10));
    const read = await app.queries.execute(new ReadResourceQuery(stateless(ana, 'r-5'), `conversation://${id}`));
    const theirs = app.queries.execute(new ReadResourceQuery(stateless(bob, 'r-6'), `conversation://${id}`));

    expect(mine.conversations.map((c) => c.id)).toEqual([id]);
    expect(JSON.parse((read.contents[0] as { text: string }).text)).toMatchObject({ id });
    await expect(theirs).rejects.toMatchObject({ code: 'resource.not_found' });
  });
});
