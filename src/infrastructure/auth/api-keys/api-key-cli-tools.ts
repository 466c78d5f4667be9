import pg from 'pg';
import { Grants } from '../../../domain/auth/grants.js';
import { API_KEY_NAME, parseExpiry, RATE_LIMIT_CLASS, type AuthConfig } from '../../config/auth.schema.js';
import { describePgError } from '../../persistence/postgres/pg-errors.js';
import { apiKeyIdOf, apiKeyProblem, generateApiKey } from './api-key-format.js';
import { hashApiKey, parseApiKeyHash } from './api-key-hash.js';
import { ApiKeyNameTaken, PostgresApiKeyRegistry, type ApiKeyListing } from './postgres-api-key-registry.js';

/** What `tfo-mcp keys` reads of the configuration the server loads. */
export interface KeyCliConfig {
  readonly auth?: AuthConfig;
  readonly persistence: { readonly postgres: { readonly url: string; readonly statement_timeout_ms: number } };
}

export interface ApiKeyCliDeps {
  /** The server's own loader with `--config` as given, so the CLI and the server agree on the key store. */
  load(configPath: string | undefined): KeyCliConfig;
}

export interface NewKeyRequest {
  readonly name: string;
  readonly grants: readonly string[];
  readonly expiresAt?: string;
  readonly rateLimitClass?: string;
}

/** A refusal the CLI prints as is; exit code 2 for bad arguments or configuration, 1 otherwise. */
export class KeyAdminError extends Error {
  constructor(
    message: string,
    readonly exitCode: 1 | 2,
  ) {
    super(message);
    this.name = 'KeyAdminError';
  }
}

/** Key material and the key registry for `src/presentation/cli/keys-command.ts`. */
export function apiKeyCliTools(deps: ApiKeyCliDeps) {
  return {
    generate: generateApiKey,
    hash: (key: string) => hashApiKey(key),
    problemWith: apiKeyProblem,
    open: (configPath: string | undefined) => openRegistry(loaded(deps, configPath)),
  };
}

function loaded(deps: ApiKeyCliDeps, configPath: string | undefined): KeyCliConfig {
  try {
    return deps.load(configPath);
  } catch (error) {
    if (error instanceof Error && error.name === 'ConfigError') throw new KeyAdminError(`invalid configuration: ${error.message}`, 2);
    throw error;
  }
}

function openRegistry(config: KeyCliConfig) {
  const configKeys = config.auth?.api_keys ?? [];
  const store = config.auth?.api_key_store ?? 'config';
  const pool = store === 'postgres' ? openPool(config.persistence.postgres) : undefined;
  const registry = pool ? new PostgresApiKeyRegistry(pool) : undefined;
  const inConfig = (name: string) => configKeys.some((key) => key.name === name);

  function postgres(): PostgresApiKeyRegistry {
    if (registry) return registry;
    throw new KeyAdminError(
      'auth.api_key_store is "config": keys live in auth.api_keys. Run `tfo-mcp keys hash`, add the hash there and reload the server (or set auth.api_key_store: postgres)',
      2,
    );
  }

  return {
    store,
    async list(includeRevoked: boolean): Promise<ApiKeyListing[]> {
      const stored = registry ? await pgCall(() => registry.list(includeRevoked)) : [];
      return [...configKeys.map(configListing), ...stored];
    },
    async create(request: NewKeyRequest): Promise<{ key: string; listing: ApiKeyListing }> {
      const target = postgres();
      const row = validated(request);
      if (inConfig(row.name)) throw new KeyAdminError(`"${row.name}" names a key in auth.api_keys; choose another name`, 1);
      const key = generateApiKey();
      const listing = await pgCall(async () => target.create({ ...row, id: apiKeyIdOf(key)!, hash: await hashApiKey(key) }));
      return { key, listing };
    },
    async revoke(name: string): Promise<void> {
      if (inConfig(name)) throw new KeyAdminError(`"${name}" is in the configuration (auth.api_keys): remove it there and reload the server`, 1);
      const target = postgres();
      if (!(await pgCall(() => target.revoke(name)))) throw new KeyAdminError(`no live key named "${name}"`, 1);
    },
    async close(): Promise<void> {
      await pool?.end();
    },
  };
}

/** One short-lived connection's worth: the CLI runs a statement or two and exits. */
function openPool(settings: KeyCliConfig['persistence']['postgres']): pg.Pool {
  const pool = new pg.Pool({
    connectionString: settings.url,
    max: 1,
    statement_timeout: settings.statement_timeout_ms,
    connectionTimeoutMillis: 5_000,
    application_name: 'tfo-mcp keys',
  });
  // An idle connection lost before exit must not crash the CLI; the next statement reports it.
  pool.on('error', () => undefined);
  return pool;
}

async function pgCall<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof KeyAdminError) throw error;
    if (error instanceof ApiKeyNameTaken) throw new KeyAdminError(error.message, 1);
    const missing = (error as { code?: string }).code === '42P01' ? '; run `tfo-mcp migrate`' : '';
    throw new KeyAdminError(`Postgres (persistence.postgres.url): ${describePgError(error)}${missing}`, 1);
  }
}

function validated(request: NewKeyRequest) {
  if (!API_KEY_NAME.test(request.name)) throw new KeyAdminError(`--name: "${request.name}" is not a key name (1–64 letters, digits, ".", "_" or "-")`, 2);
  if (request.grants.length === 0) throw new KeyAdminError('--grants: a key without grants could call nothing; e.g. --grants tools:read_file,resources:file', 2);
  try {
    Grants.parse(request.grants);
  } catch (error) {
    throw new KeyAdminError(`--grants: ${(error as Error).message}`, 2);
  }
  if (request.rateLimitClass !== undefined && !RATE_LIMIT_CLASS.test(request.rateLimitClass)) {
    throw new KeyAdminError(`--rate-limit-class: "${request.rateLimitClass}" is not a rate_limits.classes name`, 2);
  }
  let expiresAt: Date | undefined;
  if (request.expiresAt !== undefined) {
    const parsed = parseExpiry(request.expiresAt);
    if (!(parsed instanceof Date)) throw new KeyAdminError(`--expires-at: ${parsed.problem}`, 2);
    if (parsed.getTime() <= Date.now()) throw new KeyAdminError(`--expires-at: ${parsed.toISOString()} is already past`, 2);
    expiresAt = parsed;
  }
  return { name: request.name, grants: [...request.grants], expiresAt, rateLimitClass: request.rateLimitClass };
}

function configListing(key: AuthConfig['api_keys'][number]): ApiKeyListing {
  const expiresAt = key.expires_at === undefined ? undefined : parseExpiry(key.expires_at);
  return {
    name: key.name,
    id: parseApiKeyHash(key.hash)?.keyId ?? '?',
    source: 'config',
    grants: key.grants,
    ...(expiresAt instanceof Date ? { expiresAt: expiresAt.toISOString() } : {}),
    ...(key.rate_limit_class ? { rateLimitClass: key.rate_limit_class } : {}),
  };
}
