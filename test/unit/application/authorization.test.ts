import { ApplicationError } from '../../../src/application/application.errors.js';
import { CompleteArgumentQuery } from '../../../src/application/completion/complete-argument.query.js';
import type { RequestOrigin } from '../../../src/application/origin.js';
import { GetPromptQuery } from '../../../src/application/prompts/get-prompt.query.js';
import { ListPromptsQuery } from '../../../src/application/prompts/list-prompts.query.js';
import { ListResourcesQuery, ListResourceTemplatesQuery } from '../../../src/application/resources/list-resources.query.js';
import { ReadResourceQuery } from '../../../src/application/resources/read-resource.query.js';
import type { ResourceProvider } from '../../../src/application/resources/resource-catalog.js';
import { WatchResourceCommand } from '../../../src/application/resources/watch-resource.command.js';
import { ExecuteToolCommand, isToolCallTask, type ToolCallResult } from '../../../src/application/tools/execute-tool.command.js';
import { ListToolsQuery } from '../../../src/application/tools/list-tools.query.js';
import { RegisterToolCommand } from '../../../src/application/tools/register-tool.command.js';
import type { ToolContext } from '../../../src/application/tools/tool-definition.js';
import { Grants } from '../../../src/domain/auth/grants.js';
import { localPrincipal, type Principal } from '../../../src/domain/auth/principal.js';
import type { Requester } from '../../../src/application/ports/client-requests.js';
import { textOutput, toolContext, toolDefinition } from '../../support/builders.js';
import { createTestApp, type TestApp } from '../../support/test-app.js';

const TRACE = { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' };

function principal(id: string, grants: readonly string[], tenant?: string): Principal {
  return Object.freeze({ id, kind: 'api-key' as const, grants: Grants.parse(grants), ...(tenant ? { tenant } : {}) });
}

/** Two resources and two templates under two schemes, with reads, watches and completions recorded. */
class RecordingProvider implements ResourceProvider {
  readonly asked: string[] = [];
  resources() {
    return [
      { uri: 'file:///srv/readme.md', name: 'readme' },
      { uri: 'memo://today', name: 'memo' },
    ];
  }
  templates() {
    return [
      { uriTemplate: 'file:///{path}', name: 'file' },
      { uriTemplate: 'memo://{day}', name: 'memo-day' },
    ];
  }
  async read(uri: string, requester?: Requester) {
    this.asked.push(`read ${uri} as ${requester?.caller?.id}`);
    return uri === 'file:///srv/readme.md' ? [{ uri, text: 'hello' }] : undefined;
  }
  async watch(uri: string) {
    this.asked.push(`watch ${uri}`);
    return () => undefined;
  }
  async complete(uriTemplate: string) {
    this.asked.push(`complete ${uriTemplate}`);
    return ['a', 'b'];
  }
}

interface World {
  readonly app: TestApp;
  readonly provider: RecordingProvider;
  readonly runs: ToolContext[];
}

async function world(): Promise<World> {
  const provider = new RecordingProvider();
  const app = createTestApp({ resourceProviders: () => [provider], settings: { pageSize: 2 } });
  const runs: ToolContext[] = [];
  for (const name of ['echo', 'write_note', 'zap', 'yank']) {
    await app.commands.execute(
      new RegisterToolCommand(
        toolDefinition(name, async ({ message }, context) => {
          runs.push(context);
          return textOutput(message);
        }),
      ),
    );
  }
  return { app, provider, runs };
}

async function call(app: TestApp, origin: string | RequestOrigin, tool: string): Promise<ToolCallResult> {
  const scope = typeof origin === 'string' ? origin : `request:${origin.requestId}`;
  const outcome = await app.commands.execute(new ExecuteToolCommand(origin, tool, { message: 'hi' }, toolContext(scope).context));
  if (isToolCallTask(outcome)) throw new Error('unexpected task');
  return outcome;
}

async function rejection(promise: Promise<unknown>): Promise<ApplicationError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ApplicationError);
  return error as ApplicationError;
}

async function deniedEvents(app: TestApp) {
  return (await app.takeEvents()).filter((event) => event.type === 'authorization.denied');
}

describe('catalog lists as the caller may use them', () => {
  it('tools/list - only granted tools, paginated as the caller\'s own list', async () => {
    const { app } = await world();
    const session = await app.readySession(undefined, principal('key:ci', ['tools:yank', 'tools:zap', 'tools:echo']));

    const page1 = await app.queries.execute(new ListToolsQuery(session));
    const page2 = await app.queries.execute(new ListToolsQuery(session, page1.nextCursor));

    expect(page1.items.map((t) => t.name)).toEqual(['echo', 'zap']);
    expect(page2.items.map((t) => t.name)).toEqual(['yank']);
    expect(page2.nextCursor).toBeUndefined();
  });

  it('tools/list - tools:* and the anonymous caller see every tool; no grant at all sees none', async () => {
    const { app } = await world();
    const everything = await app.readySession(undefined, principal('key:all', ['tools:*']));
    const anonymous = await app.readySession();
    const nothing = await app.readySession(undefined, principal('key:none', ['prompts:*']));

    const names = async (session: string) => {
      const items = [];
      let cursor: string | undefined;
      do {
        const page = await app.queries.execute(new ListToolsQuery(session, cursor));
        items.push(...page.items);
        cursor = page.nextCursor;
      } while (cursor !== undefined);
      return items.map((t) => t.name);
    };

    expect(await names(everything)).toEqual(['echo', 'write_note', 'zap', 'yank']);
    expect(await names(anonymous)).toEqual(['echo', 'write_note', 'zap', 'yank']);
    expect(await names(nothing)).toEqual([]);
  });

  it('prompts/list, resources/list and resources/templates/list - by prompt name and by URI scheme', async () => {
    const { app } = await world();
    const session = await app.readySession(undefined, principal('key:ci', ['prompts:debug_help', 'resources:memo']));

    const prompts = await app.queries.execute(new ListPromptsQuery(session));
    const resources = await app.queries.execute(new ListResourcesQuery(session));
    const templates = await app.queries.execute(new ListResourceTemplatesQuery(session));

    expect(prompts.items.map((p) => p.name)).toEqual(['debug_help']);
    expect(resources.items.map((r) => r.uri)).toEqual(['memo://today']);
    expect(templates.items.map((t) => t.uriTemplate)).toEqual(['memo://{day}']);
  });

  it('a stateless request - its caller\'s grants; without a caller, everything (the anonymous caller)', async () => {
    const { app } = await world();
    const caller = principal('key:ci', ['tools:write_note']);

    const limited = await app.queries.execute(new ListToolsQuery({ principal: caller.id, caller, requestId: 'r-1', protocolVersion: '2026-07-28' }));
    const anonymous = await app.queries.execute(new ListToolsQuery({ principal: 'anonymous', requestId: 'r-2', protocolVersion: '2026-07-28' }));

    expect(limited.items.map((t) => t.name)).toEqual(['write_note']);
    expect(anonymous.items.map((t) => t.name)).toEqual(['echo', 'write_note']);
  });
});

describe('tools/call outside the grants', () => {
  it('refused with the not permitted envelope naming the grant; the tool does not run, no execution is recorded, authorization.denied is', async () => {
    const { app, runs } = await world();
    const caller = principal('key:ci', ['tools:echo'], 'acme');
    const session = await app.readySession(undefined, caller);
    await app.takeEvents();

    const result = await call(app, session, 'write_note');

    expect(result.isError).toBe(true);
    expect(result.structuredContent).toEqual({
      error: 'not permitted',
      reason: 'this caller lacks the grant tools:write_note, which calling write_note needs',
      suggested_actions: ['call a tool this caller is granted (tools/list shows only those)', 'ask the server operator for the grant tools:write_note'],
      retryable: false,
      context: { missing_grant: 'tools:write_note' },
    });
    expect(runs).toHaveLength(0);
    const events = await app.takeEvents();
    expect(events.map((e) => e.type)).toEqual(['authorization.denied']);
    expect(events[0]).toMatchObject({
      aggregateType: 'authorization',
      aggregateId: 'key:ci',
      sessionId: session,
      actor: { id: 'key:ci', kind: 'api-key', tenant: 'acme' },
      data: { principal: 'key:ci', principalKind: 'api-key', method: 'tools/call', target: 'write_note', asked: 'tools/call write_note', missingGrant: 'tools:write_note' },
    });
  });

  it('a tool that does not exist - the same refusal, so a caller cannot probe which tools exist', async () => {
    const { app } = await world();
    const session = await app.readySession(undefined, principal('key:ci', ['tools:echo']));

    const existing = await call(app, session, 'write_note');
    const missing = await call(app, session, 'no_such_tool');

    expect(missing.structuredContent).toEqual(JSON.parse(JSON.stringify(existing.structuredContent).replaceAll('write_note', 'no_such_tool')));
  });

  it('a granted tool - runs, with the caller and the request\'s Origin on its context; its events carry the actor', async () => {
    const { app, runs } = await world();
    const caller = principal('key:ci', ['tools:echo']);
    const session = await app.readySession(undefined, caller);
    await app.takeEvents();

    const result = await call(app, session, 'echo');

    expect(result.isError).toBeUndefined();
    expect(runs[0].caller?.id).toBe('key:ci');
    expect(runs[0].origin).toBe(session);
    expect((await app.takeEvents()).map((e) => [e.type, e.actor, (e.data as { principal?: string }).principal])).toEqual([['tool.executed', { id: 'key:ci', kind: 'api-key' }, 'key:ci']]);
  });

  it('a stateless request - its caller decides; the event has no session and carries the request\'s trace', async () => {
    const { app, runs } = await world();
    const caller = principal('oauth:svc', ['tools:echo']);
    const origin: RequestOrigin = { principal: caller.id, caller, requestId: 'r-7', protocolVersion: '2026-07-28', trace: TRACE };

    const denied = await call(app, origin, 'zap');
    await call(app, origin, 'echo');

    expect(denied.structuredContent).toMatchObject({ error: 'not permitted', context: { missing_grant: 'tools:zap' } });
    expect(runs.map((c) => [c.caller, c.origin])).toEqual([[caller, origin]]);
    const [event] = await deniedEvents(app);
    expect('sessionId' in event).toBe(false);
    expect(event).toMatchObject({ trace: TRACE, actor: { id: 'oauth:svc', kind: 'api-key' }, data: { target: 'zap' } });
  });

  it('the event cannot be stored - the refusal is still answered, and the failure logged', async () => {
    const { app, runs } = await world();
    const session = await app.readySession(undefined, principal('key:ci', []));
    app.outbox.append = async () => {
      throw new Error('outbox down');
    };

    const result = await call(app, session, 'echo');

    expect(result.structuredContent).toMatchObject({ error: 'not permitted' });
    expect(runs).toHaveLength(0);
    expect(app.logger.lines.some((line) => line.level === 'error' && line.message === 'an authorization.denied event could not be stored')).toBe(true);
  });
});

describe('resources, prompts and completion outside the grants', () => {
  it('resources/read - "not found" naming the grant, before any provider is asked; the event names the URI', async () => {
    const { app, provider } = await world();
    const session = await app.readySession(undefined, principal('key:ci', ['resources:memo']));
    await app.takeEvents();

    const error = await rejection(app.queries.execute(new ReadResourceQuery(session, 'file:///srv/readme.md')));

    expect(error.code).toBe('resource.not_found');
    expect(error.message).toBe('Resource not found: file:///srv/readme.md (this caller lacks the grant resources:file)');
    expect(error.data).toEqual({ uri: 'file:///srv/readme.md', missingGrant: 'resources:file' });
    expect(provider.asked).toEqual([]);
    expect((await deniedEvents(app)).map((e) => e.data)).toEqual([
      { principal: 'key:ci', principalKind: 'api-key', method: 'resources/read', target: 'file:///srv/readme.md', asked: 'resources/read file:///srv/readme.md', missingGrant: 'resources:file' },
    ]);
  });

  it('resources/read granted - the provider sees the caller; an unknown URI is plain not found with no event', async () => {
    const { app, provider } = await world();
    const session = await app.readySession(undefined, principal('key:ci', ['resources:file']));
    await app.takeEvents();

    await expect(app.queries.execute(new ReadResourceQuery(session, 'file:///srv/readme.md'))).resolves.toEqual({ contents: [{ uri: 'file:///srv/readme.md', text: 'hello' }] });
    const missing = await rejection(app.queries.execute(new ReadResourceQuery(session, 'file:///srv/nothing')));

    expect(provider.asked).toEqual(['read file:///srv/readme.md as key:ci', 'read file:///srv/nothing as key:ci']);
    expect(missing.data).toEqual({ uri: 'file:///srv/nothing' });
    expect(await deniedEvents(app)).toEqual([]);
  });

  it('without auth - a URI without a scheme is not found as before, and nothing is recorded', async () => {
    const { app } = await world();
    const session = await app.readySession();
    await app.takeEvents();

    const error = await rejection(app.queries.execute(new ReadResourceQuery(session, 'no-scheme-here')));

    expect(error.message).toBe('Resource not found: no-scheme-here');
    expect(await app.takeEvents()).toEqual([]);
  });

  it('prompts/get - "not found" naming the grant, for an existing and an unknown prompt alike', async () => {
    const { app } = await world();
    const session = await app.readySession(undefined, principal('key:ci', ['prompts:debug_help']));
    await app.takeEvents();

    const existing = await rejection(app.queries.execute(new GetPromptQuery(session, 'code_review', { code: 'x' })));
    const unknown = await rejection(app.queries.execute(new GetPromptQuery(session, 'nope', {})));

    expect([existing.code, existing.message, existing.data]).toEqual(['prompt.not_found', 'Prompt not found: code_review (this caller lacks the grant prompts:code_review)', { missingGrant: 'prompts:code_review' }]);
    expect(unknown.message).toBe('Prompt not found: nope (this caller lacks the grant prompts:nope)');
    expect((await deniedEvents(app)).map((e) => (e.data as { asked: string }).asked)).toEqual(['prompts/get code_review', 'prompts/get nope']);
  });

  it('completion/complete - a prompt\'s or a template\'s argument only when granted', async () => {
    const { app, provider } = await world();
    const session = await app.readySession(undefined, principal('key:ci', ['prompts:debug_help', 'resources:memo']));
    await app.takeEvents();

    const prompt = await rejection(app.queries.execute(new CompleteArgumentQuery(session, { type: 'ref/prompt', name: 'code_review' }, 'language', 'py')));
    const template = await rejection(app.queries.execute(new CompleteArgumentQuery(session, { type: 'ref/resource', uri: 'file:///{path}' }, 'path', 's')));
    const granted = await app.queries.execute(new CompleteArgumentQuery(session, { type: 'ref/resource', uri: 'memo://{day}' }, 'day', ''));

    expect([prompt.code, template.code]).toEqual(['prompt.not_found', 'resource.not_found']);
    expect(granted.values).toEqual(['a', 'b']);
    expect(provider.asked).toEqual(['complete memo://{day}']);
    expect((await deniedEvents(app)).map((e) => (e.data as { asked: string }).asked)).toEqual(['completion/complete code_review', 'completion/complete file:///{path}']);
  });

  it('resources/subscribe - refused as not found for a scheme the session\'s principal lacks; granted ones watch', async () => {
    const { app, provider } = await world();
    const session = await app.readySession(undefined, localPrincipal('alice', Grants.parse(['resources:memo'])));
    await app.takeEvents();

    const error = await rejection(app.commands.execute(new WatchResourceCommand(session, 'file:///srv/readme.md', () => undefined)));
    await app.commands.execute(new WatchResourceCommand(session, 'memo://today', () => undefined));

    expect(error.code).toBe('resource.not_found');
    expect(provider.asked).toEqual(['watch memo://today']);
    expect(await deniedEvents(app)).toEqual([expect.objectContaining({ actor: { id: 'local:alice', kind: 'local-stdio' }, data: expect.objectContaining({ method: 'resources/subscribe' }) })]);
  });
});
