import { connect, DeliverPolicy, type JsMsg, type NatsConnection as NatsClient } from 'nats';
import { decodeEnvelope } from './event-envelope.js';
import { describeNatsError, jsErrorCode, NatsAdapterError, redactNatsUrl } from './nats-errors.js';

export interface TailEventsOptions {
  readonly url: string;
  readonly stream: string;
  /** One NATS subject, wildcards allowed (`tfo.mcp.tool.>`). A single string: subject lists need NATS 2.10. */
  readonly subject?: string;
  /** `new`: only events stored after the tail started; `all`: everything the stream still holds first. */
  readonly deliver: 'new' | 'all';
  /** Receives one JSON document per event, without a trailing newline. */
  readonly output: (line: string) => void;
  readonly signal: AbortSignal;
  /** Called once the consumer exists: with `deliver: 'new'`, every event stored after this is printed. */
  readonly onReady?: () => void;
  readonly name?: string;
  readonly connectTimeoutMs?: number;
}

/** One output line: where the event sits in the stream, and the envelope as published. */
export interface TailLine {
  readonly stream_seq: number;
  readonly subject: string;
  readonly event?: unknown;
  /** Set instead of `event` when the message is not a tfo-mcp envelope (it is skipped, not fatal). */
  readonly error?: string;
}

/**
 * Follows the events stream with an ordered consumer (ephemeral, in-memory, recreated by the client
 * after a gap or reconnect) until `signal` aborts; resolves with the number of lines printed. Fails fast
 * if NATS is unreachable or the stream does not exist, since an operator is watching.
 */
export async function tailEvents(options: TailEventsOptions): Promise<{ printed: number }> {
  const client = await open(options);
  let printed = 0;
  try {
    await assertStream(client, options);
    if (options.signal.aborted) return { printed };
    const consumer = await client.jetstream().consumers.get(options.stream, {
      ...(options.subject !== undefined ? { filterSubjects: options.subject } : {}),
      // 'all' is the ordered consumer's default (start at sequence 1). Passing DeliverPolicy.All makes
      // nats@2.29 send it together with opt_start_seq, which the server refuses: consume() then retries for ~15 s.
      ...(options.deliver === 'new' ? { deliver_policy: DeliverPolicy.New } : {}),
    });
    const messages = await consumer.consume({ max_messages: 256, expires: 5_000 });
    const stop = () => void messages.stop();
    options.signal.addEventListener('abort', stop, { once: true });
    if (options.signal.aborted) stop();
    try {
      options.onReady?.();
      for await (const message of messages) {
        options.output(JSON.stringify(tailLine(message)));
        printed += 1;
      }
    } finally {
      options.signal.removeEventListener('abort', stop);
    }
    return { printed };
  } finally {
    await client.close().catch(() => undefined);
  }
}

export function tailLine(message: JsMsg): TailLine {
  const where = { stream_seq: message.seq, subject: message.subject };
  try {
    return { ...where, event: decodeEnvelope(message.data) };
  } catch (error) {
    return { ...where, error: describeNatsError(error) };
  }
}

async function open(options: TailEventsOptions): Promise<NatsClient> {
  try {
    return await connect({
      servers: options.url,
      name: options.name ?? 'tfo-mcp events tail',
      timeout: options.connectTimeoutMs ?? 5_000,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 1_000,
      reconnectJitter: 1_000,
    });
  } catch (error) {
    throw new NatsAdapterError('nats.unavailable', `NATS at ${redactNatsUrl(options.url)} is not reachable: ${describeNatsError(error)}`, { cause: error });
  }
}

async function assertStream(client: NatsClient, options: TailEventsOptions): Promise<void> {
  try {
    await (await client.jetstreamManager({ checkAPI: false })).streams.info(options.stream);
  } catch (error) {
    const reason = jsErrorCode(error) === 10059 ? 'does not exist' : `cannot be read: ${describeNatsError(error)}`;
    throw new NatsAdapterError('nats.stream_setup', `stream ${options.stream} on ${redactNatsUrl(options.url)} ${reason}`, { cause: error });
  }
}
