import type { AuthOutcome, Credentials } from '../../../src/application/ports/authenticator.js';
import { Grants } from '../../../src/domain/auth/grants.js';
import { ApiKeyAuthenticator } from '../../../src/infrastructure/auth/api-keys/api-key-authenticator.js';
import { apiKeyIdOf, generateApiKey } from '../../../src/infrastructure/auth/api-keys/api-key-format.js';
import { hashApiKey, verifyApiKey } from '../../../src/infrastructure/auth/api-keys/api-key-hash.js';
import { CombinedApiKeyStore, ConfigApiKeyStore, type ApiKeyRecord, type ApiKeyStore } from '../../../src/infrastructure/auth/api-keys/api-key-store.js';
import { authSchema } from '../../../src/infrastructure/config/auth.schema.js';
import { FixedClock } from '../../support/fixed-clock.js';

const FAST = { N: 1024, r: 8, p: 1 };
const NOW = new Date('2026-06-01T12:00:00Z');

const bearer = (key: string): Credentials => ({ authorization: [`Bearer ${key}`], apiKey: [] });
const header = (key: string): Credentials => ({ authorization: [], apiKey: [key] });

/** Counts hash checks, so a test can prove a request was refused before any scrypt. */
function countingVerify() {
  const calls: string[] = [];
  const verify = (key: string, hash: string) => {
    calls.push(key);
    return verifyApiKey(key, hash);
  };
  return { calls, verify };
}

describe('ApiKeyAuthenticator', () => {
  let ci: string;
  let expired: string;
  let store: ConfigApiKeyStore;
  let clock: FixedClock;

  beforeAll(async () => {
    [ci, expired] = [generateApiKey(), generateApiKey()];
    const auth = authSchema.parse({
      api_keys: [
        { name: 'ci-bot', hash: await hashApiKey(ci, FAST), grants: ['tools:read_file', 'resources:file'], rate_limit_class: 'batch', expires_at: '2027-01-01' },
        { name: 'old', hash: await hashApiKey(expired, FAST), grants: ['tools:*'], expires_at: '2026-05-31T23:59:59Z' },
      ],
    });
    store = new ConfigApiKeyStore(auth.api_keys);
  });
  beforeEach(() => {
    clock = new FixedClock(NOW);
  });

  const authenticator = (verify?: (key: string, hash: string) => Promise<boolean>, keys: ApiKeyStore = store) => new ApiKeyAuthenticator(keys, { clock, verify });

  it('Bearer - a configured key - principal key:<name> with its grants, class and expiry', async () => {
    const outcome = await authenticator().authenticate(bearer(ci));

    expect(outcome.kind).toBe('authenticated');
    const { principal } = outcome as Extract<AuthOutcome, { kind: 'authenticated' }>;
    expect(principal).toEqual({ id: 'key:ci-bot', kind: 'api-key', grants: expect.any(Grants), rateLimitClass: 'batch', expiresAt: new Date('2027-01-01T00:00:00Z') });
    expect(principal.grants.toJSON()).toEqual(['tools:read_file', 'resources:file']);
    expect(Object.isFrozen(principal)).toBe(true);
  });

  it.each([
    ['X-API-Key', () => header(ci)],
    ['lower-case bearer scheme, extra spaces', () => ({ authorization: [`bearer   ${ci}  `], apiKey: [] })],
    ['X-API-Key with surrounding spaces', () => header(` ${ci} `)],
  ])('%s - authenticated', async (_, credentials) => {
    expect(await authenticator().authenticate(credentials())).toMatchObject({ kind: 'authenticated', principal: { id: 'key:ci-bot' } });
  });

  /** Hostile and foreign inputs: the outcome, and whether a hash check was spent on it. */
  it.each<[string, () => Credentials, AuthOutcome, boolean]>([
    ['no credentials', () => ({ authorization: [], apiKey: [] }), { kind: 'absent' }, false],
    ['a JWT bearer (not ours: the OAuth authenticator decides)', () => bearer('eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln'), { kind: 'absent' }, false],
    ['Basic authorization', () => ({ authorization: ['Basic dXNlcjpwYXNz'], apiKey: [] }), { kind: 'absent' }, false],
    ['two Authorization headers, both the valid key', () => ({ authorization: [`Bearer ${ci}`, `Bearer ${ci}`], apiKey: [] }), { kind: 'rejected', error: 'invalid_request', reason: 'more than one Authorization header' }, false],
    ['two Authorization headers, a JWT and the key', () => ({ authorization: ['Bearer eyJ.x.y', `Bearer ${ci}`], apiKey: [] }), { kind: 'rejected', error: 'invalid_request', reason: 'more than one Authorization header' }, false],
    ['two X-API-Key headers', () => ({ authorization: [], apiKey: [ci, ci] }), { kind: 'rejected', error: 'invalid_request', reason: 'more than one X-API-Key header' }, false],
    ['X-API-Key values joined by a proxy', () => header(`${ci}, ${ci}`), { kind: 'rejected', error: 'invalid_request', reason: 'more than one X-API-Key header' }, false],
    ['Authorization and X-API-Key both set', () => ({ authorization: [`Bearer ${ci}`], apiKey: [ci] }), { kind: 'rejected', error: 'invalid_request', reason: 'both Authorization and X-API-Key are set; send one credential' }, false],
    ['a 1 MB bearer with our prefix', () => bearer(`tfo_${'A'.repeat(1024 * 1024)}`), { kind: 'rejected', error: 'invalid_token', reason: 'API key too long (over 256 characters)' }, false],
    ['a 1 MB X-API-Key', () => header('x'.repeat(1024 * 1024)), { kind: 'rejected', error: 'invalid_token', reason: 'API key too long (over 256 characters)' }, false],
    ['non-ASCII in the secret', () => bearer(`${'tfo_'}${'A'.repeat(12)}_${'é'.repeat(40)}`), { kind: 'rejected', error: 'invalid_token', reason: 'API key contains characters outside printable ASCII' }, false],
    ['a NUL byte', () => header(`${'tfo_'}${'A'.repeat(12)}_${'B'.repeat(39)}\u0000`), { kind: 'rejected', error: 'invalid_token', reason: 'API key contains characters outside printable ASCII' }, false],
    ['wrong prefix in X-API-Key', () => header(`sk_${'A'.repeat(12)}_${'B'.repeat(40)}`), { kind: 'rejected', error: 'invalid_token', reason: 'malformed API key (expected tfo_<id>_<secret>)' }, false],
    ['prefix right, shape wrong', () => bearer(`tfo_${'A'.repeat(20)}`), { kind: 'rejected', error: 'invalid_token', reason: 'malformed API key (expected tfo_<id>_<secret>)' }, false],
    ['unknown id', () => bearer(generateApiKey()), { kind: 'rejected', error: 'invalid_token', reason: 'invalid API key' }, false],
  ])('%s - as listed, before any hash check', async (_, credentials, expected, hashed) => {
    const { calls, verify } = countingVerify();

    expect(await authenticator(verify).authenticate(credentials())).toEqual(expected);
    expect(calls.length > 0).toBe(hashed);
  });

  it('wrong secret for a known id - the same answer as an unknown id, after one hash check', async () => {
    const { calls, verify } = countingVerify();
    const wrongSecret = `${ci.slice(0, 17)}${generateApiKey().slice(17)}`;

    const [wrong, unknown] = [await authenticator(verify).authenticate(bearer(wrongSecret)), await authenticator(verify).authenticate(bearer(generateApiKey()))];

    expect(wrong).toEqual(unknown);
    expect(wrong).toEqual({ kind: 'rejected', error: 'invalid_token', reason: 'invalid API key' });
    expect(calls).toHaveLength(1);
  });

  it('expired key, right secret - rejected naming the expiry; wrong secret - the generic answer', async () => {
    const auth = authenticator();

    expect(await auth.authenticate(bearer(expired))).toEqual({ kind: 'rejected', error: 'invalid_token', reason: 'API key "old" expired at 2026-05-31T23:59:59.000Z' });
    expect(await auth.authenticate(bearer(`${expired.slice(0, 17)}${generateApiKey().slice(17)}`))).toEqual({ kind: 'rejected', error: 'invalid_token', reason: 'invalid API key' });
  });

  it('expiry - judged at each request, also when the verdict is cached', async () => {
    const auth = authenticator();
    expect((await auth.authenticate(bearer(ci))).kind).toBe('authenticated');

    clock.set(new Date('2027-01-01T00:00:00Z'));

    expect(await auth.authenticate(bearer(ci))).toMatchObject({ kind: 'rejected', reason: 'API key "ci-bot" expired at 2027-01-01T00:00:00.000Z' });
  });

  it('verdict cache - a right key and a wrong key, each presented 20 times - one hash check each', async () => {
    const { calls, verify } = countingVerify();
    const auth = authenticator(verify);
    const wrong = `${ci.slice(0, 17)}${generateApiKey().slice(17)}`;

    for (let i = 0; i < 20; i++) {
      expect((await auth.authenticate(i % 2 ? header(ci) : bearer(ci))).kind).toBe('authenticated');
      expect((await auth.authenticate(bearer(wrong))).kind).toBe('rejected');
    }

    expect(calls).toEqual([ci, wrong]);
  });

  it('revocation - the store drops or revokes a key - refused at once, even with a cached verdict', async () => {
    const records = new Map<string, ApiKeyRecord>([[apiKeyIdOf(ci)!, store.find(apiKeyIdOf(ci)!)!]]);
    const mutable: ApiKeyStore = { find: (id) => records.get(id) };
    const { calls, verify } = countingVerify();
    const auth = authenticator(verify, mutable);
    expect((await auth.authenticate(bearer(ci))).kind).toBe('authenticated');

    records.set(apiKeyIdOf(ci)!, { ...records.get(apiKeyIdOf(ci)!)!, revokedAt: NOW });
    expect(await auth.authenticate(bearer(ci))).toEqual({ kind: 'rejected', error: 'invalid_token', reason: 'API key "ci-bot" was revoked' });
    records.delete(apiKeyIdOf(ci)!);
    expect(await auth.authenticate(bearer(ci))).toEqual({ kind: 'rejected', error: 'invalid_token', reason: 'invalid API key' });
    expect(calls).toHaveLength(1);
  });

  it('a record replaced while its hash is checked - judged on the record as it is afterwards', async () => {
    const id = apiKeyIdOf(ci)!;
    const records = new Map<string, ApiKeyRecord>([[id, store.find(id)!]]);
    const auth = authenticator(async (key, hash) => {
      const match = await verifyApiKey(key, hash);
      records.delete(id);
      return match;
    }, { find: (lookup) => records.get(lookup) });

    expect(await auth.authenticate(bearer(ci))).toEqual({ kind: 'rejected', error: 'invalid_token', reason: 'invalid API key' });
  });

  it('hash checks - 6 different keys at once - at most 2 run together', async () => {
    let running = 0;
    let most = 0;
    const keys = await Promise.all(Array.from({ length: 6 }, async (_, i) => ({ key: generateApiKey(), name: `k${i}` })));
    const hashed = authSchema.parse({ api_keys: await Promise.all(keys.map(async ({ key, name }) => ({ name, hash: await hashApiKey(key, FAST), grants: ['tools:*'] }))) });
    const auth = new ApiKeyAuthenticator(new ConfigApiKeyStore(hashed.api_keys), {
      clock,
      verify: async (key, hash) => {
        most = Math.max(most, ++running);
        await new Promise((resolve) => setTimeout(resolve, 10));
        running--;
        return verifyApiKey(key, hash);
      },
    });

    const outcomes = await Promise.all(keys.map(({ key }) => auth.authenticate(bearer(key))));

    expect(outcomes.map((outcome) => outcome.kind)).toEqual(Array(6).fill('authenticated'));
    expect(most).toBe(2);
  });

  it('one key presented by 16 requests at once - one hash check, shared; a wrong secret alongside is still checked on its own', async () => {
    const { calls, verify } = countingVerify();
    const auth = authenticator(verify);
    const wrong = `${ci.slice(0, 17)}${generateApiKey().slice(17)}`;

    const outcomes = await Promise.all([...Array.from({ length: 16 }, () => auth.authenticate(bearer(ci))), auth.authenticate(bearer(wrong))]);

    expect(outcomes.slice(0, 16).map((outcome) => outcome.kind)).toEqual(Array(16).fill('authenticated'));
    expect(outcomes[16]).toEqual({ kind: 'rejected', error: 'invalid_token', reason: 'invalid API key' });
    expect(calls).toHaveLength(2);
    expect(await auth.authenticate(bearer(ci))).toMatchObject({ kind: 'authenticated' });
    expect(calls).toHaveLength(2);
  });

  it('CombinedApiKeyStore - config and another store - each key found in its own', async () => {
    const other = generateApiKey();
    const otherStore = new ConfigApiKeyStore(authSchema.parse({ api_keys: [{ name: 'from-db', hash: await hashApiKey(other, FAST), grants: ['prompts:*'] }] }).api_keys);
    const auth = authenticator(undefined, new CombinedApiKeyStore([store, otherStore]));

    expect(await auth.authenticate(bearer(ci))).toMatchObject({ principal: { id: 'key:ci-bot' } });
    expect(await auth.authenticate(header(other))).toMatchObject({ principal: { id: 'key:from-db' } });
    expect((await auth.authenticate(bearer(generateApiKey()))).kind).toBe('rejected');
  });

  it('reasons - never carry the presented key or its secret', async () => {
    const wrong = `${ci.slice(0, 17)}${generateApiKey().slice(17)}`;
    const outcomes = await Promise.all([bearer(wrong), bearer(expired), header(`${wrong}, x`), bearer(`${wrong}é`)].map((c) => authenticator().authenticate(c)));

    for (const outcome of outcomes) {
      expect(outcome.kind).toBe('rejected');
      expect(JSON.stringify(outcome)).not.toMatch(/tfo_[0-9A-Za-z]{12}/);
    }
  });
});
