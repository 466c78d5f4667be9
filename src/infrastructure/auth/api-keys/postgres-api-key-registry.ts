import type { Pool } from 'pg';
import { toJsonb } from '../../persistence/postgres/pg-errors.js';

/** A key as `keys list` shows it: never the key, never its hash. */
export interface ApiKeyListing {
  readonly name: string;
  /** The public id: `tfo_<id>_…` tells an operator which key a client holds. */
  readonly id: string;
  readonly source: 'config' | 'postgres';
  readonly grants: readonly string[];
  readonly expiresAt?: string;
  readonly rateLimitClass?: string;
  readonly createdAt?: string;
  readonly revokedAt?: string;
}

export interface NewApiKeyRow {
  readonly id: string;
  readonly name: string;
  readonly hash: string;
  readonly grants: readonly string[];
  readonly expiresAt?: Date;
  readonly rateLimitClass?: string;
}

interface ListingRow {
  id: string;
  name: string;
  grants: string[];
  expires_at: Date | null;
  rate_limit_class: string | null;
  created_at: Date;
  revoked_at: Date | null;
}

/** Thrown when a live key already has the name. */
export class ApiKeyNameTaken extends Error {
  constructor(readonly keyName: string) {
    super(`a live key named "${keyName}" exists; revoke it first or choose another name`);
    this.name = 'ApiKeyNameTaken';
  }
}

/**
 * The `api_keys` table as `tfo-mcp keys` changes it. Writes are plain statements: migration 008's
 * trigger notifies every replica at commit. Validation is the caller's (it knows the config too).
 */
export class PostgresApiKeyRegistry {
  constructor(private readonly pool: Pool) {}

  async create(row: NewApiKeyRow): Promise<ApiKeyListing> {
    try {
      const { rows } = await this.pool.query<ListingRow>(
        `INSERT INTO api_keys (id, name, hash, grants, expires_at, rate_limit_class) VALUES ($1, $2, $3, $4::jsonb, $5, $6)
         RETURNING id, name, grants, expires_at, rate_limit_class, created_at, revoked_at`,
        [row.id, row.name, row.hash, toJsonb(row.grants), row.expiresAt ?? null, row.rateLimitClass ?? null],
      );
      return listingOf(rows[0]);
    } catch (error) {
      if ((error as { code?: string; constraint?: string }).code === '23505' && (error as { constraint?: string }).constraint === 'api_keys_live_name_idx') {
        throw new ApiKeyNameTaken(row.name);
      }
      throw error;
    }
  }

  async list(includeRevoked: boolean): Promise<ApiKeyListing[]> {
    const { rows } = await this.pool.query<ListingRow>(
      `SELECT id, name, grants, expires_at, rate_limit_class, created_at, revoked_at FROM api_keys
        ${includeRevoked ? '' : 'WHERE revoked_at IS NULL'} ORDER BY name, created_at`,
    );
    return rows.map(listingOf);
  }

  /** Whether a live key of that name existed (and is now revoked). */
  async revoke(name: string): Promise<boolean> {
    const { rowCount } = await this.pool.query('UPDATE api_keys SET revoked_at = now() WHERE name = $1 AND revoked_at IS NULL', [name]);
    return (rowCount ?? 0) > 0;
  }
}

function listingOf(row: ListingRow): ApiKeyListing {
  return {
    name: row.name,
    id: row.id,
    source: 'postgres',
    grants: row.grants,
    ...(row.expires_at ? { expiresAt: row.expires_at.toISOString() } : {}),
    ...(row.rate_limit_class ? { rateLimitClass: row.rate_limit_class } : {}),
    createdAt: row.created_at.toISOString(),
    ...(row.revoked_at ? { revokedAt: row.revoked_at.toISOString() } : {}),
  };
}
