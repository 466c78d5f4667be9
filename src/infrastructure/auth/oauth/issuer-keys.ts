import { createRemoteJWKSet, type JWTVerifyGetKey } from 'jose';
import { discoverJwksUri } from './issuer-discovery.js';
import { IssuerUnavailable } from './issuer-http.js';

export interface IssuerKeysOptions {
  readonly issuer: string;
  /** Configured JWKS URL; absent: discovered from the issuer on first use. */
  readonly jwksUrl?: string;
  readonly cooldownMs: number;
  readonly maxAgeMs: number;
  readonly timeoutMs: number;
}

/**
 * The issuer's signing keys, fetched on first use and then kept by jose's remote key set: refetched
 * when older than `maxAgeMs`, and when a token names a `kid` the set lacks (a rotation), but not more
 * than once per `cooldownMs`, so tokens with made-up kids cannot make us hammer the issuer. A failed
 * discovery is remembered for `cooldownMs` for the same reason.
 */
export class IssuerKeys {
  private keySet?: JWTVerifyGetKey;
  private discovering?: Promise<JWTVerifyGetKey>;
  private failure?: { readonly atMs: number; readonly error: IssuerUnavailable };

  constructor(private readonly options: IssuerKeysOptions) {
    if (options.jwksUrl !== undefined) this.keySet = this.remoteSet(options.jwksUrl);
  }

  /** The key lookup for `jwtVerify`, or an `IssuerUnavailable` when the JWKS URL cannot be discovered now. */
  async lookup(nowMs: number): Promise<JWTVerifyGetKey> {
    if (this.keySet) return this.keySet;
    if (this.failure && nowMs - this.failure.atMs < this.options.cooldownMs) throw this.failure.error;
    this.discovering ??= discoverJwksUri(this.options.issuer, this.options.timeoutMs)
      .then((url) => {
        this.keySet = this.remoteSet(url);
        this.failure = undefined;
        return this.keySet;
      })
      .catch((error: unknown) => {
        const unavailable = error instanceof IssuerUnavailable ? error : new IssuerUnavailable('issuer discovery failed', { cause: error });
        this.failure = { atMs: nowMs, error: unavailable };
        throw unavailable;
      })
      .finally(() => {
        this.discovering = undefined;
      });
    return this.discovering;
  }

  private remoteSet(url: string): JWTVerifyGetKey {
    return createRemoteJWKSet(new URL(url), {
      cooldownDuration: this.options.cooldownMs,
      cacheMaxAge: this.options.maxAgeMs,
      timeoutDuration: this.options.timeoutMs,
    });
  }
}
