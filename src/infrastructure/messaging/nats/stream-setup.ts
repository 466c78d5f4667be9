import { DiscardPolicy, nanos, RetentionPolicy, StorageType, type JetStreamManager, type StreamConfig, type StreamInfo } from 'nats';
import { describeNatsError, jsErrorCode, NatsAdapterError } from './nats-errors.js';

export interface StreamOptions {
  readonly name: string;
  /** The stream captures `${subjectPrefix}.>`. */
  readonly subjectPrefix: string;
  readonly retention: 'limits' | 'interest' | 'workqueue';
  /** 0 keeps messages until another limit removes them. */
  readonly maxAgeMs: number;
  /** Publishes with a `Nats-Msg-Id` seen within this window are acknowledged but not stored again. */
  readonly duplicateWindowMs: number;
  readonly storage: 'file' | 'memory';
}

export type EnsureStreamOutcome = 'created' | 'updated' | 'unchanged';

const STREAM_NOT_FOUND = 10059;
const STREAM_NAME_IN_USE = 10058;

const RETENTION = { limits: RetentionPolicy.Limits, interest: RetentionPolicy.Interest, workqueue: RetentionPolicy.Workqueue } as const;
const STORAGE = { file: StorageType.File, memory: StorageType.Memory } as const;

export function streamSubject(subjectPrefix: string): string {
  return `${subjectPrefix}.>`;
}

/**
 * Creates the events stream, or brings an existing one to the configured subject, max age and
 * duplicate window. Idempotent, and safe when several instances start at once (the server accepts an
 * identical `add` twice; a lost race falls back to the update path). Subjects an operator added are kept.
 * Retention and storage cannot change in place: a mismatch is an error naming both values.
 */
export async function ensureStream(jsm: JetStreamManager, options: StreamOptions): Promise<EnsureStreamOutcome> {
  validate(options);
  for (let attempt = 0; attempt < 3; attempt += 1) {
    const info = await currentInfo(jsm, options);
    if (!info) {
      try {
        await jsm.streams.add(desiredConfig(options));
        return 'created';
      } catch (error) {
        if (jsErrorCode(error) === STREAM_NAME_IN_USE) continue;
        throw setupError(options, 'create', error);
      }
    }
    assertCompatible(info.config, options);
    const patch = changes(info.config, options);
    if (Object.keys(patch).length === 0) return 'unchanged';
    try {
      await jsm.streams.update(options.name, patch);
      return 'updated';
    } catch (error) {
      throw setupError(options, 'update', error);
    }
  }
  throw new NatsAdapterError('nats.stream_setup', `stream ${options.name}: gave up after concurrent changes by another client`);
}

export function desiredConfig(options: StreamOptions): Partial<StreamConfig> & { name: string } {
  return {
    name: options.name,
    subjects: [streamSubject(options.subjectPrefix)],
    retention: RETENTION[options.retention],
    storage: STORAGE[options.storage],
    max_age: nanos(options.maxAgeMs),
    duplicate_window: nanos(options.duplicateWindowMs),
    discard: DiscardPolicy.Old,
    num_replicas: 1,
  };
}

function validate(options: StreamOptions): void {
  if (options.maxAgeMs > 0 && options.duplicateWindowMs > options.maxAgeMs) {
    throw new NatsAdapterError(
      'nats.stream_setup',
      `stream ${options.name}: duplicate_window_ms (${options.duplicateWindowMs}) must not exceed max_age_ms (${options.maxAgeMs})`,
    );
  }
}

async function currentInfo(jsm: JetStreamManager, options: StreamOptions): Promise<StreamInfo | undefined> {
  try {
    return await jsm.streams.info(options.name);
  } catch (error) {
    if (jsErrorCode(error) === STREAM_NOT_FOUND) return undefined;
    throw setupError(options, 'read', error);
  }
}

function assertCompatible(config: StreamConfig, options: StreamOptions): void {
  const mismatches: string[] = [];
  if (config.retention !== RETENTION[options.retention]) mismatches.push(`retention is ${config.retention}, config asks ${options.retention}`);
  if (config.storage !== STORAGE[options.storage]) mismatches.push(`storage is ${config.storage}, config asks ${options.storage}`);
  if (mismatches.length === 0) return;
  throw new NatsAdapterError(
    'nats.stream_setup',
    `stream ${options.name} exists but ${mismatches.join('; ')}: NATS cannot change these in place ` +
      '(recreate the stream, or align events.nats in the config)',
  );
}

function changes(config: StreamConfig, options: StreamOptions): Partial<StreamConfig> {
  const wanted = desiredConfig(options);
  const patch: Partial<StreamConfig> = {};
  const subject = streamSubject(options.subjectPrefix);
  if (!(config.subjects ?? []).includes(subject)) patch.subjects = [...(config.subjects ?? []), subject];
  if (config.max_age !== wanted.max_age) patch.max_age = wanted.max_age;
  if (config.duplicate_window !== wanted.duplicate_window) patch.duplicate_window = wanted.duplicate_window;
  return patch;
}

function setupError(options: StreamOptions, action: 'read' | 'create' | 'update', cause: unknown): NatsAdapterError {
  return new NatsAdapterError(
    'nats.stream_setup',
    `cannot ${action} stream ${options.name} (subjects ${streamSubject(options.subjectPrefix)}): ${describeNatsError(cause)}`,
    { cause },
  );
}
