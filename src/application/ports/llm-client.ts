import type { MessageContent, MessageRole } from '../../domain/conversation/message.js';

export interface LlmToolSpec {
  readonly name: string;
  readonly description: string;
  readonly inputSchema: Readonly<Record<string, unknown>>;
}

export interface LlmRequest {
  readonly model: string;
  readonly system?: string;
  readonly messages: readonly { role: MessageRole; content: readonly MessageContent[] }[];
  readonly tools?: readonly LlmToolSpec[];
  readonly maxTokens: number;
  readonly signal?: AbortSignal;
}

export interface LlmResponse {
  readonly content: readonly MessageContent[];
  readonly stopReason: 'end_turn' | 'tool_use' | 'max_tokens' | 'stop_sequence' | 'refusal' | 'other';
  readonly usage: { readonly inputTokens: number; readonly outputTokens: number };
}

/** Port for the Claude issue; the Anthropic adapter arrives with it. */
export interface LlmClient {
  complete(request: LlmRequest): Promise<LlmResponse>;
}
