import type { DomainEvent } from '../../src/domain/shared/domain-event.js';
import { decodeEnvelope, fromEnvelope } from '../../src/infrastructure/messaging/nats/event-envelope.js';
import { NatsConnection } from '../../src/infrastructure/messaging/nats/nats-connection.js';
import { NatsEventPublisher } from '../../src/infrastructure/messaging/nats/nats-event-publisher.js';
import { ensureStream } from '../../src/infrastructure/messaging/nats/stream-setup.js';
import { InMemoryEventPublisher } from '../../src/infrastructure/messaging/memory/in-memory-event-publisher.js';
import { RecordingLogger } from '../support/builders.js';
import { withServices } from '../support/with-services.js';
import { addDurable, adminClient, deleteStream, NATS_URL, pullDurable, testStreamOptions } from '../integration/nats/nats-test-support.js';
import { eventPublisherContract } from './event-publisher.contract.js';

eventPublisherContract(
  'InMemoryEventPublisher',
  async () => {
    const publisher = new InMemoryEventPublisher(1_000);
    const seen: DomainEvent[] = [];
    publisher.subscribe((event) => void seen.push(event));
    return {
      publisher,
      observe: async () => [...seen],
      acceptedCount: async () => publisher.recent().length,
      dispose: async () => undefined,
    };
  },
);

withServices(eventPublisherContract)(
  'NatsEventPublisher',
  async () => {
    const admin = await adminClient();
    const stream = testStreamOptions();
    await ensureStream(admin.jsm, stream);
    const durable = await addDurable(admin.jsm, stream.name);
    const connection = new NatsConnection({ url: NATS_URL, name: 'tfo-mcp contract' }, new RecordingLogger());
    connection.start();
    const publisher = new NatsEventPublisher(connection, { subjectPrefix: stream.subjectPrefix, source: 'tfo-mcp-contract', stream, ackTimeoutMs: 2_000 });
    const seen: DomainEvent[] = [];
    return {
      publisher,
      observe: async (count) => {
        for (const message of await pullDurable(admin.js, stream.name, durable, count - seen.length)) {
          const envelope = decodeEnvelope(message.data);
          // The dedupe key travels as a header and must be the event id.
          expect(message.headers?.get('Nats-Msg-Id')).toBe(envelope.id);
          seen.push(fromEnvelope(envelope));
        }
        return [...seen];
      },
      acceptedCount: async () => (await admin.jsm.streams.info(stream.name)).state.messages,
      dispose: async () => {
        await connection.close();
        await deleteStream(admin.jsm, stream.name);
        await admin.nc.close();
      },
    };
  },
);
