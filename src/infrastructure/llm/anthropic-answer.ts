import type Anthropic from '@anthropic-ai/sdk';
import { LlmError, type LlmResponse, type LlmStopReason, type LlmUsage } from '../../application/ports/llm-client.js';
import type { MessageContent } from '../../domain/conversation/message.js';

type Block =
  | { readonly kind: 'text'; text: string }
  | { readonly kind: 'tool_use'; readonly id: string; readonly name: string; readonly start: unknown; json: string }
  /** Blocks we never ask for (thinking, server tools): kept out of the transcript. */
  | { readonly kind: 'other' };

/**
 * Folds the events of one streamed answer (message_start, content_block_start/delta/stop,
 * message_delta, message_stop) into the port's response. Text deltas go to `onText` as they arrive.
 */
export class AnswerAccumulator {
  private readonly blocks: Block[] = [];
  private model: string;
  private stopReason: string | null = null;
  private usage = { input: 0, output: 0, cacheRead: 0, cacheCreation: 0 };
  private stopped = false;

  constructor(
    requestedModel: string,
    private readonly onText: (delta: string) => void = () => undefined,
  ) {
    this.model = requestedModel;
  }

  accept(event: Anthropic.RawMessageStreamEvent): void {
    switch (event.type) {
      case 'message_start':
        this.model = event.message.model || this.model;
        this.addUsage(event.message.usage);
        return;
      case 'content_block_start':
        this.blocks[event.index] = startBlock(event.content_block);
        if (event.content_block.type === 'text' && event.content_block.text) this.onText(event.content_block.text);
        return;
      case 'content_block_delta':
        this.delta(event.index, event.delta);
        return;
      case 'content_block_stop':
        return;
      case 'message_delta':
        this.stopReason = event.delta.stop_reason ?? this.stopReason;
        this.addUsage(event.usage);
        return;
      case 'message_stop':
        this.stopped = true;
        return;
    }
  }

  /** The whole answer; an answer cut off before message_stop is an error, never half a transcript. */
  response(): LlmResponse {
    if (!this.stopped) throw new LlmError('llm.unavailable', 'the API closed the stream before the answer was complete', true);
    const stopReason = stopReasonOf(this.stopReason);
    return { content: this.content(stopReason), stopReason, usage: this.finalUsage(), model: this.model };
  }

  private delta(index: number, delta: Anthropic.RawContentBlockDelta): void {
    const block = this.blocks[index];
    if (block?.kind === 'text' && delta.type === 'text_delta') {
      block.text += delta.text;
      this.onText(delta.text);
    } else if (block?.kind === 'tool_use' && delta.type === 'input_json_delta') {
      block.json += delta.partial_json;
    }
  }

  /**
   * Empty text blocks are dropped (the API refuses them when the history is sent back). A tool call
   * whose input was cut off by max_tokens is dropped too: it cannot run, and the API would refuse a
   * half input; any other unparseable input is the API's fault and fails the call.
   */
  private content(stopReason: LlmStopReason): MessageContent[] {
    const content: MessageContent[] = [];
    for (const block of this.blocks) {
      if (block?.kind === 'text' && block.text !== '') content.push({ type: 'text', text: block.text });
      if (block?.kind !== 'tool_use') continue;
      const input = parseInput(block);
      if (input.ok) content.push({ type: 'tool_use', id: block.id, name: block.name, input: input.value });
      else if (stopReason !== 'max_tokens') throw new LlmError('llm.unavailable', `the API sent tool call ${block.name} with an input that is not JSON`, true);
    }
    return content;
  }

  /** message_start has the input figures; message_delta repeats them (or null) with the final output count. */
  private addUsage(usage: Partial<Anthropic.Usage> | Partial<Anthropic.MessageDeltaUsage> | null | undefined): void {
    if (!usage) return;
    this.usage = {
      input: usage.input_tokens ?? this.usage.input,
      output: usage.output_tokens ?? this.usage.output,
      cacheRead: usage.cache_read_input_tokens ?? this.usage.cacheRead,
      cacheCreation: usage.cache_creation_input_tokens ?? this.usage.cacheCreation,
    };
  }

  private finalUsage(): LlmUsage {
    const { input, output, cacheRead, cacheCreation } = this.usage;
    return { inputTokens: input, outputTokens: output, cacheReadInputTokens: cacheRead, cacheCreationInputTokens: cacheCreation };
  }
}

function startBlock(block: Anthropic.RawContentBlockStartEvent['content_block']): Block {
  if (block.type === 'text') return { kind: 'text', text: block.text ?? '' };
  if (block.type === 'tool_use') return { kind: 'tool_use', id: block.id, name: block.name, start: block.input, json: '' };
  return { kind: 'other' };
}

function parseInput(block: Extract<Block, { kind: 'tool_use' }>): { ok: true; value: unknown } | { ok: false } {
  if (block.json.trim() === '') return { ok: true, value: block.start ?? {} };
  try {
    return { ok: true, value: JSON.parse(block.json) as unknown };
  } catch {
    return { ok: false };
  }
}

const STOP_REASONS: ReadonlySet<string> = new Set<LlmStopReason>(['end_turn', 'tool_use', 'max_tokens', 'stop_sequence', 'refusal', 'pause_turn']);

/** model_context_window_exceeded cut the answer short as max_tokens does; anything newer is `other`. */
export function stopReasonOf(reason: string | null): LlmStopReason {
  if (reason === 'model_context_window_exceeded') return 'max_tokens';
  return reason !== null && STOP_REASONS.has(reason) ? (reason as LlmStopReason) : 'other';
}
