import type { Pool } from 'pg';
import type { Logger } from '../../../application/ports/logger.js';
import { Grants } from '../../../domain/auth/grants.js';
import { ListenConnection } from '../../persistence/postgres/listen-connection.js';
import { describePgError } from '../../persistence/postgres/pg-errors.js';
import { parseApiKeyHash } from './api-key-hash.js';
import type { ApiKeyRecord, ApiKeyStore } from './api-key-store.js';

/** The channel migration 008's trigger notifies at commit; the payload is the table's schema. */
export const API_KEYS_CHANNEL = 'tfo_api_keys';

export interface PostgresApiKeyStoreOptions {
  /** The fallback: a full reload this often, whatever LISTEN delivered. */
  readonly refreshMs: number;
  readonly reconnectDelayMs: number;
  /** Off in tests that prove the refresh alone suffices. */
  readonly listen?: boolean;
}

interface KeyRow {
  id: string;
  name: string;
  hash: string;
  grants: unknown;
  expires_at: Date | null;
  rate_limit_class: string | null;
  revoked_at: Date | null;
}

/**
 * Keys from the `api_keys` table, held in memory so a request never waits on Postgres. Every
 * change anywhere (this replica, another one, the CLI, a hand-written UPDATE) notifies at commit,
 * and each replica reloads at once; a periodic reload covers a lost notification or a LISTEN
 * connection that is down. While Postgres is unreachable the last copy keeps serving: a revocation
 * cannot be written then either. Keys revoked in the last 30 days are kept, so their holders are
 * told the key was revoked rather than that it is unknown.
 */
export class PostgresApiKeyStore implements ApiKeyStore {
  private byId: ReadonlyMap<string, ApiKeyRecord> = new Map();
  private readonly connection: ListenConnection;
  private loading: Promise<void> | undefined;
  private loadAgain = false;
  private refreshTimer: NodeJS.Timeout | undefined;
  private failing = false;
  private closed = false;

  constructor(
    private readonly pool: Pool,
    private readonly logger: Logger,
    private readonly options: PostgresApiKeyStoreOptions,
  ) {
    this.connection = new ListenConnection(pool, logger, {
      channel: API_KEYS_CHANNEL,
      reconnectDelayMs: options.reconnectDelayMs,
      unavailableMessage: 'API key LISTEN connection unavailable; revocations arrive with the periodic refresh until it is back',
      onNotification: (payload, schema) => {
        if (payload === schema) this.requestReload();
      },
      // Changes committed while nobody listened would otherwise wait for the next refresh.
      onListening: () => this.requestReload(),
    });
  }

  /** The first load must succeed (the server does not start without its keys); then LISTEN and the refresh. */
  async start(): Promise<void> {
    this.byId = await this.load();
    if (this.options.listen !== false) {
      this.connection.open();
      await this.connection.ready();
    }
    this.refreshTimer = setInterval(() => this.requestReload(), this.options.refreshMs);
    this.refreshTimer.unref();
  }

  find(id: string): ApiKeyRecord | undefined {
    return this.byId.get(id);
  }

  get size(): number {
    return this.byId.size;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.refreshTimer);
    await Promise.all([this.connection.close(), this.loading]);
  }

  /** Coalesces: a change during a reload triggers one more, never a queue of them. */
  private requestReload(): void {
    if (this.closed) return;
    if (this.loading) {
      this.loadAgain = true;
      return;
    }
    this.loading = this.reload().finally(() => {
      this.loading = undefined;
      if (this.loadAgain) {
        this.loadAgain = false;
        this.requestReload();
      }
    });
  }

  private async reload(): Promise<void> {
    try {
      const fresh = await this.load();
      if (!this.closed) this.byId = fresh;
      if (this.failing) this.logger.info('API key reload works again', { keys: fresh.size });
      this.failing = false;
    } catch (error) {
      // Once per outage, not once per refresh.
      if (!this.failing) this.logger.warn('API key reload failed; serving the last copy until it works', { error: describePgError(error) });
      this.failing = true;
    }
  }

  private async load(): Promise<Map<string, ApiKeyRecord>> {
    const { rows } = await this.pool.query<KeyRow>(
      `SELECT id, name, hash, grants, expires_at, rate_limit_class, revoked_at FROM api_keys
        WHERE revoked_at IS NULL OR revoked_at > now() - interval '30 days'`,
    );
    const byId = new Map<string, ApiKeyRecord>();
    for (const row of rows) {
      const record = this.recordOf(row);
      // Two rows of one id cannot happen (primary key); a live one wins over nothing else.
      if (record) byId.set(record.id, record);
    }
    return byId;
  }

  /** A row edited by hand into something unusable is skipped with a warning, not fatal to every other key. */
  private recordOf(row: KeyRow): ApiKeyRecord | undefined {
    let grants: Grants;
    try {
      if (!Array.isArray(row.grants) || !row.grants.every((grant) => typeof grant === 'string')) throw new Error('grants is not a list of strings');
      grants = Grants.parse(row.grants);
    } catch (error) {
      this.logger.warn('API key row skipped: unusable grants', { name: row.name, error: error instanceof Error ? error.message : String(error) });
      return undefined;
    }
    if (parseApiKeyHash(row.hash)?.keyId !== row.id) {
      this.logger.warn('API key row skipped: its hash is not one `tfo-mcp keys` made for this id', { name: row.name });
      return undefined;
    }
    return Object.freeze({
      id: row.id,
      name: row.name,
      hash: row.hash,
      grants,
      ...(row.expires_at ? { expiresAt: row.expires_at } : {}),
      ...(row.rate_limit_class ? { rateLimitClass: row.rate_limit_class } : {}),
      ...(row.revoked_at ? { revokedAt: row.revoked_at } : {}),
    });
  }
}
