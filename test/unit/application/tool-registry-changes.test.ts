import { RegisterToolCommand } from '../../../src/application/tools/register-tool.command.js';
import { ConformanceListenTools, MAX_RUNTIME_TOOLS } from '../../../src/conformance/conformance-listen.tools.js';
import { textOutput, toolContext, toolDefinition } from '../../support/builders.js';
import { createTestApp } from '../../support/test-app.js';

const echo = toolDefinition('echo', async ({ message }) => textOutput(message));
const other = toolDefinition('other', async ({ message }) => textOutput(message));

describe('ToolRegistry change listeners', () => {
  it('a tool registered - every listener is told once, after the tool is findable', async () => {
    const app = createTestApp();
    const seen: (string | undefined)[] = [];
    app.registry.onChange(() => seen.push(app.registry.find('echo')?.tool.name));
    app.registry.onChange(() => seen.push('second'));

    await app.commands.execute(new RegisterToolCommand(echo));

    expect(seen).toEqual(['echo', 'second']);
  });

  it('unsubscribed - no longer told; the same function subscribed twice is two subscriptions', async () => {
    const app = createTestApp();
    let calls = 0;
    const listener = () => void (calls += 1);
    const stopFirst = app.registry.onChange(listener);
    app.registry.onChange(listener);

    await app.commands.execute(new RegisterToolCommand(echo));
    stopFirst();
    stopFirst();
    await app.commands.execute(new RegisterToolCommand(other));

    expect(calls).toBe(3);
  });

  it('a duplicate name refused - no change, no listener told', async () => {
    const app = createTestApp();
    await app.commands.execute(new RegisterToolCommand(echo));
    let calls = 0;
    app.registry.onChange(() => void (calls += 1));

    await expect(app.commands.execute(new RegisterToolCommand(echo))).rejects.toMatchObject({ code: 'tool.already_registered' });

    expect(calls).toBe(0);
  });
});

describe('test_trigger_tool_change (conformance fixture)', () => {
  it('each call registers one more tool through the command bus, listed at once and announced; bounded', async () => {
    const app = createTestApp();
    const family = new ConformanceListenTools(app.commands);
    for (const definition of family.tools()) await app.commands.execute(new RegisterToolCommand(definition));
    const trigger = app.registry.find('test_trigger_tool_change')!.definition;
    let changes = 0;
    app.registry.onChange(() => void (changes += 1));
    const { context } = toolContext('s1');

    const first = await trigger.run({}, context);
    await trigger.run({}, context);

    expect(first.content[0]).toEqual({ type: 'text', text: 'Registered test_runtime_tool_1; the tool list changed.' });
    expect(changes).toBe(2);
    const names = app.registry.descriptors().map((t) => t.name);
    expect(names).toEqual(expect.arrayContaining(['test_runtime_tool_1', 'test_runtime_tool_2']));

    for (let i = 2; i < MAX_RUNTIME_TOOLS; i += 1) await trigger.run({}, context);
    const past = await trigger.run({}, context);
    expect(changes).toBe(MAX_RUNTIME_TOOLS);
    expect(past.content[0]).toMatchObject({ text: expect.stringContaining(`maximum of ${MAX_RUNTIME_TOOLS}`) });
  });
});
