import type { MessageContent } from '../../domain/conversation/message.js';
import { ClientInterrupt, type ClientRequests } from '../ports/client-requests.js';
import { LlmError, type LlmClient, type LlmRequest, type LlmResponse, type LlmStopReason } from '../ports/llm-client.js';

const NO_USAGE = { inputTokens: 0, outputTokens: 0, cacheReadInputTokens: 0, cacheCreationInputTokens: 0 } as const;

const STOP: Readonly<Record<string, LlmStopReason>> = { endTurn: 'end_turn', maxTokens: 'max_tokens', stopSequence: 'stop_sequence' };

/**
 * The calling client's own model, through `sampling/createMessage` (claude.backend: sampling): no
 * key on the server. Text only: tools in sampling are deprecated by the 2026-07-28 revision
 * (SEP-2577) and the server checks sampling answers as plain results, so earlier tool calls in
 * the history are shown to the model as text and no tools are offered.
 */
export class SamplingLlmClient implements LlmClient {
  readonly backend = 'sampling';

  constructor(private readonly client: ClientRequests) {}

  async complete(request: LlmRequest): Promise<LlmResponse> {
    if (request.signal?.aborted) throw new LlmError('llm.cancelled', 'the request was cancelled', true);
    const params = {
      messages: request.messages.map((m) => ({ role: m.role, content: { type: 'text', text: asText(m.content) } })),
      maxTokens: request.maxTokens,
      modelPreferences: { hints: [{ name: request.model }] },
      ...(request.system !== undefined ? { systemPrompt: request.system } : {}),
    };
    let answer: Record<string, unknown>;
    try {
      answer = await this.client.createMessage(params);
    } catch (error) {
      if (error instanceof ClientInterrupt) throw error;
      if (request.signal?.aborted) throw new LlmError('llm.cancelled', 'the request was cancelled', true);
      throw new LlmError('llm.unavailable', `the client's model did not answer sampling/createMessage (${shortMessage(error)})`, false);
    }
    const text = textOf(answer['content']);
    if (text.length > 0) request.onText?.(text);
    const stopReason = typeof answer['stopReason'] === 'string' ? (STOP[answer['stopReason']] ?? 'other') : 'end_turn';
    return {
      content: [{ type: 'text', text }],
      stopReason,
      usage: NO_USAGE,
      model: typeof answer['model'] === 'string' && answer['model'].length > 0 ? answer['model'] : request.model,
    };
  }
}

/** One message as text: tool calls and results of earlier (API backend) turns described in words. */
function asText(content: readonly MessageContent[]): string {
  return content
    .map((block) => {
      switch (block.type) {
        case 'text':
          return block.text;
        case 'tool_use':
          return `[called the tool ${block.name} with ${JSON.stringify(block.input)}]`;
        case 'tool_result':
          return `[${block.isError ? 'error from' : 'result of'} that tool call]\n${block.content}`;
      }
    })
    .join('\n\n');
}

/** The answer's text; an image or audio answer is named, not dropped silently. */
function textOf(content: unknown): string {
  const blocks = Array.isArray(content) ? content : [content];
  return blocks
    .map((block) => {
      const b = block as { type?: unknown; text?: unknown } | null;
      if (b?.type === 'text' && typeof b.text === 'string') return b.text;
      return `[the client's model answered with ${typeof b?.type === 'string' ? b.type : 'unknown'} content, not shown]`;
    })
    .join('\n');
}

function shortMessage(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.length > 200 ? `${message.slice(0, 200)}…` : message;
}
