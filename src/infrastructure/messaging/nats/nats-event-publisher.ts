import type { JetStreamClient } from 'nats';
import type { EventPublisher } from '../../../application/ports/event-publisher.js';
import type { DomainEvent } from '../../../domain/shared/domain-event.js';
import { encodeEnvelope, envelopeHeaders, subjectFor, toEnvelope } from './event-envelope.js';
import type { NatsConnection } from './nats-connection.js';
import { describeNatsError, NatsAdapterError } from './nats-errors.js';
import { ensureStream, type StreamOptions } from './stream-setup.js';

export interface NatsEventPublisherOptions {
  /** Subjects are `${subjectPrefix}.${type}.v${version}`. */
  readonly subjectPrefix: string;
  /** The envelope's `source` (config `events.source`). */
  readonly source: string;
  /** Bounds both the wait for a connection and each PubAck. Default 5000. */
  readonly ackTimeoutMs?: number;
  /** Publishes awaiting their PubAck at once. Default 128. */
  readonly maxInFlight?: number;
  /**
   * When given, the stream is ensured before the first publish (and again after a "no responders"
   * reply), so a server that was down at start-up still gets its stream; every PubAck must also
   * come from this stream.
   */
  readonly stream?: StreamOptions;
}

interface Prepared {
  readonly event: DomainEvent;
  readonly subject: string;
  readonly body: Uint8Array;
}

interface Failure {
  readonly item: Prepared;
  readonly error: unknown;
}

/**
 * Publishes a batch to JetStream and resolves only when every event has its PubAck. `Nats-Msg-Id`
 * is the event id, so the relay's retry of a partly published batch stores nothing twice within the
 * stream's duplicate window. Publishes are issued in batch order on one connection (so the stream
 * keeps that order) and pipelined; after the first failure no further event is sent, which keeps
 * each aggregate's events in order when the relay retries.
 */
export class NatsEventPublisher implements EventPublisher {
  private streamReady = false;

  constructor(
    private readonly connection: NatsConnection,
    private readonly options: NatsEventPublisherOptions,
  ) {}

  async publish(events: readonly DomainEvent[]): Promise<void> {
    if (events.length === 0) return;
    const prepared = events.map((event) => this.prepare(event));
    const timeout = this.options.ackTimeoutMs ?? 5_000;
    const js = await this.connection.jetstream(timeout).catch((error: unknown) => {
      throw this.failed(events.length, `${describeNatsError(error)}`, error);
    });
    if (this.options.stream && !this.streamReady) {
      await ensureStream(await this.connection.jetstreamManager(timeout), this.options.stream);
      this.streamReady = true;
    }
    const failures = await this.publishAll(js, prepared, timeout);
    if (failures.length === 0) return;
    if (failures.some((failure) => (failure.error as { code?: unknown }).code === '503')) this.streamReady = false;
    const first = failures[0];
    throw this.failed(
      events.length,
      `${failures.length} rejected, first ${first.item.event.id} (${first.item.subject}): ${describeNatsError(first.error)}`,
      first.error,
    );
  }

  private prepare(event: DomainEvent): Prepared {
    return {
      event,
      subject: subjectFor(this.options.subjectPrefix, event.type, event.version),
      body: encodeEnvelope(toEnvelope(event, this.options.source)),
    };
  }

  private async publishAll(js: JetStreamClient, prepared: readonly Prepared[], timeout: number): Promise<Failure[]> {
    const failures: Failure[] = [];
    const expect = this.options.stream ? { streamName: this.options.stream.name } : undefined;
    let next = 0;
    // Each worker calls js.publish synchronously when it takes an index, so sends happen in index order.
    const worker = async (): Promise<void> => {
      while (failures.length === 0 && next < prepared.length) {
        const item = prepared[next];
        next += 1;
        try {
          await js.publish(item.subject, item.body, {
            msgID: item.event.id,
            headers: envelopeHeaders(item.event),
            timeout,
            ...(expect ? { expect } : {}),
          });
        } catch (error) {
          failures.push({ item, error });
        }
      }
    };
    const workers = Math.min(this.options.maxInFlight ?? 128, prepared.length);
    await Promise.all(Array.from({ length: workers }, () => worker()));
    return failures;
  }

  private failed(batch: number, reason: string, cause: unknown): NatsAdapterError {
    const stream = this.options.stream ? ` stream ${this.options.stream.name}` : '';
    return new NatsAdapterError(
      'nats.publish_failed',
      `publishing ${batch} event(s) to NATS at ${this.connection.status().server}${stream} failed: ${reason}`,
      { cause },
    );
  }
}
