import type { Conversation, ConversationStopReason, TokenUsage } from '../../domain/conversation/conversation.js';
import type { Message, MessageContent } from '../../domain/conversation/message.js';
import { addUsage, ZERO_USAGE } from '../../domain/conversation/token-usage.js';
import { ClientInterrupt } from '../ports/client-requests.js';
import { LlmError, type LlmClient, type LlmResponse, type LlmToolSpec } from '../ports/llm-client.js';
import { estimateText, estimateTokens } from './token-estimate.js';
import type { TurnProgress } from './turn-progress.js';

type ToolUse = Extract<MessageContent, { type: 'tool_use' }>;
type ToolResult = Extract<MessageContent, { type: 'tool_result' }>;

/** Runs one tool_use and answers it; never throws for a tool's own failure (see ToolDispatcher). */
export interface ToolRunner {
  run(use: ToolUse): Promise<ToolResult>;
}

/** One turn's settings, decided by the handler. */
export interface TurnPlan {
  readonly llm: LlmClient;
  readonly model: string;
  readonly system: string;
  readonly maxTokens: number;
  readonly maxIterations: number;
  readonly tools: readonly LlmToolSpec[];
  readonly runner: ToolRunner;
  readonly contextBudgetTokens: number;
  /** The caller's cancel (or its time limit): aborts the model request and the tool running. */
  readonly signal: AbortSignal;
  readonly progress?: TurnProgress;
}

export interface TurnOutcome {
  readonly stopReason: ConversationStopReason;
  /** Model calls made in this turn. */
  readonly iterations: number;
  /** This turn's usage (the conversation keeps the running total). */
  readonly usage: TokenUsage;
  /** The model that answered last (the API may resolve an alias). */
  readonly model: string;
  /** The text of the turn's last answer. */
  readonly text: string;
  /** Tools the model asked for that the iteration cap left unrun. */
  readonly unrunTools: readonly string[];
  /** The most any request of the turn left out to fit the context budget. */
  readonly trimmedToolResults: number;
  readonly droppedMessages: number;
}

/**
 * The agentic loop of one turn, over a conversation whose user message is already added: call the
 * model with the budgeted history; while it asks for tools, run them (through ExecuteTool, by the
 * runner) and call it again with their results. It stops at the model's own stop (end_turn,
 * max_tokens, refusal…), at the iteration cap (`max_iterations`, with the tools it asked for left
 * unrun), on cancellation (`cancelled`) and when the history cannot be brought within the context
 * budget (`budget`): each is recorded as the turn's completion, never silently. A model error is
 * recorded as the turn's failure and rethrown; a ClientInterrupt (a stateless request waiting for
 * its client's answer) leaves untouched, and the handler does not save: the request runs again.
 * Written here rather than with the SDK's tool runner, which ends silently at its cap.
 */
export async function runTurn(conversation: Conversation, plan: TurnPlan): Promise<TurnOutcome> {
  const turn = new Turn(plan);
  try {
    for (;;) {
      if (plan.signal.aborted) return turn.end(conversation, 'cancelled');
      const window = turn.window(conversation);
      if (!window) return turn.end(conversation, 'budget');
      const response = await turn.call(window);
      turn.answered(conversation, response);
      const uses = response.content.filter((c): c is ToolUse => c.type === 'tool_use');
      if (response.stopReason !== 'tool_use' || uses.length === 0) return turn.end(conversation, response.stopReason);
      if (turn.iterations >= plan.maxIterations) return turn.end(conversation, 'max_iterations', uses);
      conversation.addMessage('user', await turn.runTools(uses));
    }
  } catch (error) {
    if (error instanceof ClientInterrupt) throw error;
    if (plan.signal.aborted || (error instanceof LlmError && error.code === 'llm.cancelled')) return turn.end(conversation, 'cancelled');
    turn.failed(conversation, error);
    throw error;
  }
}

class Turn {
  iterations = 0;
  private usage: TokenUsage = ZERO_USAGE;
  private model: string;
  private text = '';
  private trimmedToolResults = 0;
  private droppedMessages = 0;
  /** What the system prompt and tool definitions take out of the budget on every request. */
  private readonly fixedTokens: number;

  constructor(private readonly plan: TurnPlan) {
    this.model = plan.model;
    this.fixedTokens = estimateText(plan.system) + (plan.tools.length > 0 ? estimateText(JSON.stringify(plan.tools)) : 0);
  }

  /** The history to send, or undefined when even the policy's trimming cannot make it fit. */
  window(conversation: Conversation): readonly Message[] | undefined {
    const available = Math.max(0, this.plan.contextBudgetTokens - this.fixedTokens);
    const window = conversation.contextWithin(available, estimateTokens);
    this.trimmedToolResults = Math.max(this.trimmedToolResults, window.trimmedToolResults);
    this.droppedMessages = Math.max(this.droppedMessages, window.droppedMessages);
    const tokens = window.messages.reduce((sum, m) => sum + m.content.reduce((s, c) => s + estimateTokens(c), 0), 0);
    return window.messages.length > 0 && tokens <= available ? window.messages : undefined;
  }

  async call(messages: readonly Message[]): Promise<LlmResponse> {
    const { plan } = this;
    this.iterations += 1;
    try {
      return await plan.llm.complete({
        model: plan.model,
        system: plan.system,
        messages: messages.map((m) => ({ role: m.role, content: m.content })),
        ...(plan.tools.length > 0 ? { tools: plan.tools } : {}),
        maxTokens: plan.maxTokens,
        signal: plan.signal,
        ...(plan.progress ? { onText: plan.progress.text } : {}),
      });
    } finally {
      plan.progress?.flush();
    }
  }

  answered(conversation: Conversation, response: LlmResponse): void {
    conversation.addUsage(response.usage);
    this.usage = addUsage(this.usage, response.usage);
    this.model = response.model;
    // An empty answer (the API sends one now and then) is not a message; the turn's end repairs the transcript.
    if (response.content.length > 0) conversation.addMessage('assistant', response.content);
    this.text = response.content.flatMap((c) => (c.type === 'text' ? [c.text] : [])).join('\n');
  }

  /** One at a time, in the model's order: a later call may depend on an earlier one's effect. */
  async runTools(uses: readonly ToolUse[]): Promise<ToolResult[]> {
    const results: ToolResult[] = [];
    for (const use of uses) {
      if (this.plan.signal.aborted) {
        results.push({ type: 'tool_result', toolUseId: use.id, content: 'not run: the request was cancelled', isError: true });
        continue;
      }
      this.plan.progress?.toolCall(use.name);
      results.push(await this.plan.runner.run(use));
    }
    return results;
  }

  end(conversation: Conversation, stopReason: ConversationStopReason, unrun: readonly ToolUse[] = []): TurnOutcome {
    conversation.complete({ stopReason, iterations: this.iterations, model: this.model, usage: this.usage });
    return {
      stopReason,
      iterations: this.iterations,
      usage: this.usage,
      model: this.model,
      text: this.text,
      unrunTools: unrun.map((u) => u.name),
      trimmedToolResults: this.trimmedToolResults,
      droppedMessages: this.droppedMessages,
    };
  }

  failed(conversation: Conversation, error: unknown): void {
    const known = error instanceof LlmError;
    conversation.fail({
      code: known ? error.code : 'internal',
      message: known ? error.message : 'the turn failed unexpectedly; the details are in the server log',
      retryable: known ? error.retryable : true,
      iterations: this.iterations,
      usage: this.usage,
      model: this.model,
    });
  }
}
