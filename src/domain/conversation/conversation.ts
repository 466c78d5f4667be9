import { AggregateRoot } from '../shared/aggregate-root.js';
import { domainEvent, type EventActor, type EventMeta } from '../shared/domain-event.js';
import { DomainError } from '../shared/domain-error.js';
import type { EventMetaSource } from '../shared/event-meta-source.js';
import { contextWithin, type ContextWindow, type TokenEstimate } from './context-budget.js';
import type { ConversationEvent } from './conversation.events.js';
import { Message, type MessageContent, type MessageRole, type MessageSnapshot } from './message.js';
import { addUsage, checkedUsage, ZERO_USAGE, type ConversationStatus, type ConversationStopReason, type TokenUsage } from './token-usage.js';
import { pairingError, titleOf } from './transcript-rules.js';

export type { ConversationStatus, ConversationStopReason, TokenUsage } from './token-usage.js';

export interface StartConversation {
  readonly id: string;
  readonly ownerId: string;
  readonly model: string;
  readonly system?: string;
  /** Where the conversation began, for event metadata only; never a key (clients lose sessions). */
  readonly sessionId?: string;
  /** Who started it, for the events (absent: the anonymous caller). */
  readonly actor?: EventActor;
}

/** Plain JSON for repositories; `version` counts the saves that committed (0: never stored). */
export interface ConversationSnapshot {
  readonly id: string;
  readonly ownerId: string;
  readonly model: string;
  readonly system?: string;
  readonly status: ConversationStatus;
  readonly usage: TokenUsage;
  readonly messages: readonly MessageSnapshot[];
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly version: number;
}

const AGGREGATE = 'conversation';
const FAILURE_MESSAGE_LIMIT = 500;

/**
 * A dialogue with a model, owned by a principal and continued by its id from any connection. Roles
 * alternate as the Messages API requires, every tool_use is answered by the next message, and a turn
 * that ends any other way than with an answer is repaired at its end (see `settle`), so the stored
 * transcript is always a valid request for the next turn.
 */
export class Conversation extends AggregateRoot<ConversationEvent> {
  readonly id: string;
  readonly ownerId: string;
  private readonly modelName: string;
  private readonly systemPrompt: string | undefined;
  private readonly created: Date;
  private readonly messages: Message[];
  private currentStatus: ConversationStatus;
  private totals: TokenUsage;
  private updated: Date;
  private storedVersion: number;
  private eventSession: string | undefined;
  private eventActor: EventActor | undefined;

  private constructor(
    snapshot: ConversationSnapshot,
    private readonly meta: EventMetaSource,
  ) {
    super();
    this.id = snapshot.id;
    this.ownerId = snapshot.ownerId;
    this.modelName = snapshot.model;
    this.systemPrompt = snapshot.system;
    this.created = new Date(snapshot.createdAt);
    this.messages = snapshot.messages.map((m) => Message.restore(m));
    this.currentStatus = snapshot.status;
    this.totals = { ...snapshot.usage };
    this.updated = new Date(snapshot.updatedAt);
    this.storedVersion = snapshot.version;
  }

  static start(input: StartConversation, meta: EventMetaSource): Conversation {
    for (const [field, value] of [['id', input.id], ['ownerId', input.ownerId], ['model', input.model]] as const) {
      if (value.trim().length === 0) throw new DomainError('value.invalid', `a conversation needs a non-empty ${field}`);
    }
    const system = input.system?.trim() ? input.system : undefined;
    const m = meta();
    const at = m.occurredAt.toISOString();
    const conversation = new Conversation(
      { id: input.id, ownerId: input.ownerId, model: input.model, ...(system !== undefined ? { system } : {}), status: 'active', usage: ZERO_USAGE, messages: [], createdAt: at, updatedAt: at, version: 0 },
      meta,
    );
    conversation.eventSession = input.sessionId;
    conversation.eventActor = input.actor;
    conversation.record(
      domainEvent(AGGREGATE, input.id, 'conversation.started', { model: input.model, ownerId: input.ownerId, hasSystem: system !== undefined }, m, input.sessionId, undefined, input.actor),
    );
    return conversation;
  }

  /** A stored conversation, as it was saved; records nothing. */
  static restore(snapshot: ConversationSnapshot, meta: EventMetaSource): Conversation {
    return new Conversation(snapshot, meta);
  }

  snapshot(): ConversationSnapshot {
    return {
      id: this.id,
      ownerId: this.ownerId,
      model: this.modelName,
      ...(this.systemPrompt !== undefined ? { system: this.systemPrompt } : {}),
      status: this.currentStatus,
      usage: { ...this.totals },
      messages: this.messages.map((m) => m.toJSON()),
      createdAt: this.created.toISOString(),
      updatedAt: this.updated.toISOString(),
      version: this.storedVersion,
    };
  }

  get model(): string {
    return this.modelName;
  }

  get system(): string | undefined {
    return this.systemPrompt;
  }

  get status(): ConversationStatus {
    return this.currentStatus;
  }

  /** Cumulative over all turns. */
  get usage(): TokenUsage {
    return { ...this.totals };
  }

  get history(): readonly Message[] {
    return this.messages;
  }

  get createdAt(): Date {
    return new Date(this.created);
  }

  get updatedAt(): Date {
    return new Date(this.updated);
  }

  /** The first user text, whitespace collapsed, at most 80 characters: how a list names it. */
  get title(): string {
    return titleOf(this.messages);
  }

  /** Saves committed so far; a repository refuses a save over a version another save moved past. */
  get version(): number {
    return this.storedVersion;
  }

  /** Called by a repository once a save committed: the version the next save must find. */
  stored(version: number): void {
    this.storedVersion = version;
  }

  /**
   * Events recorded from now on carry this session id (the connection of the current turn), or
   * none, and this actor (the caller of the current turn), or none.
   */
  setEventOrigin(sessionId: string | undefined, actor?: EventActor): void {
    this.eventSession = sessionId;
    this.eventActor = actor;
  }

  /**
   * Adds a message. A user message starts a turn (status back to active); inside a turn, the user
   * message after an assistant tool_use carries one tool_result per tool_use, before any other block.
   */
  addMessage(role: MessageRole, content: readonly MessageContent[]): Message {
    this.assertOpen();
    const last = this.messages[this.messages.length - 1];
    if (!last && role !== 'user') throw new DomainError('conversation.invalid_message', 'a conversation starts with a user message');
    if (last?.role === role) throw new DomainError('conversation.invalid_message', `two ${role} messages in a row; roles must alternate`);
    const pairing = pairingError(last, role, content);
    if (pairing) throw new DomainError('conversation.invalid_message', pairing);
    const m = this.meta();
    const message = Message.create(m.id, role, content, m.occurredAt);
    this.append(message, m);
    if (role === 'user') this.currentStatus = 'active';
    return message;
  }

  /** Adds one model call's usage to the totals; the completed/failed event carries the turn's usage. */
  addUsage(usage: TokenUsage): void {
    this.assertOpen();
    this.totals = addUsage(this.totals, checkedUsage(usage));
  }

  /** Ends a turn: status completed, active again at the next user message. */
  complete(turn: { stopReason: ConversationStopReason; iterations: number; model: string; usage: TokenUsage }): void {
    this.assertTurn();
    const usage = checkedUsage(turn.usage);
    const iterations = checkedCount(turn.iterations);
    this.settle(`the turn ended (${turn.stopReason})`);
    this.currentStatus = 'completed';
    const m = this.touch();
    const model = turn.model.trim() ? turn.model : this.modelName;
    this.record(domainEvent(AGGREGATE, this.id, 'conversation.completed', { stopReason: turn.stopReason, iterations, model, usage }, m, this.eventSession, undefined, this.eventActor));
  }

  /**
   * A turn failed: status failed. The transcript is repaired (see `settle`) so the next turn's
   * request is valid. `model` is the model the turn asked (default: the conversation's).
   */
  fail(error: { code: string; message: string; retryable: boolean; iterations: number; usage: TokenUsage; model?: string }): void {
    this.assertTurn();
    const usage = checkedUsage(error.usage);
    const iterations = checkedCount(error.iterations);
    this.settle(`the turn failed (${error.code})`);
    this.currentStatus = 'failed';
    const m = this.touch();
    const data = {
      code: error.code,
      message: Array.from(error.message).slice(0, FAILURE_MESSAGE_LIMIT).join(''),
      retryable: error.retryable,
      iterations,
      usage,
      model: error.model?.trim() ? error.model : this.modelName,
    };
    this.record(domainEvent(AGGREGATE, this.id, 'conversation.failed', data, m, this.eventSession, undefined, this.eventActor));
  }

  /** Ends the conversation for good; no message may follow. Idempotent. */
  close(): void {
    if (this.currentStatus === 'closed') return;
    this.currentStatus = 'closed';
    const m = this.touch();
    this.record(domainEvent(AGGREGATE, this.id, 'conversation.closed', { messages: this.messages.length, usage: { ...this.totals } }, m, this.eventSession, undefined, this.eventActor));
  }

  /** The messages to send within a context budget; the policy is `contextWithin`'s. Pure. */
  contextWithin(budgetTokens: number, estimate: TokenEstimate): ContextWindow {
    return contextWithin(this.messages, budgetTokens, estimate);
  }

  /**
   * The repair at the end of a turn that did not end with an answer (a failure, a cancel, the
   * iteration cap): 1. an assistant tool_use left unanswered gets a user message of error
   * tool_results ("not run: …"), since the API refuses a tool_use without its result; 2. a
   * transcript that then ends with a user message (a question or tool results the model never saw)
   * gets an assistant text "[no answer: …]", so the next turn's user message keeps roles
   * alternating and the model can see the previous turn got no answer. Both are ordinary messages
   * (with message_added events); nothing stored is ever removed or rewritten.
   */
  private settle(why: string): void {
    const last = this.messages[this.messages.length - 1];
    const unanswered = last?.role === 'assistant' ? last.content.flatMap((c) => (c.type === 'tool_use' ? [c.id] : [])) : [];
    if (unanswered.length > 0) {
      const results = unanswered.map((toolUseId): MessageContent => ({ type: 'tool_result', toolUseId, content: `not run: ${why}`, isError: true }));
      this.repairWith('user', results);
    }
    if (this.messages[this.messages.length - 1]?.role === 'user') this.repairWith('assistant', [{ type: 'text', text: `[no answer: ${why}]` }]);
  }

  private repairWith(role: MessageRole, content: readonly MessageContent[]): void {
    const m = this.meta();
    this.append(Message.create(m.id, role, content, m.occurredAt), m);
  }

  private append(message: Message, m: EventMeta): void {
    this.messages.push(message);
    this.updated = m.occurredAt;
    const toolNames = message.content.flatMap((c) => (c.type === 'tool_use' ? [c.name] : []));
    const data = {
      messageId: message.id,
      role: message.role,
      contentTypes: message.content.map((c) => c.type),
      ...(toolNames.length > 0 ? { toolNames } : {}),
    };
    this.record(domainEvent(AGGREGATE, this.id, 'conversation.message_added', data, m, this.eventSession, undefined, this.eventActor));
  }

  private touch(): EventMeta {
    const m = this.meta();
    this.updated = m.occurredAt;
    return m;
  }

  private assertOpen(): void {
    if (this.currentStatus === 'closed') throw new DomainError('conversation.closed', `conversation ${this.id.slice(0, 80)} is closed; start a new one`);
  }

  private assertTurn(): void {
    this.assertOpen();
    if (this.currentStatus !== 'active') {
      throw new DomainError('conversation.invalid_message', `no turn is running (the last one ${this.currentStatus}); a turn starts with a user message`);
    }
  }
}

function checkedCount(value: number): number {
  if (!Number.isSafeInteger(value) || value < 0) throw new DomainError('value.invalid', `iterations must be a non-negative integer, got ${value}`);
  return value;
}
