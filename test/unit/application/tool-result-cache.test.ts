import { ExecuteToolCommand, type ToolCallResult } from '../../../src/application/tools/execute-tool.command.js';
import { RegisterToolCommand } from '../../../src/application/tools/register-tool.command.js';
import { canonicalJson, ToolResultCache } from '../../../src/application/tools/tool-result-cache.js';
import { Tool } from '../../../src/domain/tool/tool.js';
import { InMemoryCache } from '../../../src/infrastructure/cache/in-memory-cache.js';
import { textOutput, toolContext, toolDefinition } from '../../support/builders.js';
import { FixedClock } from '../../support/fixed-clock.js';
import { createTestApp } from '../../support/test-app.js';

const meta = () => ({ id: 'e', occurredAt: new Date(0) });
const tool = (name: string, annotations: Record<string, boolean>) =>
  Tool.register({ name, description: name, inputSchema: { type: 'object' }, annotations }, meta);

const reader = tool('read_file', { readOnlyHint: true, idempotentHint: true });
const writer = tool('write_file', { readOnlyHint: false, destructiveHint: true });
const clockish = tool('system_info', { readOnlyHint: true, idempotentHint: false });
const result = (text: string) => ({ content: [{ type: 'text', text }] });

describe('ToolResultCache', () => {
  const cacheWith = (ttlMs: number, disabled: string[] = []) =>
    new ToolResultCache(new InMemoryCache({ maxEntries: 100, maxValueBytes: 10_000 }, new FixedClock()), { ttlMs, disabledTools: new Set(disabled) });

  it('cacheable – only read-only AND idempotent tools, not disabled ones, and never with ttl 0', () => {
    expect(cacheWith(1000).cacheable(reader)).toBe(true);
    expect(cacheWith(1000).cacheable(writer)).toBe(false);
    expect(cacheWith(1000).cacheable(clockish)).toBe(false);
    expect(cacheWith(1000, ['read_file']).cacheable(reader)).toBe(false);
    expect(cacheWith(0).cacheable(reader)).toBe(false);
  });

  it('same arguments in another key order – a hit; other arguments – a miss', async () => {
    const cache = cacheWith(60_000);
    await cache.put(reader, { path: 'a', encoding: 'utf8' }, result('A'));
    expect(await cache.get(reader, { encoding: 'utf8', path: 'a' })).toEqual(result('A'));
    expect(await cache.get(reader, { path: 'b', encoding: 'utf8' })).toBeUndefined();
  });

  it('invalidate (a tool with side effects succeeded) – earlier entries are no longer served', async () => {
    const cache = cacheWith(60_000);
    await cache.put(reader, { path: 'a' }, result('old'));
    expect(cache.invalidates(writer)).toBe(true);
    expect(cache.invalidates(reader)).toBe(false);
    await cache.invalidate();
    expect(await cache.get(reader, { path: 'a' })).toBeUndefined();
    await cache.put(reader, { path: 'a' }, result('new'));
    expect(await cache.get(reader, { path: 'a' })).toEqual(result('new'));
  });

  it('canonicalJson – sorts keys at every depth, drops undefined, keeps array order', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, 1], c: undefined, b: null } })).toBe('{"a":{"b":null,"d":[2,1]},"b":1}');
    expect(canonicalJson(undefined)).toBe('null');
  });
});

describe('ExecuteTool with result caching on', () => {
  it('a read-only idempotent tool – second identical call served from the cache; a write in between – runs again', async () => {
    let stored = 'v1';
    let reads = 0;
    const toolResults = new ToolResultCache(new InMemoryCache({ maxEntries: 100, maxValueBytes: 10_000 }, new FixedClock()), { ttlMs: 60_000, disabledTools: new Set() });
    const app = createTestApp({ toolResults });
    await app.commands.execute(
      new RegisterToolCommand(
        toolDefinition('read', async () => textOutput(`${stored} (read ${++reads})`), { annotations: { readOnlyHint: true, idempotentHint: true } }),
      ),
    );
    await app.commands.execute(
      new RegisterToolCommand(
        toolDefinition('write', async ({ message }) => ((stored = message), textOutput('ok')), { annotations: { readOnlyHint: false, destructiveHint: true } }),
      ),
    );
    const sessionId = await app.readySession();
    const call = async (name: string, message: string) =>
      ((await app.commands.execute(new ExecuteToolCommand(sessionId, name, { message }, toolContext(sessionId).context))) as ToolCallResult).content;

    expect(await call('read', 'x')).toEqual([{ type: 'text', text: 'v1 (read 1)' }]);
    expect(await call('read', 'x')).toEqual([{ type: 'text', text: 'v1 (read 1)' }]);
    expect(reads).toBe(1);
    await call('write', 'v2');
    expect(await call('read', 'x')).toEqual([{ type: 'text', text: 'v2 (read 2)' }]);
    const executed = (await app.takeEvents()).filter((e) => e.type === 'tool.executed');
    expect(executed).toHaveLength(4);
  });
});
