import { HEADER, NONCE_PATTERN, signatureMatches } from './host-agent-protocol.js';

/** Why a request was refused before anything else was read; each is an audit reason. */
export type AuthRefusal = 'missing_headers' | 'malformed_headers' | 'stale_timestamp' | 'bad_signature' | 'replayed_nonce' | 'nonce_store_full';

export interface AuthenticatorOptions {
  /** How far a request's timestamp may be from the agent's clock, either way. */
  readonly windowMs: number;
  /** Nonces remembered at most; past it (a flood within one window) requests are refused, not forgotten. */
  readonly maxNonces: number;
  readonly now?: () => number;
}

/**
 * Checks one request's signature, freshness and nonce. Order matters: the signature is checked
 * before the nonce is remembered, so only a holder of the secret can fill the nonce store, and a
 * replay is caught whatever its timestamp says (the nonce is kept for as long as its timestamp can
 * still pass the window).
 */
export class RequestAuthenticator {
  /** nonce → when it may be forgotten; insertion order is arrival order, so the oldest sit in front. */
  private readonly nonces = new Map<string, number>();
  private readonly now: () => number;

  constructor(
    private readonly secret: Uint8Array,
    private readonly options: AuthenticatorOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  check(method: string, path: string, headers: Readonly<Record<string, string | string[] | undefined>>, body: Uint8Array): AuthRefusal | undefined {
    const timestamp = single(headers[HEADER.timestamp]);
    const nonce = single(headers[HEADER.nonce]);
    const signature = single(headers[HEADER.signature]);
    if (timestamp === undefined || nonce === undefined || signature === undefined) return 'missing_headers';
    if (!/^\d{1,16}$/.test(timestamp) || !NONCE_PATTERN.test(nonce)) return 'malformed_headers';
    const now = this.now();
    if (Math.abs(now - Number(timestamp)) > this.options.windowMs) return 'stale_timestamp';
    if (!signatureMatches({ method, path, timestamp, nonce, body }, this.secret, signature)) return 'bad_signature';
    this.forgetExpired(now);
    if (this.nonces.has(nonce)) return 'replayed_nonce';
    if (this.nonces.size >= this.options.maxNonces) return 'nonce_store_full';
    // A timestamp at the far edge of the window stays acceptable for up to 2 windows after arrival.
    this.nonces.set(nonce, now + 2 * this.options.windowMs);
    return undefined;
  }

  private forgetExpired(now: number): void {
    for (const [nonce, expires] of this.nonces) {
      if (expires > now) return;
      this.nonces.delete(nonce);
    }
  }
}

function single(value: string | string[] | undefined): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}
