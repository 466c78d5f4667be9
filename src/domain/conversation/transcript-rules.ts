import type { Message, MessageContent, MessageRole } from './message.js';

const TITLE_LENGTH = 80;

/**
 * Why a user message cannot follow `previous`, as the Messages API would refuse it: after an
 * assistant tool_use, the next message answers every tool_use id once, its tool_result blocks
 * first; without one, a tool_result answers nothing. undefined: acceptable.
 */
export function pairingError(previous: Message | undefined, role: MessageRole, content: readonly MessageContent[]): string | undefined {
  if (role !== 'user') return undefined;
  const asked = previous?.role === 'assistant' ? previous.content.flatMap((c) => (c.type === 'tool_use' ? [c.id] : [])) : [];
  const answered = content.flatMap((c) => (c.type === 'tool_result' ? [c.toolUseId] : []));
  const unknown = answered.filter((id) => !asked.includes(id));
  if (unknown.length > 0) return `tool_result ${quoted(unknown)} answers no tool_use of the message just before it`;
  const twice = answered.filter((id, i) => answered.indexOf(id) !== i);
  if (twice.length > 0) return `tool_use ${quoted(twice)} is answered more than once`;
  const missing = asked.filter((id) => !answered.includes(id));
  if (missing.length > 0) return `tool_use ${quoted(missing)} has no tool_result; answer every tool_use (a failure as an isError result)`;
  const firstOther = content.findIndex((c) => c.type !== 'tool_result');
  if (firstOther !== -1 && content.slice(firstOther).some((c) => c.type === 'tool_result')) {
    return 'tool_result blocks come before any other block of the message';
  }
  return undefined;
}

/** The first non-blank user text, whitespace collapsed, at most 80 characters (cut with an ellipsis). */
export function titleOf(messages: readonly Message[]): string {
  for (const message of messages) {
    if (message.role !== 'user') continue;
    for (const block of message.content) {
      if (block.type !== 'text') continue;
      const chars = Array.from(block.text.replace(/\s+/g, ' ').trim());
      if (chars.length === 0) continue;
      return chars.length > TITLE_LENGTH ? `${chars.slice(0, TITLE_LENGTH - 1).join('')}…` : chars.join('');
    }
  }
  return '';
}

function quoted(ids: readonly string[]): string {
  return ids.map((id) => JSON.stringify(id.slice(0, 80))).join(', ');
}
