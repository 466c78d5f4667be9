import type { AuthOutcome, Authenticator, Credentials } from '../../../application/ports/authenticator.js';
import type { Clock } from '../../../application/ports/clock.js';
import type { Principal } from '../../../domain/auth/principal.js';
import { API_KEY_PREFIX, apiKeyIdOf } from './api-key-format.js';
import { verifyApiKey } from './api-key-hash.js';
import type { ApiKeyRecord, ApiKeyStore } from './api-key-store.js';
import { VerdictCache } from './verdict-cache.js';

export interface ApiKeyAuthenticatorOptions {
  readonly clock?: Clock;
  /** Hash checks running at once; the rest wait, so scrypt never fills libuv's pool that file I/O needs too. */
  readonly maxConcurrentVerifications?: number;
  readonly cache?: VerdictCache;
  /** The hash check; replaceable so tests can count calls. */
  readonly verify?: (key: string, hash: string) => Promise<boolean>;
}

/** Far above a real key (57 characters): longer values are refused before any work. */
const MAX_KEY_CHARS = 256;
const PRINTABLE_ASCII = /^[\x21-\x7e]*$/;
const BEARER = /^bearer[ \t]+(.*)$/is;

/** One message for an unknown id and a wrong secret, so which ids exist cannot be learnt from the answer. */
const INVALID: AuthOutcome = Object.freeze({ kind: 'rejected', error: 'invalid_token', reason: 'invalid API key' });
const ABSENT: AuthOutcome = Object.freeze({ kind: 'absent' });

function rejected(error: 'invalid_token' | 'invalid_request', reason: string): AuthOutcome {
  return { kind: 'rejected', error, reason };
}

/**
 * API keys from `Authorization: Bearer tfo_…` or `X-API-Key`. A bearer token without our prefix is
 * left to the next authenticator (OAuth); anything in X-API-Key is ours. The principal is
 * `key:<name>`. A key's unknown id costs a map lookup; a known id costs one scrypt, once per key
 * per process (the verdict cache), while revocation and expiry are checked on every request.
 */
export class ApiKeyAuthenticator implements Authenticator {
  private readonly clock: Clock;
  private readonly cache: VerdictCache;
  private readonly verify: (key: string, hash: string) => Promise<boolean>;
  private readonly principals = new WeakMap<ApiKeyRecord, Principal>();
  private readonly gate: Gate;
  /**
   * Checks in progress, by cache key and hash: requests presenting a key whose check is running wait
   * for that check instead of starting their own (a client opening 16 sessions at once pays one
   * scrypt, not 16 that also hold the gate against every other key).
   */
  private readonly checking = new Map<string, Promise<boolean>>();

  constructor(
    private readonly store: ApiKeyStore,
    options: ApiKeyAuthenticatorOptions = {},
  ) {
    this.clock = options.clock ?? { now: () => new Date() };
    this.cache = options.cache ?? new VerdictCache();
    this.verify = options.verify ?? verifyApiKey;
    this.gate = new Gate(options.maxConcurrentVerifications ?? 2);
  }

  async authenticate(credentials: Credentials): Promise<AuthOutcome> {
    const presented = presentedKey(credentials);
    if (typeof presented !== 'string') return presented;
    if (presented.length > MAX_KEY_CHARS) return rejected('invalid_token', `API key too long (over ${MAX_KEY_CHARS} characters)`);
    if (!PRINTABLE_ASCII.test(presented)) return rejected('invalid_token', 'API key contains characters outside printable ASCII');
    const id = apiKeyIdOf(presented);
    if (id === undefined) return rejected('invalid_token', `malformed API key (expected ${API_KEY_PREFIX}<id>_<secret>)`);
    const record = this.store.find(id);
    if (!record || !(await this.matches(presented, record))) return INVALID;
    // The store may have changed while scrypt ran: judge the record as it is now.
    const current = this.store.find(id);
    if (!current || current.hash !== record.hash) return INVALID;
    if (current.revokedAt) return rejected('invalid_token', `API key "${current.name}" was revoked`);
    if (current.expiresAt && current.expiresAt.getTime() <= this.clock.now().getTime()) {
      return rejected('invalid_token', `API key "${current.name}" expired at ${current.expiresAt.toISOString()}`);
    }
    return { kind: 'authenticated', principal: this.principalOf(current) };
  }

  async close(): Promise<void> {
    await this.store.close?.();
  }

  private async matches(key: string, record: ApiKeyRecord): Promise<boolean> {
    const cacheKey = this.cache.keyOf(key);
    const cached = this.cache.get(cacheKey, record.hash);
    if (cached !== undefined) return cached;
    const checkKey = `${cacheKey} ${record.hash}`;
    const running = this.checking.get(checkKey);
    if (running) return running;
    const check = this.gate
      .run(() => this.verify(key, record.hash))
      .then((match) => {
        this.cache.set(cacheKey, record.hash, match);
        return match;
      })
      .finally(() => this.checking.delete(checkKey));
    this.checking.set(checkKey, check);
    return check;
  }

  private principalOf(record: ApiKeyRecord): Principal {
    let principal = this.principals.get(record);
    if (!principal) {
      principal = Object.freeze({
        id: `key:${record.name}`,
        kind: 'api-key' as const,
        grants: record.grants,
        ...(record.rateLimitClass ? { rateLimitClass: record.rateLimitClass } : {}),
        ...(record.expiresAt ? { expiresAt: record.expiresAt } : {}),
      });
      this.principals.set(record, principal);
    }
    return principal;
  }
}

/**
 * The key a request presents, or the outcome when it presents none of ours or an ambiguous set.
 * Two values of one header (or both headers) is header smuggling: which one would a proxy have
 * checked? Node joins repeated X-API-Key headers with ", ", so a comma means two values as well.
 */
function presentedKey({ authorization, apiKey }: Credentials): string | AuthOutcome {
  if (authorization.length > 1) return rejected('invalid_request', 'more than one Authorization header');
  if (apiKey.length > 1 || apiKey[0]?.includes(',')) return rejected('invalid_request', 'more than one X-API-Key header');
  if (apiKey.length === 1) {
    if (authorization.length === 1) return rejected('invalid_request', 'both Authorization and X-API-Key are set; send one credential');
    return apiKey[0].trim();
  }
  if (authorization.length === 0) return ABSENT;
  const token = BEARER.exec(authorization[0].trim())?.[1]?.trim();
  return token !== undefined && token.startsWith(API_KEY_PREFIX) ? token : ABSENT;
}

/** At most `limit` tasks at once; the others wait in order. */
class Gate {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly limit: number) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.running < this.limit) this.running++;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    try {
      return await task();
    } finally {
      // A waiter inherits the slot, so a newcomer cannot slip in between and exceed the limit.
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }
}
