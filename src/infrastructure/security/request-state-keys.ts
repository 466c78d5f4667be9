import { randomBytes } from 'node:crypto';
import { createRequestStateCodec, type RequestStateCodec, type ServerContext } from '@modelcontextprotocol/server';
import { ApplicationError } from '../../application/application.errors.js';
import type { Logger } from '../../application/ports/logger.js';
import type { RequestStateSealer } from '../../application/ports/request-state.js';

export interface RequestStateKeysOptions {
  /** HMAC keys, newest first, each at least 32 bytes (`mcp.request_state.keys`); none = one random key per process. */
  readonly keys: readonly string[];
  /** How long a sealed state stays valid (`mcp.request_state.ttl_seconds`). */
  readonly ttlSeconds: number;
}

type Refusal = 'malformed' | 'signature' | 'expired' | 'binding';

/** The client reads these (-32602); none carries the payload, the binding or a key. */
const REFUSALS: Readonly<Record<Refusal, string>> = {
  malformed: 'requestState is malformed',
  signature: 'requestState signature does not match (altered, or signed with a key this server no longer holds)',
  expired: 'requestState has expired; send the request again without it',
  binding: 'requestState was issued for another request or principal',
};

/** The SDK codec's fixed failure messages (`verify` throws `Error('mac')` etc.), in our words. */
const SDK_REASONS: Readonly<Record<string, Refusal>> = { malformed: 'malformed', mac: 'signature', expired: 'expired', bind: 'binding' };

/** Far beyond any state we seal; a longer string is refused before any base64 or HMAC work. */
const MAX_STATE_CHARS = 1024 * 1024;
/** The codec's wire shape, strictly: its base64 decoder would also accept padding and whitespace. */
const WIRE_SHAPE = /^v1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/**
 * Adaptation to the SDK codec, kept to this file: `createRequestStateCodec` takes its binding from
 * the handler's `ServerContext` through its `bind` callback. We bind to a plain string instead (the
 * caller builds it with `requestStateBinding`), so the "context" handed to `mint`/`verify` is a
 * carrier object holding only that string under a private symbol. This is safe because the codec
 * (2.4.0, `requestStateCodec.ts`) never reads `ctx` itself: it passes it to `bind` and nothing else.
 */
const BINDING = Symbol('tfo.requestStateBinding');
type BindingCarrier = { readonly [BINDING]: string };

function contextFor(binding: string): ServerContext {
  const carrier: BindingCarrier = { [BINDING]: binding };
  return carrier as unknown as ServerContext;
}

function bindingOf(ctx: ServerContext): string {
  const binding = (ctx as unknown as Partial<BindingCarrier>)[BINDING];
  if (typeof binding !== 'string') throw new TypeError('request state codec called without a binding carrier');
  return binding;
}

interface KeyRing {
  /** One codec per key, newest first: the first seals, every one may open. */
  readonly codecs: readonly RequestStateCodec<Record<string, unknown>>[];
  readonly ttlSeconds: number;
  readonly ephemeral: boolean;
}

/**
 * HMAC-SHA256 `requestState` over the SDK's codec, with rotation: states are sealed with the first
 * key and opened with any configured key. Across replicas an operator goes `[old, new]` everywhere,
 * then `[new, old]`, then `[new]` after the ttl, so no replica seals with a key another cannot open
 * yet. `replaceKeys` (config reload) swaps the key ring in one assignment, without a restart. A ttl
 * change applies to states sealed afterwards (the expiry is inside the state).
 * Its cost per call, beside the bare SDK codec's: see ADR 006.
 */
export class RequestStateKeys implements RequestStateSealer {
  private ring: KeyRing;
  private ephemeralKey: Uint8Array | undefined;

  constructor(options: RequestStateKeysOptions, private readonly logger: Logger) {
    this.ring = this.ringFor(options.keys, options.ttlSeconds, false);
  }

  /** How many keys open states (0 = the per-process random key). */
  get keyCount(): number {
    return this.ring.ephemeral ? 0 : this.ring.codecs.length;
  }

  /**
   * Swaps the keys (newest first) at once; a state being opened meanwhile uses the ring it started
   * with. Throws (keeping the current keys) when a key is shorter than 32 bytes.
   */
  replaceKeys(keys: readonly string[], ttlSeconds: number = this.ring.ttlSeconds): void {
    this.ring = this.ringFor(keys, ttlSeconds, !this.ring.ephemeral);
  }

  async seal(payload: Readonly<Record<string, unknown>>, binding: string): Promise<string> {
    return this.ring.codecs[0].mint(payload, contextFor(binding));
  }

  async open(state: string, binding: string): Promise<Record<string, unknown>> {
    if (typeof state !== 'string' || state.length > MAX_STATE_CHARS || !WIRE_SHAPE.test(state)) throw refused('malformed');
    const { codecs } = this.ring;
    const ctx = contextFor(binding);
    let lastError: unknown;
    for (const codec of codecs) {
      try {
        return payloadOf(await codec.verify(state, ctx));
      } catch (error) {
        const refusal = refusalOf(error);
        // Only a MAC mismatch says "maybe another key"; the rest is decided by the first key that
        // checks the MAC (malformed is found before any MAC is computed).
        if (refusal !== 'signature') throw refused(refusal, error);
        lastError = error;
      }
    }
    throw refused('signature', lastError);
  }

  /**
   * The start-up check of the one place that adapts an SDK internal contract (ADR 006): seals a
   * probe and opens it, then checks that a state for another binding and a tampered state are
   * refused for the reasons this adapter maps. Throws, naming the SDK version pinned, if a release
   * of `@modelcontextprotocol/server` changed how its codec treats the context or its messages.
   */
  async selfCheck(): Promise<void> {
    const probe = { probe: 'tfo-mcp start-up check' };
    const fail = (what: string, cause?: unknown) =>
      new Error(`requestState self-check failed (${what}): @modelcontextprotocol/server's codec no longer behaves as RequestStateKeys expects; keep the SDK pinned at 2.4.0 or revisit ADR 006`, { cause });
    let state: string;
    try {
      state = await this.seal(probe, 'self-check:a');
      const opened = await this.open(state, 'self-check:a');
      if (opened['probe'] !== probe.probe) throw fail('the opened payload differs');
    } catch (error) {
      if (error instanceof Error && error.message.startsWith('requestState self-check failed')) throw error;
      throw fail('seal and open', error);
    }
    const tampered = `${state.slice(0, -2)}${state.endsWith('AA') ? 'BB' : 'AA'}`;
    for (const [what, attempt, expected] of [
      ['another binding', () => this.open(state, 'self-check:b'), REFUSALS.binding],
      ['a tampered state', () => this.open(tampered, 'self-check:a'), REFUSALS.signature],
    ] as const) {
      const refusal = await attempt().then(
        () => undefined,
        (error: unknown) => error,
      );
      if (!(refusal instanceof ApplicationError) || refusal.message !== expected) throw fail(`${what} was not refused as expected`, refusal);
    }
  }

  private ringFor(keys: readonly string[], ttlSeconds: number, warnIfEphemeral: boolean): KeyRing {
    if (keys.length > 0) {
      // Every codec is built before the swap, so one bad key leaves the current ring in place.
      const codecs = keys.map((key) => createRequestStateCodec<Record<string, unknown>>({ key, ttlSeconds, bind: bindingOf }));
      return { codecs, ttlSeconds, ephemeral: false };
    }
    if (this.ephemeralKey === undefined || warnIfEphemeral) {
      this.logger.warn(
        'mcp.request_state.keys is empty: requestState is signed with a random key made at start-up, so states ' +
          'will not survive a restart nor be accepted by another replica; set mcp.request_state.keys to fix that',
      );
    }
    this.ephemeralKey ??= new Uint8Array(randomBytes(32));
    return { codecs: [createRequestStateCodec({ key: this.ephemeralKey, ttlSeconds, bind: bindingOf })], ttlSeconds, ephemeral: true };
  }
}

function refusalOf(error: unknown): Refusal {
  // Anything else the codec throws on a client's string (a decoder's TypeError…) is a malformed state.
  return error instanceof Error && Object.hasOwn(SDK_REASONS, error.message) ? SDK_REASONS[error.message] : 'malformed';
}

function refused(refusal: Refusal, cause?: unknown): ApplicationError {
  return new ApplicationError('request_state.invalid', REFUSALS[refusal], cause === undefined ? undefined : { cause });
}

function payloadOf(payload: unknown): Record<string, unknown> {
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) throw refused('malformed');
  return payload as Record<string, unknown>;
}
