import { ToolFailure } from '../../../../src/application/application.errors.js';
import { PROGRESS_INTERVAL_MS, TurnProgress } from '../../../../src/application/conversations/turn-progress.js';
import { claudeConversationSchemas, ConversationTools, listConversationsSchemas } from '../../../../src/application/tools/conversation.tools.js';
import { outputSchemaOf } from '../../../../src/application/tools/define-tool.js';
import { jsonSchemaOf } from '../../../../src/application/tools/json-schema.js';
import type { ToolContext, ToolDefinition } from '../../../../src/application/tools/tool-definition.js';
import { madeSchema, textOutput, toolDefinition } from '../../../support/builders.js';
import { answer, conversationHarness, ScriptedLlm, toolCall, type ConversationHarness } from './conversation-harness.js';

function toolsOf(app: ConversationHarness): Map<string, ToolDefinition> {
  const family = new ConversationTools({ commands: app.commands, queries: app.queries, owners: app.owners, settings: app.settings });
  return new Map(family.tools().map((t) => [t.props.name, t]));
}

function contextOf(sessionId: string, progress: unknown[][] = []): ToolContext {
  return { sessionId, signal: new AbortController().signal, progress: (...args) => void progress.push(args), log: () => {} };
}

async function run(tool: ToolDefinition | undefined, args: Record<string, unknown>, context: ToolContext) {
  return tool!.run(tool!.input.parse(args), context);
}

describe('claude_conversation and list_conversations', () => {
  it('declares the contract: category ai tool with task support, and schemas for every argument', async () => {
    const tools = toolsOf(await conversationHarness());
    const chat = tools.get('claude_conversation')!;

    expect(chat.props).toMatchObject({ title: 'Chat with Claude', annotations: { readOnlyHint: false, destructiveHint: false, openWorldHint: true } });
    expect(chat.taskSupport).toBe('optional');
    expect(chat.props.description).toMatch(/probe, broken, slow/);
    expect(Object.keys(madeSchema(chat.props.inputSchema)!['properties'] as object)).toEqual(['message', 'conversation_id', 'system', 'model', 'max_tokens', 'tools', 'max_iterations', 'prompt', 'prompt_arguments']);
    expect(tools.get('list_conversations')?.props.annotations).toMatchObject({ readOnlyHint: true });
    expect(chat.input.safeParse({ message: '  ' }).success).toBe(false);
    expect(chat.input.safeParse({ message: '', prompt: 'code_review' }).success).toBe(true);
  });

  it('the written-out JSON Schemas are exactly what the zod validators convert to', async () => {
    const tools = toolsOf(await conversationHarness());
    const chat = claudeConversationSchemas();
    const list = listConversationsSchemas();

    expect(tools.get('claude_conversation')?.props.inputSchema).toEqual(jsonSchemaOf(chat.input));
    expect(tools.get('claude_conversation')?.props.outputSchema).toEqual(outputSchemaOf(chat.output));
    expect(tools.get('list_conversations')?.props.inputSchema).toEqual(jsonSchemaOf(list.input));
    expect(tools.get('list_conversations')?.props.outputSchema).toEqual(outputSchemaOf(list.output));
  });

  it('answers with the text and structuredContent {conversation_id, stop_reason, iterations, usage}', async () => {
    const app = await conversationHarness({ llm: new ScriptedLlm([answer('Hello!')]) });
    const sessionId = await app.readySession();

    const output = await run(toolsOf(app).get('claude_conversation'), { message: 'Hi' }, contextOf(sessionId));

    expect(output.content).toEqual([{ type: 'text', text: 'Hello!' }]);
    expect(output.structuredContent).toEqual({
      conversation_id: expect.any(String),
      stop_reason: 'end_turn',
      iterations: 1,
      model: 'claude-test-1',
      usage: { input_tokens: 10, output_tokens: 5, cache_read_input_tokens: 2, cache_creation_input_tokens: 1 },
    });
  });

  it('says in the text why a turn stopped at the iteration cap', async () => {
    const llm = new ScriptedLlm([toolCall('probe', { message: 'a' }, 't1', 'Looking.')]);
    const app = await conversationHarness({ llm, tools: [toolDefinition('probe', async () => textOutput('p'))] });

    const output = await run(toolsOf(app).get('claude_conversation'), { message: 'Go', tools: ['probe'], max_iterations: 1 }, contextOf(await app.readySession()));

    expect(output.structuredContent).toMatchObject({ stop_reason: 'max_iterations', iterations: 1, unrun_tools: ['probe'] });
    expect((output.content[0] as { text: string }).text).toMatch(/^Looking\.\n\n\[Stopped at the iteration cap \(1 model calls\).*not run: probe/);
  });

  it('answers a prompt through Claude: code_review rendered as prompts/get renders it, then the message', async () => {
    const llm = new ScriptedLlm([answer('Looks fine')]);
    const app = await conversationHarness({ llm });

    await run(
      toolsOf(app).get('claude_conversation'),
      { message: 'Keep it short.', prompt: 'code_review', prompt_arguments: { code: 'let x = 1', language: 'typescript' } },
      contextOf(await app.readySession()),
    );

    const text = (llm.requests[0].messages[0].content[0] as { text: string }).text;
    expect(text).toMatch(/^Review the following typescript code\./);
    expect(text).toContain('```typescript\nlet x = 1\n```');
    expect(text).toMatch(/\n\nKeep it short\.$/);
  });

  it.each([
    ['an unknown prompt', { prompt: 'no_such_prompt' }, /Prompt not found: no_such_prompt/],
    ['a missing required prompt argument', { prompt: 'code_review', prompt_arguments: {} }, /requires argument\(s\): code/],
  ])('%s is an invalid request, and no model call is made', async (_case, args, reason) => {
    const llm = new ScriptedLlm([answer('never')]);
    const app = await conversationHarness({ llm });

    const error = await run(toolsOf(app).get('claude_conversation'), { message: '', ...args }, contextOf(await app.readySession())).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ToolFailure);
    expect((error as ToolFailure).envelope).toMatchObject({ error: 'invalid request', retryable: false });
    expect((error as ToolFailure).envelope.reason).toMatch(reason);
    expect(llm.requests).toHaveLength(0);
  });

  it('a refusal is a tool error naming the conversation (not retryable)', async () => {
    const app = await conversationHarness({ llm: new ScriptedLlm([answer('I cannot help with that.', 'refusal')]) });

    const error = (await run(toolsOf(app).get('claude_conversation'), { message: 'bad' }, contextOf(await app.readySession())).catch((e: unknown) => e)) as ToolFailure;

    expect(error.envelope).toMatchObject({ error: 'Claude declined to answer', retryable: false, context: { stop_reason: 'refusal', conversation_id: expect.any(String) } });
  });

  it('list_conversations and conversation://{id} show the caller\'s own conversations only', async () => {
    const app = await conversationHarness({ llm: new ScriptedLlm([answer('Hello')]) });
    const stdio = await app.readySession('stdio');
    const http = await app.readySession('http');
    const tools = toolsOf(app);
    const chat = await run(tools.get('claude_conversation'), { message: 'Hi there' }, contextOf(stdio));
    const id = chat.structuredContent!['conversation_id'] as string;

    expect((await run(tools.get('list_conversations'), {}, contextOf(stdio))).structuredContent).toMatchObject({ conversations: [{ id, title: 'Hi there', messages: 2 }] });
    expect((await run(tools.get('list_conversations'), {}, contextOf(http))).structuredContent).toEqual({ conversations: [] });

    const uri = `conversation://${encodeURIComponent(id)}`;
    const read = await app.resources.read(uri, { sessionId: stdio });
    expect(read?.[0]).toMatchObject({ uri, mimeType: 'application/json' });
    expect(JSON.parse((read![0] as { text: string }).text)).toMatchObject({ id, messages: [{ role: 'user' }, { role: 'assistant' }] });
    expect(await app.resources.read(uri, { sessionId: http })).toBeUndefined();
    expect(await app.resources.read('conversation://%E0%A4%A', { sessionId: stdio })).toBeUndefined();
    expect(app.resources.templates()).toEqual([expect.objectContaining({ uriTemplate: 'conversation://{id}' })]);
  });

  it('progress: the text as it streams, at most four notifications a second, the rest flushed when the call ends', async () => {
    const llm = new ScriptedLlm([
      async (request) => {
        for (const part of ['Hel', 'lo', ' wor', 'ld']) request.onText?.(part);
        return answer('Hello world');
      },
    ]);
    const app = await conversationHarness({ llm });
    const progress: unknown[][] = [];

    await run(toolsOf(app).get('claude_conversation'), { message: 'Hi' }, contextOf(await app.readySession(), progress));

    // Four deltas within one interval: one notification for the first, one flush for the rest.
    expect(progress).toEqual([
      [3, undefined, 'Hel'],
      [11, undefined, 'lo world'],
    ]);
  });

  it('TurnProgress: increasing counts, rate-limited text and tool calls', () => {
    let now = 0;
    const sent: unknown[][] = [];
    const progress = new TurnProgress({ progress: (...args) => void sent.push(args) }, () => now);

    progress.text('ab');
    progress.text('cd');
    now += PROGRESS_INTERVAL_MS;
    progress.text('ef');
    progress.toolCall('read_file');
    now += PROGRESS_INTERVAL_MS;
    progress.toolCall('system_info');
    progress.flush();

    expect(sent).toEqual([
      [2, undefined, 'ab'],
      [6, undefined, 'cdef'],
      [8, undefined, 'running system_info'],
    ]);
  });
});
