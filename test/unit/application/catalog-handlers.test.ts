import { ApplicationError } from '../../../src/application/application.errors.js';
import { CompleteArgumentQuery } from '../../../src/application/completion/complete-argument.query.js';
import { GetPromptQuery } from '../../../src/application/prompts/get-prompt.query.js';
import { ListPromptsQuery } from '../../../src/application/prompts/list-prompts.query.js';
import type { PromptDefinition } from '../../../src/application/prompts/prompt-catalog.js';
import { ListResourcesQuery, ListResourceTemplatesQuery } from '../../../src/application/resources/list-resources.query.js';
import { ReadResourceQuery } from '../../../src/application/resources/read-resource.query.js';
import { ServerResources } from '../../../src/application/resources/server.resources.js';
import { createTestApp } from '../../support/test-app.js';

const CONFIG = { server: { name: 'tfo-mcp-test' }, claude: { api_key: '[redacted]' } };

async function ready(options: Parameters<typeof createTestApp>[0] = {}) {
  const app = createTestApp({ resourceProviders: (health) => [new ServerResources(CONFIG, health)], ...options });
  const sessionId = await app.readySession();
  return { app, sessionId };
}

/** 150 completion values, so the 100-value cap is visible. */
const manyValues: PromptDefinition = {
  prompt: { name: 'many', arguments: [{ name: 'pick', required: false }] },
  render: () => ({ messages: [] }),
  complete: (_, value) => Array.from({ length: 150 }, (_, i) => `${value}${i}`),
};

describe('resources use cases', () => {
  it('ListResources - READY session - lists the server resources', async () => {
    const { app, sessionId } = await ready();

    const page = await app.queries.execute(new ListResourcesQuery(sessionId));

    expect(page.items.map((r) => r.uri)).toEqual(['config://server', 'status://health']);
    expect(page.nextCursor).toBeUndefined();
  });

  it('ListResources - page size 1 - pages with a cursor', async () => {
    const { app, sessionId } = await ready({ settings: { pageSize: 1 } });

    const first = await app.queries.execute(new ListResourcesQuery(sessionId));
    const second = await app.queries.execute(new ListResourcesQuery(sessionId, first.nextCursor));

    expect(first.items.map((r) => r.uri)).toEqual(['config://server']);
    expect(second).toEqual({ items: [expect.objectContaining({ uri: 'status://health' })] });
  });

  it('ListResourceTemplates - no provider has templates - empty page', async () => {
    const { app, sessionId } = await ready();
    await expect(app.queries.execute(new ListResourceTemplatesQuery(sessionId))).resolves.toEqual({ items: [] });
  });

  it('ReadResource - config://server - returns the redacted config as JSON text', async () => {
    const { app, sessionId } = await ready();

    const { contents } = await app.queries.execute(new ReadResourceQuery(sessionId, 'config://server'));

    expect(contents).toHaveLength(1);
    expect(contents[0]).toMatchObject({ uri: 'config://server', mimeType: 'application/json' });
    expect(JSON.parse((contents[0] as { text: string }).text)).toEqual(CONFIG);
  });

  it('ReadResource - status://health - returns the health report through the query bus', async () => {
    const { app, sessionId } = await ready();

    const { contents } = await app.queries.execute(new ReadResourceQuery(sessionId, 'status://health'));

    const report = JSON.parse((contents[0] as { text: string }).text) as { status: string; sessions: Record<string, number>; name: string };
    expect(report.status).toBe('up');
    expect(report.name).toBe('tfo-mcp-test');
    expect(report.sessions.READY).toBe(1);
  });

  it('ReadResource - unknown URI - rejects with resource.not_found naming it', async () => {
    const { app, sessionId } = await ready();

    const attempt = app.queries.execute(new ReadResourceQuery(sessionId, 'config://nope'));

    await expect(attempt).rejects.toBeInstanceOf(ApplicationError);
    await expect(attempt).rejects.toMatchObject({ code: 'resource.not_found', message: 'Resource not found: config://nope' });
  });

  it.each([
    ['ListResources', (id: string) => new ListResourcesQuery(id)],
    ['ListResourceTemplates', (id: string) => new ListResourceTemplatesQuery(id)],
    ['ReadResource', (id: string) => new ReadResourceQuery(id, 'config://server')],
  ])('%s - session not initialized - rejects with session.not_operational', async (_, query) => {
    const app = createTestApp();
    const id = await app.openSession();
    await expect(app.queries.execute(query(id))).rejects.toMatchObject({ code: 'session.not_operational' });
  });
});

describe('prompts use cases', () => {
  it('ListPrompts - lists the code prompts with their arguments', async () => {
    const { app, sessionId } = await ready();

    const page = await app.queries.execute(new ListPromptsQuery(sessionId));

    expect(page.items.map((p) => p.name)).toEqual(['code_review', 'explain_code', 'debug_help']);
    expect(page.items[0]?.arguments).toContainEqual(expect.objectContaining({ name: 'code', required: true }));
  });

  it('GetPrompt - required argument given - renders the prompt', async () => {
    const { app, sessionId } = await ready();

    const result = await app.queries.execute(new GetPromptQuery(sessionId, 'code_review', { code: 'let x = 1', language: 'typescript' }));

    expect(result.messages).toHaveLength(1);
    expect(result.messages[0]?.role).toBe('user');
    const content = result.messages[0]?.content;
    expect(content?.type).toBe('text');
    expect(content?.type === 'text' ? content.text : '').toContain('let x = 1');
  });

  it.each([
    ['absent', {}],
    ['empty', { code: '' }],
    ['blank', { code: '  \n ' }],
  ])('GetPrompt - required argument %s - rejects with params.invalid naming it', async (_, args) => {
    const { app, sessionId } = await ready();

    const attempt = app.queries.execute(new GetPromptQuery(sessionId, 'code_review', args));

    await expect(attempt).rejects.toMatchObject({ code: 'params.invalid' });
    await expect(attempt).rejects.toThrow(/requires argument\(s\): code/);
  });

  it('GetPrompt - unknown argument - rejects with params.invalid naming it and the known ones', async () => {
    const { app, sessionId } = await ready();

    const attempt = app.queries.execute(new GetPromptQuery(sessionId, 'code_review', { code: 'x', colour: 'red' }));

    await expect(attempt).rejects.toMatchObject({ code: 'params.invalid' });
    await expect(attempt).rejects.toThrow(/colour.*it takes code, language, focus/);
  });

  it('GetPrompt - unknown prompt - rejects with prompt.not_found', async () => {
    const { app, sessionId } = await ready();

    const attempt = app.queries.execute(new GetPromptQuery(sessionId, 'write_poem', {}));

    await expect(attempt).rejects.toBeInstanceOf(ApplicationError);
    await expect(attempt).rejects.toMatchObject({ code: 'prompt.not_found', message: 'Prompt not found: write_poem' });
  });

  it('GetPrompt / ListPrompts - session not initialized - reject with session.not_operational', async () => {
    const app = createTestApp();
    const id = await app.openSession();

    await expect(app.queries.execute(new ListPromptsQuery(id))).rejects.toMatchObject({ code: 'session.not_operational' });
    await expect(app.queries.execute(new GetPromptQuery(id, 'code_review', { code: 'x' }))).rejects.toMatchObject({ code: 'session.not_operational' });
  });
});

describe('completion use case', () => {
  it('prompt argument - returns the values that start with the typed prefix', async () => {
    const { app, sessionId } = await ready();

    const result = await app.queries.execute(new CompleteArgumentQuery(sessionId, { type: 'ref/prompt', name: 'code_review' }, 'language', 'ja'));

    expect(result).toEqual({ values: ['java', 'javascript'], total: 2, hasMore: false });
  });

  it('prompt argument without completions - empty result', async () => {
    const { app, sessionId } = await ready();

    await expect(app.queries.execute(new CompleteArgumentQuery(sessionId, { type: 'ref/prompt', name: 'code_review' }, 'code', 'x'))).resolves.toEqual({
      values: [],
      total: 0,
      hasMore: false,
    });
  });

  it('more than 100 candidates - returns 100, the total and hasMore', async () => {
    const { app, sessionId } = await ready({ prompts: [manyValues] });

    const result = await app.queries.execute(new CompleteArgumentQuery(sessionId, { type: 'ref/prompt', name: 'many' }, 'pick', 'v'));

    expect(result.values).toHaveLength(100);
    expect(result.values[0]).toBe('v0');
    expect(result.total).toBe(150);
    expect(result.hasMore).toBe(true);
  });

  it('unknown prompt - rejects with prompt.not_found', async () => {
    const { app, sessionId } = await ready();
    await expect(app.queries.execute(new CompleteArgumentQuery(sessionId, { type: 'ref/prompt', name: 'nope' }, 'x', ''))).rejects.toMatchObject({
      code: 'prompt.not_found',
    });
  });

  it('argument the prompt does not take - rejects with params.invalid', async () => {
    const { app, sessionId } = await ready();
    await expect(
      app.queries.execute(new CompleteArgumentQuery(sessionId, { type: 'ref/prompt', name: 'code_review' }, 'colour', '')),
    ).rejects.toMatchObject({ code: 'params.invalid' });
  });

  it('resource template nobody offers - rejects with resource.not_found', async () => {
    const { app, sessionId } = await ready();
    await expect(
      app.queries.execute(new CompleteArgumentQuery(sessionId, { type: 'ref/resource', uri: 'db://{table}' }, 'table', 'us')),
    ).rejects.toMatchObject({ code: 'resource.not_found' });
  });

  it('session not initialized - rejects with session.not_operational', async () => {
    const app = createTestApp();
    const id = await app.openSession();
    await expect(
      app.queries.execute(new CompleteArgumentQuery(id, { type: 'ref/prompt', name: 'code_review' }, 'language', '')),
    ).rejects.toMatchObject({ code: 'session.not_operational' });
  });
});
