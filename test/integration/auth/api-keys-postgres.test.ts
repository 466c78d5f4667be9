import { Readable } from 'node:stream';
import type { Pool } from 'pg';
import type { AuthOutcome, Credentials } from '../../../src/application/ports/authenticator.js';
import { ApiKeyAuthenticator } from '../../../src/infrastructure/auth/api-keys/api-key-authenticator.js';
import { apiKeyCliTools, type KeyCliConfig } from '../../../src/infrastructure/auth/api-keys/api-key-cli-tools.js';
import { generateApiKey } from '../../../src/infrastructure/auth/api-keys/api-key-format.js';
import { hashApiKey } from '../../../src/infrastructure/auth/api-keys/api-key-hash.js';
import { createApiKeyAuthenticator } from '../../../src/infrastructure/auth/api-keys/create-api-key-authenticator.js';
import { PostgresApiKeyStore, type PostgresApiKeyStoreOptions } from '../../../src/infrastructure/auth/api-keys/postgres-api-key-store.js';
import { authSchema } from '../../../src/infrastructure/config/auth.schema.js';
import { runKeysCommand } from '../../../src/presentation/cli/keys-command.js';
import { FixedClock } from '../../support/fixed-clock.js';
import { createTestSchema, PG_URL, type TestSchema } from '../postgres/pg-test-schema.js';

const bearer = (key: string): Credentials => ({ authorization: [`Bearer ${key}`], apiKey: [] });

/** A server replica: its own pool, LISTEN connection and in-memory copy of the keys. */
interface Replica {
  readonly store: PostgresApiKeyStore;
  readonly auth: ApiKeyAuthenticator;
}

describe('API keys on Postgres: tfo-mcp keys and two replicas', () => {
  let schema: TestSchema;
  let cliConfig: KeyCliConfig;
  let replicas: Replica[];
  let pools: Pool[];

  beforeAll(async () => {
    schema = await createTestSchema();
    // The CLI opens its own connection from persistence.postgres.url, as it would from the server's config.
    cliConfig = {
      auth: authSchema.parse({ api_key_store: 'postgres' }),
      persistence: { postgres: { url: `${PG_URL}?options=-c%20search_path%3D${schema.name}`, statement_timeout_ms: 5_000 } },
    };
  });
  afterAll(async () => {
    await schema?.drop();
  });
  beforeEach(async () => {
    await schema.pool.query('TRUNCATE api_keys');
    replicas = [];
    pools = [];
  });
  afterEach(async () => {
    await Promise.all(replicas.map((replica) => replica.auth.close()));
    await Promise.all(pools.map((pool) => pool.end()));
  });

  async function replica(options: Partial<PostgresApiKeyStoreOptions> = {}, clock?: FixedClock): Promise<Replica> {
    const pool = schema.newPool(3);
    pools.push(pool);
    const store = new PostgresApiKeyStore(pool, schema.logger, { refreshMs: 60_000, reconnectDelayMs: 200, ...options });
    await store.start();
    const made = { store, auth: new ApiKeyAuthenticator(store, { clock }) };
    replicas.push(made);
    return made;
  }

  async function keys(...argv: string[]) {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runKeysCommand(argv, {
      stdin: Readable.from([]),
      stdout: { write: (text: string) => out.push(text) },
      stderr: { write: (text: string) => err.push(text) },
      keys: apiKeyCliTools({ load: () => cliConfig }),
    });
    return { code, stdout: out.join(''), stderr: err.join('') };
  }

  async function create(name: string, ...flags: string[]): Promise<string> {
    const { code, stdout, stderr } = await keys('create', '--name', name, '--grants', 'tools:read_file,resources:file', ...flags);
    expect({ code, stderr }).toEqual({ code: 0, stderr: expect.stringContaining('shown once') });
    return /^key: {2}(tfo_\S+)$/m.exec(stdout)![1];
  }

  /** Polls until the outcome is no longer `authenticated`; the time it took, in ms. */
  async function refusedWithin(auth: ApiKeyAuthenticator, key: string, limitMs: number): Promise<{ ms: number; outcome: AuthOutcome }> {
    const started = Date.now();
    for (;;) {
      const outcome = await auth.authenticate(bearer(key));
      if (outcome.kind !== 'authenticated') return { ms: Date.now() - started, outcome };
      if (Date.now() - started > limitMs) throw new Error(`still authenticated after ${limitMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  it('create → both replicas authenticate → revoke → the second replica refuses within 5 s', async () => {
    const [a, b] = [await replica(), await replica()];

    const key = await create('ci-bot', '--rate-limit-class', 'batch');

    const onB = await refusedOrAuthenticated(b.auth, key);
    expect(onB).toMatchObject({ kind: 'authenticated', principal: { id: 'key:ci-bot', kind: 'api-key', rateLimitClass: 'batch' } });
    expect((onB as Extract<AuthOutcome, { kind: 'authenticated' }>).principal.grants.toJSON()).toEqual(['tools:read_file', 'resources:file']);
    expect(await a.auth.authenticate(bearer(key))).toMatchObject({ kind: 'authenticated' });

    expect(await keys('revoke', 'ci-bot')).toEqual({ code: 0, stdout: 'revoked "ci-bot"; every server refuses it within seconds\n', stderr: '' });
    const { ms, outcome } = await refusedWithin(b.auth, key, 5_000);

    expect(outcome).toEqual({ kind: 'rejected', error: 'invalid_token', reason: 'API key "ci-bot" was revoked' });
    expect(ms).toBeLessThan(5_000);
    expect((await a.auth.authenticate(bearer(key))).kind).toBe('rejected');
  });

  it('revocation without LISTEN - the periodic refresh alone refuses it within 5 s', async () => {
    const quiet = await replica({ listen: false, refreshMs: 500 });
    const key = await create('no-listen');
    expect((await refusedOrAuthenticated(quiet.auth, key)).kind).toBe('authenticated');

    await keys('revoke', 'no-listen');
    const { ms } = await refusedWithin(quiet.auth, key, 5_000);

    expect(ms).toBeLessThan(5_000);
  });

  it('a revocation written by hand (UPDATE) - reaches the replica like one from the CLI', async () => {
    const r = await replica();
    const key = await create('by-hand');
    expect((await refusedOrAuthenticated(r.auth, key)).kind).toBe('authenticated');

    await schema.pool.query("UPDATE api_keys SET revoked_at = now() WHERE name = 'by-hand'");

    expect((await refusedWithin(r.auth, key, 5_000)).ms).toBeLessThan(5_000);
  });

  it('list - live keys without hash or key; --revoked adds revoked ones with when', async () => {
    const key = await create('first', '--expires-at', '2099-12-31');
    await create('second');
    await keys('revoke', 'second');

    const live = await keys('list', '--json');
    const all = await keys('list', '--revoked', '--json');
    const table = await keys('list');

    expect(live.code).toBe(0);
    expect(JSON.parse(live.stdout)).toEqual([
      { name: 'first', id: key.slice(4, 16), source: 'postgres', grants: ['tools:read_file', 'resources:file'], expiresAt: '2099-12-31T00:00:00.000Z', createdAt: expect.any(String) },
    ]);
    expect(JSON.parse(all.stdout)).toEqual([expect.objectContaining({ name: 'first' }), expect.objectContaining({ name: 'second', revokedAt: expect.any(String) })]);
    for (const output of [live.stdout, all.stdout, table.stdout]) {
      expect(output).not.toContain('scrypt');
      expect(output).not.toContain(key.slice(17));
    }
    expect(table.stdout).toMatch(/^NAME\s+ID\s+SOURCE/);
    expect(table.stdout).toContain('first');
  });

  it('create - a live name again - exit 1; once revoked, the name can be issued again', async () => {
    await create('dup');

    const again = await keys('create', '--name', 'dup', '--grants', 'tools:*');
    expect(again).toEqual({ code: 1, stdout: '', stderr: 'tfo-mcp: keys create: a live key named "dup" exists; revoke it first or choose another name\n' });

    await keys('revoke', 'dup');
    expect((await keys('create', '--name', 'dup', '--grants', 'tools:*')).code).toBe(0);
    expect((await keys('revoke', 'nobody')).stderr).toBe('tfo-mcp: keys revoke: no live key named "nobody"\n');
  });

  it('the table holds the hash, never the key', async () => {
    const key = await create('stored');

    const { rows } = await schema.pool.query<{ id: string; hash: string; grants: unknown }>('SELECT id, hash, grants FROM api_keys');

    expect(rows).toEqual([{ id: key.slice(4, 16), hash: expect.stringMatching(/^scrypt\$16384\$8\$1\$/), grants: ['tools:read_file', 'resources:file'] }]);
    expect(JSON.stringify(rows)).not.toContain(key.slice(17));
  });

  it('expiry from --expires-at - refused after it, naming it', async () => {
    const clock = new FixedClock(new Date());
    const r = await replica({}, clock);
    const key = await create('short-lived', '--expires-at', '2099-01-01T00:00:00Z');
    expect((await refusedOrAuthenticated(r.auth, key)).kind).toBe('authenticated');

    clock.set(new Date('2099-01-01T00:00:01Z'));

    expect(await r.auth.authenticate(bearer(key))).toEqual({ kind: 'rejected', error: 'invalid_token', reason: 'API key "short-lived" expired at 2099-01-01T00:00:00.000Z' });
  });

  it('a row edited by hand into bad grants - skipped with a warning; the other keys still work', async () => {
    const good = await create('good');
    const bad = generateApiKey();
    await schema.pool.query(`INSERT INTO api_keys (id, name, hash, grants) VALUES ($1, 'bad', $2, '["tool:typo"]')`, [bad.slice(4, 16), await hashApiKey(bad, { N: 1024, r: 8, p: 1 })]);

    const r = await replica();

    expect((await r.auth.authenticate(bearer(good))).kind).toBe('authenticated');
    expect(await r.auth.authenticate(bearer(bad))).toEqual({ kind: 'rejected', error: 'invalid_token', reason: 'invalid API key' });
    expect(schema.logger.lines).toContainEqual(expect.objectContaining({ level: 'warn', message: 'API key row skipped: unusable grants', fields: expect.objectContaining({ name: 'bad' }) }));
  });

  it('createApiKeyAuthenticator - api_key_store postgres - config keys and table keys both authenticate; close stops LISTEN', async () => {
    const fromConfig = generateApiKey();
    const auth = authSchema.parse({ api_key_store: 'postgres', api_keys: [{ name: 'break-glass', hash: await hashApiKey(fromConfig, { N: 1024, r: 8, p: 1 }), grants: ['tools:*'] }] });
    const fromTable = await create('from-table');
    const pool = schema.newPool(2);
    pools.push(pool);

    const authenticator = await createApiKeyAuthenticator(auth, { pool, logger: schema.logger });
    try {
      expect(await authenticator.authenticate(bearer(fromConfig))).toMatchObject({ kind: 'authenticated', principal: { id: 'key:break-glass' } });
      expect(await authenticator.authenticate({ authorization: [], apiKey: [fromTable] })).toMatchObject({ kind: 'authenticated', principal: { id: 'key:from-table' } });
    } finally {
      await authenticator.close();
    }
    expect(pool.totalCount - pool.idleCount).toBe(0);
  });

  it('start - the table missing (migrations not applied) - refuses to start, naming the cause', async () => {
    const bare = await createTestSchema({ migrate: false });
    try {
      const store = new PostgresApiKeyStore(bare.pool, bare.logger, { refreshMs: 60_000, reconnectDelayMs: 200 });

      await expect(store.start()).rejects.toThrow(/api_keys/);
    } finally {
      await bare.drop();
    }
  });
});

/** A just-created key reaches a replica through NOTIFY; this waits for that (bounded) instead of racing it. */
async function refusedOrAuthenticated(auth: ApiKeyAuthenticator, key: string): Promise<AuthOutcome> {
  const started = Date.now();
  for (;;) {
    const outcome = await auth.authenticate(bearer(key));
    if (outcome.kind === 'authenticated' || Date.now() - started > 5_000) return outcome;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
