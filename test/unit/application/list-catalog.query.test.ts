import type { RequestOrigin } from '../../../src/application/origin.js';
import { ListPromptsQuery } from '../../../src/application/prompts/list-prompts.query.js';
import { ListResourcesQuery, ListResourceTemplatesQuery } from '../../../src/application/resources/list-resources.query.js';
import { ListToolsQuery } from '../../../src/application/tools/list-tools.query.js';
import type { ListCatalogQuery } from '../../../src/application/list-catalog.query.js';
import { createTestApp } from '../../support/test-app.js';

type ListQueryClass = new (origin: string | RequestOrigin, cursor?: string) => ListCatalogQuery<unknown>;

/** Every catalog list, with the method its refusals name. */
const LISTS: [string, ListQueryClass][] = [
  ['tools/list', ListToolsQuery],
  ['prompts/list', ListPromptsQuery],
  ['resources/list', ListResourcesQuery],
  ['resources/templates/list', ListResourceTemplatesQuery],
];

const STATELESS: RequestOrigin = { principal: 'anonymous', requestId: 'req-1', protocolVersion: '2026-07-28' };

/** A well-formed cursor (the encoding pagination.ts hands out) for an offset no list reaches. */
const PAST_THE_END = Buffer.from('o:999').toString('base64url');

describe('catalog lists (one handler for tools, prompts, resources and templates)', () => {
  it.each(LISTS)('%s – session not initialized – refused naming that method', async (method, Query) => {
    const app = createTestApp();
    const id = await app.openSession();

    await expect(app.queries.execute(new Query(id))).rejects.toMatchObject({
      code: 'session.not_operational',
      message: `cannot ${method} in state CREATED: send 'initialize' first`,
    });
  });

  it.each(LISTS)('%s – cursor past the end – params.invalid', async (_, Query) => {
    const app = createTestApp();
    const id = await app.readySession();

    await expect(app.queries.execute(new Query(id, PAST_THE_END))).rejects.toMatchObject({
      code: 'params.invalid',
      message: 'invalid cursor: it points past the end of the list',
    });
  });

  it.each(LISTS)('%s – cursor not handed out by the server – params.invalid', async (_, Query) => {
    const app = createTestApp();
    const id = await app.readySession();

    await expect(app.queries.execute(new Query(id, 'bogus'))).rejects.toMatchObject({
      code: 'params.invalid',
      message: 'invalid cursor: pass back a nextCursor value unchanged',
    });
  });

  it('stateless request – no session to check – lists, one page at a time', async () => {
    const app = createTestApp({ settings: { pageSize: 1 } });
    const all = app.prompts.list().map((p) => p.name);
    expect(all.length).toBeGreaterThan(1);

    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await app.queries.execute(new ListPromptsQuery(STATELESS, cursor));
      expect(page.items).toHaveLength(1);
      seen.push(...page.items.map((p) => p.name));
      cursor = page.nextCursor;
    } while (cursor);

    expect(seen).toEqual(all);
  });
});
