import { ToolFailure } from '../../../../src/application/application.errors.js';
import { LlmError } from '../../../../src/application/ports/llm-client.js';
import type { ToolContext } from '../../../../src/application/tools/tool-definition.js';
import { TOOL_RESULTS_ARE_DATA } from '../../../../src/application/conversations/system-prompt.js';
import { textOutput, toolDefinition } from '../../../support/builders.js';
import { answer, conversationHarness, hangAfter, ScriptedLlm, toolCall, USAGE } from './conversation-harness.js';

type Seen = { message: string; context: ToolContext };

/** `probe` answers "probed <message>"; `broken` fails as a tool does; `slow` waits for its signal. */
function testTools(seen: Seen[] = []) {
  return [
    toolDefinition('probe', async (input, context) => {
      seen.push({ message: input.message, context });
      return textOutput(`probed ${input.message}`);
    }),
    toolDefinition('broken', async () => {
      throw new ToolFailure({ error: 'not found', reason: 'no file at that path', suggested_actions: ['list it first'], retryable: false });
    }),
    toolDefinition('slow', (_input, context) => new Promise((_resolve, reject) => context.signal.addEventListener('abort', () => reject(new Error('stopped')), { once: true }))),
    toolDefinition('write_file', async () => textOutput('written')),
  ];
}

function failureOf(error: unknown): ToolFailure {
  expect(error).toBeInstanceOf(ToolFailure);
  return error as ToolFailure;
}

describe('SendMessage – the agentic loop', () => {
  it('end_turn: one model call, the answer, this turn\'s usage, and the transcript saved with its events', async () => {
    const llm = new ScriptedLlm([answer('Hello there')]);
    const app = await conversationHarness({ llm });

    const result = await app.send('Hi', { system: 'Be brief' });

    expect(result).toMatchObject({ text: 'Hello there', stopReason: 'end_turn', iterations: 1, usage: USAGE, model: 'claude-test-1', unrunTools: [] });
    expect(llm.requests).toHaveLength(1);
    expect(llm.requests[0]).toMatchObject({ model: 'claude-default', maxTokens: 1024, messages: [{ role: 'user', content: [{ type: 'text', text: 'Hi' }] }] });
    expect(llm.requests[0].system).toBe(`${TOOL_RESULTS_ARE_DATA}\n\nBe brief`);
    expect(llm.requests[0].tools).toBeUndefined();
    const stored = await app.conversations.find(result.conversationId);
    expect(stored?.history.map((m) => m.role)).toEqual(['user', 'assistant']);
    expect(stored).toMatchObject({ status: 'completed', ownerId: 'local:tester', usage: USAGE });
    const types = (await app.takeEvents()).map((e) => e.type).filter((t) => t.startsWith('conversation.'));
    expect(types).toEqual(['conversation.started', 'conversation.message_added', 'conversation.message_added', 'conversation.completed']);
  });

  it('tool_use: the tool runs through ExecuteTool (its execution recorded like a client call) and its result goes back as tool_result', async () => {
    const seen: Seen[] = [];
    const llm = new ScriptedLlm([toolCall('probe', { message: 'disk' }, 'toolu_1', 'Let me look.'), answer('The disk is fine.')]);
    const app = await conversationHarness({ llm, tools: testTools(seen) });
    const sessionId = await app.readySession();

    const result = await app.send('How is the disk?', { tools: ['probe'], sessionId });

    expect(result).toMatchObject({ text: 'The disk is fine.', stopReason: 'end_turn', iterations: 2 });
    expect(result.usage.inputTokens).toBe(2 * USAGE.inputTokens);
    expect(llm.requests[0].tools).toEqual([expect.objectContaining({ name: 'probe', description: 'test tool probe', inputSchema: expect.objectContaining({ type: 'object' }) })]);
    expect(llm.lastMessage(1)).toEqual({ role: 'user', content: [{ type: 'tool_result', toolUseId: 'toolu_1', content: 'probed disk', isError: false }] });
    expect(seen).toHaveLength(1);
    expect(seen[0].context.sessionId).toBe(sessionId);
    const events = await app.takeEvents();
    expect(events.filter((e) => e.type === 'tool.executed').map((e) => e.data)).toEqual([expect.objectContaining({ tool: 'probe' })]);
  });

  it('a tool error goes back as an is_error tool_result carrying the envelope, and the turn goes on', async () => {
    const llm = new ScriptedLlm([toolCall('broken', { message: 'x' }, 'toolu_b'), answer('That file does not exist.')]);
    const app = await conversationHarness({ llm, tools: testTools() });

    const result = await app.send('Read it', { tools: ['broken'] });

    expect(result.stopReason).toBe('end_turn');
    const [block] = llm.lastMessage(1).content;
    expect(block).toMatchObject({ type: 'tool_result', toolUseId: 'toolu_b', isError: true });
    expect((block as { content: string }).content).toMatch(/^Error: not found\. no file at that path/);
  });

  it.each([
    ['the input is not an object', toolCall('probe', 'just a string', 'toolu_s'), /must be a JSON object/],
    ['the input does not match the schema', toolCall('probe', { nope: 1 }, 'toolu_i'), /invalid arguments/],
    ['a tool that was not offered', toolCall('write_file', { message: 'x' }, 'toolu_w'), /not offered in this conversation \(offered: probe\); it was not run/],
  ])('is_error, never thrown: %s', async (_case, call, message) => {
    const seen: Seen[] = [];
    const llm = new ScriptedLlm([call, answer('ok')]);
    const app = await conversationHarness({ llm, tools: testTools(seen) });

    const result = await app.send('go', { tools: ['probe'] });

    expect(result.stopReason).toBe('end_turn');
    const [block] = llm.lastMessage(1).content;
    expect(block).toMatchObject({ type: 'tool_result', isError: true });
    expect((block as { content: string }).content).toMatch(message);
    expect(seen).toHaveLength(0);
  });

  it.each([
    ['outside claude.allowed_tools', ['probe', 'write_file'], /"write_file" is not in claude.allowed_tools \(allowed: probe, broken, slow\)/],
    ['allowed but not on this server', ['slow'], /claude.allowed_tools names "slow", which this server does not have/],
  ])('a requested tool %s refuses the call before any model call', async (_case, tools, reason) => {
    const llm = new ScriptedLlm([answer('never')]);
    const app = await conversationHarness({ llm, tools: testTools().filter((t) => t.props.name !== 'slow') });

    const failure = failureOf(await app.send('go', { tools }).catch((e: unknown) => e));

    expect(failure.envelope).toMatchObject({ retryable: false });
    expect(failure.envelope.reason).toMatch(reason);
    expect(llm.requests).toHaveLength(0);
  });

  it('the iteration cap ends the turn as max_iterations, naming the tools left unrun, and the transcript stays valid', async () => {
    const llm = new ScriptedLlm([toolCall('probe', { message: '1' }, 't1'), toolCall('probe', { message: '2' }, 't2'), answer('next turn')]);
    const app = await conversationHarness({ llm, tools: testTools() });

    const result = await app.send('loop', { tools: ['probe'], maxIterations: 2 });

    expect(result).toMatchObject({ stopReason: 'max_iterations', iterations: 2, unrunTools: ['probe'] });
    const stored = await app.conversations.find(result.conversationId);
    expect(stored?.history.at(-2)?.content).toEqual([{ type: 'tool_result', toolUseId: 't2', content: expect.stringMatching(/^not run: /), isError: true }]);
    // The next turn is a valid request: roles alternate and every tool_use has its result.
    await app.send('go on', { conversationId: result.conversationId });
    expect(llm.requests[2].messages.map((m) => m.role)).toEqual(['user', 'assistant', 'user', 'assistant', 'user', 'assistant', 'user']);
  });

  it('asks for fewer iterations than the server cap, never more', async () => {
    const steps = Array.from({ length: 10 }, (_, i) => toolCall('probe', { message: String(i) }, `t${i}`));
    const llm = new ScriptedLlm(steps);
    const app = await conversationHarness({ llm, tools: testTools(), settings: { maxIterations: 3 } });

    expect((await app.send('loop', { tools: ['probe'], maxIterations: 50 })).iterations).toBe(3);
    expect((await app.send('loop', { tools: ['probe'], maxIterations: 1 })).iterations).toBe(1);
  });

  it('cancel while the model streams: the upstream request is aborted and the turn recorded as cancelled', async () => {
    const llm = new ScriptedLlm([hangAfter('Thinking')]);
    const app = await conversationHarness({ llm });
    const controller = new AbortController();

    const pending = app.send('long question', { context: { signal: controller.signal } });
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(llm.requests[0].signal?.aborted).toBe(false);
    controller.abort();
    const result = await pending;

    expect(llm.requests[0].signal?.aborted).toBe(true);
    expect(result).toMatchObject({ stopReason: 'cancelled', iterations: 1 });
    const stored = await app.conversations.find(result.conversationId);
    expect(stored?.status).toBe('completed');
    const events = await app.takeEvents();
    expect(events.find((e) => e.type === 'conversation.completed')?.data).toMatchObject({ stopReason: 'cancelled' });
  });

  it('cancel while a tool runs: the tool is stopped, no further model call is made', async () => {
    const llm = new ScriptedLlm([toolCall('slow', { message: 'x' }, 'ts'), answer('never')]);
    const app = await conversationHarness({ llm, tools: testTools() });
    const controller = new AbortController();

    const pending = app.send('wait', { tools: ['slow'], context: { signal: controller.signal } });
    await new Promise((resolve) => setTimeout(resolve, 20));
    controller.abort();
    const result = await pending;

    expect(result).toMatchObject({ stopReason: 'cancelled', iterations: 1 });
    expect(llm.requests).toHaveLength(1);
    const stored = await app.conversations.find(result.conversationId);
    expect(stored?.history.at(-2)?.content[0]).toMatchObject({ type: 'tool_result', toolUseId: 'ts', isError: true });
  });

  it('the context budget: old tool results are trimmed in the request (never in the store) and the turn says so', async () => {
    const big = 'x'.repeat(8_000);
    const llm = new ScriptedLlm([toolCall('probe', { message: big }, 'tb'), answer('done'), answer('second')]);
    const app = await conversationHarness({ llm, tools: testTools(), settings: { contextBudgetTokens: 2_500 } });

    const first = await app.send('read a lot', { tools: ['probe'] });
    const second = await app.send('and now?', { conversationId: first.conversationId });

    const seen = llm.requests[2].messages.flatMap((m) => m.content).find((c) => c.type === 'tool_result');
    expect(seen).toMatchObject({ content: expect.stringMatching(/^\[trimmed: /) });
    expect(second.trimmedToolResults).toBe(1);
    const stored = await app.conversations.find(first.conversationId);
    expect(stored?.history.flatMap((m) => m.content).find((c) => c.type === 'tool_result')).toMatchObject({ content: `probed ${big}` });
  });

  it('a message that cannot fit the budget stops the turn as budget, with no model call', async () => {
    const llm = new ScriptedLlm([answer('never')]);
    const app = await conversationHarness({ llm, settings: { contextBudgetTokens: 1_000 } });

    const result = await app.send('y'.repeat(20_000));

    expect(result).toMatchObject({ stopReason: 'budget', iterations: 0 });
    expect(llm.requests).toHaveLength(0);
  });

  it.each([
    ['llm.rate_limited', new LlmError('llm.rate_limited', 'rate limited after 2 retries', true, { status: 429, retryAfterMs: 3000 }), true, { status: 429, retry_after_ms: 3000 }],
    ['llm.overloaded', new LlmError('llm.overloaded', 'overloaded after 2 retries', true, { status: 529 }), true, { status: 529 }],
    ['llm.auth', new LlmError('llm.auth', 'the API refused the key (401)', false, { status: 401 }), false, { status: 401 }],
    ['llm.not_configured', new LlmError('llm.not_configured', 'no API key: set claude.api_key or ANTHROPIC_API_KEY', false), false, {}],
    ['llm.context_too_long', new LlmError('llm.context_too_long', 'prompt is too long', false, { status: 400 }), false, { status: 400 }],
    ['llm.timeout', new LlmError('llm.timeout', 'no answer within 60000 ms (claude.timeout_ms)', true), true, {}],
  ])('%s → the tool-error envelope with its retryable; the turn recorded as failed', async (_code, error, retryable, context) => {
    const app = await conversationHarness({ llm: new ScriptedLlm([error]) });

    const failure = failureOf(await app.send('hi').catch((e: unknown) => e));

    expect(failure.envelope).toMatchObject({ retryable, reason: error.message, context: { code: error.code, ...context } });
    const id = failure.envelope.context?.['conversation_id'] as string;
    const stored = await app.conversations.find(id);
    expect(stored?.status).toBe('failed');
    const events = await app.takeEvents();
    expect(events.find((e) => e.type === 'conversation.failed')?.data).toMatchObject({ code: error.code, retryable, iterations: 1 });
  });

  it('not configured: the envelope names the setting to fix', async () => {
    const app = await conversationHarness({ llm: new ScriptedLlm([new LlmError('llm.not_configured', 'no API key: set claude.api_key or ANTHROPIC_API_KEY', false)]) });

    const failure = failureOf(await app.send('hi').catch((e: unknown) => e));

    expect(failure.envelope.error).toBe('Claude is not configured');
    expect(failure.envelope.suggested_actions.join(' ')).toMatch(/claude\.api_key.*ANTHROPIC_API_KEY/);
  });
});
