import type { MessageContent } from '../../domain/conversation/message.js';

/** Roughly four characters per token for English and code: an estimate for budgeting, not billing. */
const CHARS_PER_TOKEN = 4;
/** What a block's framing costs beyond its text (role markers, ids, JSON keys). */
const BLOCK_OVERHEAD = 4;

export function estimateText(text: string): number {
  return Math.ceil(text.length / CHARS_PER_TOKEN);
}

/** Tokens one content block is expected to cost in a request (the context budget's measure). */
export function estimateTokens(content: MessageContent): number {
  switch (content.type) {
    case 'text':
      return BLOCK_OVERHEAD + estimateText(content.text);
    case 'tool_use':
      return BLOCK_OVERHEAD + estimateText(content.name) + estimateText(JSON.stringify(content.input) ?? '');
    case 'tool_result':
      return BLOCK_OVERHEAD + estimateText(content.content);
  }
}
