import type Anthropic from '@anthropic-ai/sdk';
import type { LlmRequest } from '../../application/ports/llm-client.js';
import type { MessageContent } from '../../domain/conversation/message.js';

/**
 * The port's request as a streaming Messages API body. Every request carries the whole (budgeted)
 * history: the API keeps no thread state for us. With `promptCaching`, the top-level cache marker
 * lets each iteration of the agentic loop read the unchanged prefix (system, tools, earlier turns)
 * from the cache instead of paying for it again.
 */
export function messagesBody(request: LlmRequest, promptCaching: boolean): Anthropic.MessageCreateParamsStreaming {
  return {
    model: request.model,
    max_tokens: request.maxTokens,
    messages: request.messages.map((message) => ({ role: message.role, content: message.content.map(toBlock) })),
    stream: true,
    ...(request.system !== undefined && request.system !== '' ? { system: request.system } : {}),
    ...(request.tools !== undefined && request.tools.length > 0
      ? { tools: request.tools.map((tool) => ({ name: tool.name, description: tool.description, input_schema: inputSchema(tool.inputSchema) })) }
      : {}),
    ...(promptCaching ? { cache_control: { type: 'ephemeral' as const } } : {}),
  };
}

function toBlock(content: MessageContent): Anthropic.ContentBlockParam {
  switch (content.type) {
    case 'text':
      return { type: 'text', text: content.text };
    case 'tool_use':
      return { type: 'tool_use', id: content.id, name: content.name, input: content.input ?? {} };
    case 'tool_result':
      return { type: 'tool_result', tool_use_id: content.toolUseId, content: content.content, is_error: content.isError };
  }
}

/** The API requires an object schema; an MCP tool's inputSchema always is one, but say so to the type. */
function inputSchema(schema: Readonly<Record<string, unknown>>): Anthropic.Tool.InputSchema {
  return { ...schema, type: 'object' } as Anthropic.Tool.InputSchema;
}
