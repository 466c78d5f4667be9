import { DomainError } from '../shared/domain-error.js';
import type { Message, MessageContent } from './message.js';

/** Tokens one content block costs in a request; the caller's estimate (the domain knows no tokenizer). */
export type TokenEstimate = (content: MessageContent) => number;

export interface ContextWindow {
  readonly messages: readonly Message[];
  /** tool_result contents replaced by a marker, among the messages returned. */
  readonly trimmedToolResults: number;
  /** Messages left out from the start of the history. */
  readonly droppedMessages: number;
}

/**
 * The messages to send within `budgetTokens`, by this policy, each step only while over budget:
 * 1. tool_result contents are replaced by a short "[trimmed …]" marker, oldest first, except those in
 *    the last message (the results the model is about to read);
 * 2. whole exchanges are dropped, oldest first. An exchange starts at a user message with no
 *    tool_result (a turn's opening message) and runs to the next one, so a tool_use and its
 *    tool_result are always kept or dropped together and what is left starts with a user message.
 *    The last exchange is never dropped;
 * 3. the last message's tool_result contents are trimmed too, oldest first.
 * When even that does not fit, the result is sent as it is and the model's API says the prompt is
 * too long. The history is not changed: trimmed messages are copies.
 */
export function contextWithin(history: readonly Message[], budgetTokens: number, estimate: TokenEstimate): ContextWindow {
  // Infinity is a budget too: no limit.
  if (Number.isNaN(budgetTokens) || budgetTokens < 0) {
    throw new DomainError('value.invalid', `a context budget is a non-negative number of tokens, got ${budgetTokens}`);
  }
  const cost = (block: MessageContent): number => {
    const tokens = estimate(block);
    return Number.isFinite(tokens) && tokens > 0 ? tokens : 0;
  };
  const blocks = history.map((message) => [...message.content]);
  const costs = blocks.map((content) => content.map(cost));
  let total = costs.flat().reduce((sum, tokens) => sum + tokens, 0);
  const trimmed = new Set<string>();
  const over = () => total > budgetTokens;

  const trim = (i: number) => {
    for (let j = 0; j < blocks[i].length && over(); j += 1) {
      const block = blocks[i][j];
      if (block.type !== 'tool_result' || trimmed.has(`${i}:${j}`)) continue;
      const marker: MessageContent = { ...block, content: `[trimmed: ${block.content.length} characters of tool output left out to fit the context budget]` };
      const saving = costs[i][j] - cost(marker);
      if (saving <= 0) continue;
      blocks[i][j] = marker;
      costs[i][j] -= saving;
      total -= saving;
      trimmed.add(`${i}:${j}`);
    }
  };

  const last = history.length - 1;
  for (let i = 0; i < last && over(); i += 1) trim(i);
  let from = 0;
  if (over()) {
    const starts = history.flatMap((message, i) => (i > 0 && opensExchange(message) ? [i] : []));
    for (const start of starts) {
      if (!over()) break;
      for (let i = from; i < start; i += 1) total -= costs[i].reduce((sum, tokens) => sum + tokens, 0);
      from = start;
    }
  }
  if (over() && last >= 0) trim(last);

  const messages = history.slice(from).map((message, k) => {
    const i = from + k;
    return blocks[i].some((block, j) => block !== message.content[j]) ? message.withContent(blocks[i]) : message;
  });
  const kept = [...trimmed].filter((key) => Number(key.split(':')[0]) >= from).length;
  return { messages, trimmedToolResults: kept, droppedMessages: from };
}

/** A user message that answers no tool_use: the start of a turn. */
function opensExchange(message: Message): boolean {
  return message.role === 'user' && !message.content.some((block) => block.type === 'tool_result');
}
