import type { Pool } from 'pg';
import type { Clock } from '../../../application/ports/clock.js';
import type { Logger } from '../../../application/ports/logger.js';
import type { AuthConfig } from '../../config/auth.schema.js';
import { ApiKeyAuthenticator } from './api-key-authenticator.js';
import { CombinedApiKeyStore, ConfigApiKeyStore } from './api-key-store.js';
import { PostgresApiKeyStore } from './postgres-api-key-store.js';

export interface ApiKeyAuthenticatorDeps {
  readonly logger: Logger;
  /** Needed when auth.api_key_store is postgres; the store holds one connection of it for LISTEN. */
  readonly pool?: Pool;
  readonly clock?: Clock;
}

/**
 * Without LISTEN (a lost connection), a revocation still reaches this replica within this; with it,
 * within milliseconds of the commit.
 */
const REFRESH_MS = 5_000;

/**
 * The API key authenticator the configuration asks for: `auth.api_keys` always, plus the Postgres
 * table with `api_key_store: postgres` (loaded before this resolves, so start-up fails when
 * Postgres cannot be read). `close()` stops the LISTEN connection and the refresh.
 */
export async function createApiKeyAuthenticator(auth: AuthConfig, deps: ApiKeyAuthenticatorDeps): Promise<ApiKeyAuthenticator> {
  const fromConfig = new ConfigApiKeyStore(auth.api_keys);
  if (auth.api_key_store === 'config') return new ApiKeyAuthenticator(fromConfig, { clock: deps.clock });
  if (!deps.pool) throw new Error('auth.api_key_store is postgres but no Postgres pool was given');
  const fromPostgres = new PostgresApiKeyStore(deps.pool, deps.logger.child({ component: 'api-keys' }), { refreshMs: REFRESH_MS, reconnectDelayMs: 1_000 });
  await fromPostgres.start();
  return new ApiKeyAuthenticator(new CombinedApiKeyStore([fromConfig, fromPostgres]), { clock: deps.clock });
}
