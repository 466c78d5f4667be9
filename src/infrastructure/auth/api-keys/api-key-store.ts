import { Grants } from '../../../domain/auth/grants.js';
import { parseExpiry, type ApiKeyConfig } from '../../config/auth.schema.js';
import { parseApiKeyHash } from './api-key-hash.js';

/** One key as the authenticator needs it: never the key, only its hash. */
export interface ApiKeyRecord {
  /** The public id part of the key (`tfo_<id>_…`). */
  readonly id: string;
  readonly name: string;
  readonly hash: string;
  readonly grants: Grants;
  readonly expiresAt?: Date;
  readonly rateLimitClass?: string;
  /** Set once revoked; a revoked key is refused even with the right secret. */
  readonly revokedAt?: Date;
}

/**
 * Where keys are looked up, by public id only: a lookup never hashes or scans other keys. Lookups
 * are synchronous against what the store holds in memory, so a request never waits on a database;
 * stores that change (Postgres) keep that copy current in the background.
 */
export interface ApiKeyStore {
  find(id: string): ApiKeyRecord | undefined;
  close?(): Promise<void>;
}

/** `auth.api_keys`: fixed for the life of the process (a reload builds a new store). */
export class ConfigApiKeyStore implements ApiKeyStore {
  private readonly byId: ReadonlyMap<string, ApiKeyRecord>;

  constructor(keys: readonly ApiKeyConfig[]) {
    this.byId = new Map(keys.map((key) => [idOf(key.hash), recordOf(key)]));
  }

  find(id: string): ApiKeyRecord | undefined {
    return this.byId.get(id);
  }

  get size(): number {
    return this.byId.size;
  }
}

function idOf(hash: string): string {
  const parsed = parseApiKeyHash(hash);
  // The schema refused any other hash; reaching here means the caller skipped it.
  if (!parsed) throw new Error('auth.api_keys holds a hash the schema should have refused');
  return parsed.keyId;
}

function recordOf(key: ApiKeyConfig): ApiKeyRecord {
  const expiresAt = key.expires_at === undefined ? undefined : parseExpiry(key.expires_at);
  if (expiresAt !== undefined && !(expiresAt instanceof Date)) throw new Error(`auth.api_keys ${key.name}: ${expiresAt.problem}`);
  return Object.freeze({
    id: idOf(key.hash),
    name: key.name,
    hash: key.hash,
    grants: Grants.parse(key.grants),
    ...(expiresAt ? { expiresAt } : {}),
    ...(key.rate_limit_class ? { rateLimitClass: key.rate_limit_class } : {}),
  });
}

/** Several stores as one: the first that knows an id answers (ids are random, so at most one does). */
export class CombinedApiKeyStore implements ApiKeyStore {
  constructor(private readonly stores: readonly ApiKeyStore[]) {}

  find(id: string): ApiKeyRecord | undefined {
    for (const store of this.stores) {
      const record = store.find(id);
      if (record) return record;
    }
    return undefined;
  }

  async close(): Promise<void> {
    await Promise.all(this.stores.map((store) => store.close?.()));
  }
}
