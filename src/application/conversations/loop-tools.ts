import type { MessageContent } from '../../domain/conversation/message.js';
import { ApplicationError, ToolFailure } from '../application.errors.js';
import type { CommandBus } from '../bus/message-bus.js';
import type { Logger } from '../ports/logger.js';
import { ClientInterrupt } from '../ports/client-requests.js';
import type { LlmToolSpec } from '../ports/llm-client.js';
import type { Origin } from '../origin.js';
import { ExecuteToolCommand, isToolCallTask, type ToolCallResult } from '../tools/execute-tool.command.js';
import type { ContentBlock, ToolContext } from '../tools/tool-definition.js';
import type { ToolRegistry } from '../tools/tool-registry.js';

/** A tool result longer than this reaches the model cut, with a marker (the context budget trims further). */
export const MAX_TOOL_RESULT_CHARS = 200_000;

type ToolUse = Extract<MessageContent, { type: 'tool_use' }>;
type ToolResult = Extract<MessageContent, { type: 'tool_result' }>;

/**
 * The tools one turn offers: `claude.allowed_tools` ∩ the call's `tools`, as the model sees them.
 * A requested tool outside the allowlist (or unknown) refuses the whole call before any model
 * call: the caller asked for something the operator did not allow, and should know.
 */
export function offeredTools(registry: ToolRegistry, allowed: readonly string[], requested: readonly string[] | undefined): LlmToolSpec[] {
  const names = [...new Set(requested ?? [])];
  const refused = names.filter((name) => !allowed.includes(name));
  if (refused.length > 0) {
    throw new ToolFailure({
      error: 'tool not allowed in conversations',
      reason: `${refused.map((n) => `"${n.slice(0, 128)}"`).join(', ')} ${refused.length === 1 ? 'is' : 'are'} not in claude.allowed_tools (allowed: ${allowed.join(', ') || 'none'})`,
      suggested_actions: ['call again with tools from the allowed list', 'ask the server operator to add the tool to claude.allowed_tools'],
      retryable: false,
      context: { refused, allowed },
    });
  }
  return names.map((name) => {
    const registered = registry.find(name);
    if (!registered) {
      throw new ToolFailure({
        error: 'unknown tool',
        reason: `claude.allowed_tools names "${name}", which this server does not have`,
        suggested_actions: ['call again without that tool', 'see tools/list for the tools this server has'],
        retryable: false,
      });
    }
    const { $schema: _ignored, ...inputSchema } = registered.descriptor.inputSchema as Record<string, unknown>;
    const { title, description } = registered.descriptor;
    return { name, description: title ? `${title}. ${description}` : description, inputSchema };
  });
}

/**
 * Runs the model's tool calls through the same ExecuteToolCommand a client's tools/call goes
 * through, under the caller's Origin (same grants, policy, events, limits and audit), and turns
 * every outcome into a tool_result:
 * a tool error, a refused name or a broken call is an `isError` result the model can read and
 * act on, never an exception that ends the turn.
 */
export class ToolDispatcher {
  private readonly offered: ReadonlySet<string>;

  constructor(
    private readonly commands: CommandBus,
    offered: readonly LlmToolSpec[],
    private readonly origin: Origin,
    private readonly context: ToolContext,
    private readonly logger: Logger,
  ) {
    this.offered = new Set(offered.map((t) => t.name));
  }

  async run(use: ToolUse): Promise<ToolResult> {
    if (!this.offered.has(use.name)) {
      const offered = [...this.offered].join(', ') || 'none';
      return failed(use, `the tool "${use.name.slice(0, 128)}" is not offered in this conversation (offered: ${offered}); it was not run`);
    }
    if (use.input === null || typeof use.input !== 'object' || Array.isArray(use.input)) {
      return failed(use, `the input of ${use.name} must be a JSON object matching its input_schema`);
    }
    try {
      // Nested: the conversation's own call holds the caller's concurrency slot.
      const outcome = await this.commands.execute(new ExecuteToolCommand(this.origin, use.name, use.input as Record<string, unknown>, this.context, undefined, true));
      if (isToolCallTask(outcome)) return failed(use, `${use.name} became a background task, which a conversation cannot wait for`);
      return { type: 'tool_result', toolUseId: use.id, content: textOf(outcome), isError: outcome.isError === true };
    } catch (error) {
      if (error instanceof ClientInterrupt) return failed(use, `${use.name} needs an answer from the client, which it cannot give inside a conversation`);
      if (error instanceof ApplicationError) return failed(use, error.message);
      this.logger.error('a conversation tool call failed unexpectedly', { tool: use.name, error: error instanceof Error ? error.stack : String(error) });
      return failed(use, `${use.name} failed unexpectedly; the details are in the server log`);
    }
  }
}

function failed(use: ToolUse, message: string): ToolResult {
  return { type: 'tool_result', toolUseId: use.id, content: `Error: ${message}`, isError: true };
}

/** What the model reads of a tool result: its text (embedded resources' text included), other media named. */
function textOf(result: ToolCallResult): string {
  const text = result.content.map(blockText).join('\n');
  if (text.length <= MAX_TOOL_RESULT_CHARS) return text;
  return `${text.slice(0, MAX_TOOL_RESULT_CHARS)}\n[cut: the result had ${text.length} characters; ask for less, e.g. a line range]`;
}

function blockText(block: ContentBlock): string {
  switch (block.type) {
    case 'text':
      return block.text;
    case 'resource':
      return block.resource.text ?? `[binary resource ${block.resource.uri}, not shown]`;
    default:
      return `[${block.type} content (${block.mimeType}), not shown]`;
  }
}
