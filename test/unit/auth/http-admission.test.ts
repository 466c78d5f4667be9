import type { IncomingMessage } from 'node:http';
import type { AuthOutcome, Authenticator, Credentials } from '../../../src/application/ports/authenticator.js';
import { CompositeAuthenticator } from '../../../src/composition/composite-authenticator.js';
import { credentialsOf, HttpAdmission, realmChallenge, type Challenge } from '../../../src/composition/http-admission.js';
import { Grants } from '../../../src/domain/auth/grants.js';
import { ANONYMOUS, type Principal } from '../../../src/domain/auth/principal.js';
import { rateLimitsSchema } from '../../../src/infrastructure/config/rate-limits.schema.js';
import { createRateLimiter } from '../../../src/infrastructure/rate-limit/create-rate-limiter.js';
import type { Admission } from '../../../src/presentation/transports/http/http-auth.js';
import { RecordingLogger } from '../../support/builders.js';

/** The HTTP edge's admission: authenticator outcomes as statuses and challenges, then the request bucket. */
const ALICE: Principal = Object.freeze({ id: 'key:alice', kind: 'api-key', grants: Grants.parse(['tools:*']) });
const BATCH: Principal = Object.freeze({ id: 'key:batch', kind: 'api-key', grants: Grants.parse(['tools:*']), rateLimitClass: 'batch' });

function request(headers: Record<string, string[]> = {}): IncomingMessage {
  const rawHeaders = Object.entries(headers).flatMap(([name, values]) => values.flatMap((value) => [name, value]));
  return { rawHeaders, socket: { remoteAddress: '127.0.0.1' } } as unknown as IncomingMessage;
}

/** Answers `outcome` and remembers what it was shown. */
class ScriptedAuthenticator implements Authenticator {
  readonly seen: Credentials[] = [];
  closed = false;
  constructor(private readonly outcome: AuthOutcome) {}
  async authenticate(credentials: Credentials): Promise<AuthOutcome> {
    this.seen.push(credentials);
    return this.outcome;
  }
  async close(): Promise<void> {
    this.closed = true;
  }
}

const challenges: Challenge[] = [];
const challenge = (c: Challenge) => {
  challenges.push(c);
  return `Bearer resource_metadata="https://mcp.test/.well-known/oauth-protected-resource/mcp"${c.error ? `, error="${c.error}"` : ''}`;
};

function admission(outcome: AuthOutcome, extra: Partial<ConstructorParameters<typeof HttpAdmission>[0]> = {}): HttpAdmission {
  return new HttpAdmission({ authenticator: new ScriptedAuthenticator(outcome), challenge, scopesToAsk: ['tools:*', 'mcp:use'], description: { authentication: { oauth: {} } }, logger: new RecordingLogger(), ...extra });
}

function refused(result: Admission): Exclude<Admission, { ok: true }> {
  if (result.ok) throw new Error(`expected a refusal, admitted ${result.principal.id}`);
  return result;
}

beforeEach(() => {
  challenges.length = 0;
});

describe('HttpAdmission – authentication outcomes', () => {
  it('authenticated – admitted as that principal; the authenticator saw every Authorization and X-API-Key value', async () => {
    const authenticator = new ScriptedAuthenticator({ kind: 'authenticated', principal: ALICE });
    const gate = new HttpAdmission({ authenticator, challenge, description: {}, logger: new RecordingLogger() });

    const result = await gate.admit(request({ authorization: ['Bearer a', 'Bearer b'], 'x-api-key': ['k'] }));

    expect(result).toEqual({ ok: true, principal: ALICE });
    expect(authenticator.seen).toEqual([{ authorization: ['Bearer a', 'Bearer b'], apiKey: ['k'] }]);
  });

  it('no credential – 401, auth.required, the challenge asks for the scopes to request and names no error', async () => {
    const result = refused(await admission({ kind: 'absent' }).admit(request()));

    expect(result).toMatchObject({ status: 401, code: 'auth.required' });
    expect(result.headers['WWW-Authenticate']).toMatch(/^Bearer resource_metadata="/);
    expect(challenges).toEqual([{ scope: ['tools:*', 'mcp:use'] }]);
  });

  it('a bad token – 401 invalid_token with the reason as error_description', async () => {
    const result = refused(await admission({ kind: 'rejected', error: 'invalid_token', reason: 'token expired' }).admit(request()));

    expect(result).toMatchObject({ status: 401, code: 'auth.invalid_token', message: 'Unauthorized: token expired' });
    expect(challenges).toEqual([{ error: 'invalid_token', description: 'token expired' }]);
  });

  it('a malformed request (two Authorization headers) – 400 invalid_request, still with a challenge', async () => {
    const result = refused(await admission({ kind: 'rejected', error: 'invalid_request', reason: 'more than one Authorization header' }).admit(request()));

    expect(result).toMatchObject({ status: 400, code: 'auth.invalid_request', message: 'Bad Request: more than one Authorization header' });
    expect(result.headers['WWW-Authenticate']).toContain('error="invalid_request"');
  });

  it('a missing required scope – 403 insufficient_scope whose challenge lists the scopes to ask for', async () => {
    const result = refused(await admission({ kind: 'forbidden', scope: ['tools:*', 'mcp:use'], reason: 'token lacks the required scope mcp:use' }).admit(request()));

    expect(result).toMatchObject({ status: 403, code: 'auth.insufficient_scope' });
    expect(challenges).toEqual([{ error: 'insufficient_scope', scope: ['tools:*', 'mcp:use'], description: 'token lacks the required scope mcp:use' }]);
  });

  it('the issuer unreachable – 503 with Retry-After and no challenge (a good token must not re-authorize)', async () => {
    const result = refused(await admission({ kind: 'unavailable', reason: 'issuer keys unavailable' }).admit(request()));

    expect(result).toMatchObject({ status: 503, code: 'auth.unavailable', headers: { 'Retry-After': '5' } });
    expect(result.headers['WWW-Authenticate']).toBeUndefined();
  });
});

describe('HttpAdmission – request buckets', () => {
  const limits = () =>
    createRateLimiter(rateLimitsSchema.parse({ enabled: true, default: { requests_per_minute: 60, burst: 2 }, classes: { batch: { requests_per_minute: 300, burst: 5 } } }), { logger: new RecordingLogger() });

  it('over the burst – 429 with Retry-After in whole seconds (at least 1) and the limit named', async () => {
    const gate = admission({ kind: 'authenticated', principal: ALICE }, { limiter: limits() });
    expect((await gate.admit(request())).ok).toBe(true);
    expect((await gate.admit(request())).ok).toBe(true);

    const result = refused(await gate.admit(request()));

    expect(result).toMatchObject({ status: 429, code: 'rate_limited' });
    expect(result.message).toContain('rate_limits.default.requests_per_minute');
    const seconds = Number(result.headers['Retry-After']);
    expect(seconds).toBeGreaterThanOrEqual(1);
    expect(seconds).toBe(Math.max(1, Math.ceil(result.retryAfterMs! / 1000)));
  });

  it('a principal of class batch – counted by its class, not the default', async () => {
    const gate = admission({ kind: 'authenticated', principal: BATCH }, { limiter: limits() });
    const results = [];
    for (let i = 0; i < 6; i += 1) results.push(await gate.admit(request()));
    expect(results.filter((r) => r.ok)).toHaveLength(5);
    expect(refused(results[5]!).message).toContain('rate_limits.classes.batch.requests_per_minute');
  });

  it('once refused – the rest of the window is refused without asking the limiter (no store round trip per flood request); after it, asked again', async () => {
    let asked = 0;
    const limiter = {
      request: async () => {
        asked += 1;
        return asked === 1 ? { allowed: false as const, retryAfterMs: 80, limit: 'rate_limits.default.requests_per_minute' } : { allowed: true as const };
      },
      toolCall: async () => ({ allowed: true as const }),
      acquire: async () => ({ release: () => undefined }),
      describe: () => ({ enabled: true }),
    };
    const gate = admission({ kind: 'authenticated', principal: ALICE }, { limiter });

    const refusals = [];
    for (let i = 0; i < 5; i += 1) refusals.push(refused(await gate.admit(request())));
    expect(asked).toBe(1);
    expect(refusals.every((r) => r.status === 429 && r.message.includes('rate_limits.default.requests_per_minute'))).toBe(true);
    expect(refusals[4]!.retryAfterMs).toBeLessThanOrEqual(80);

    await new Promise((resolve) => setTimeout(resolve, 100));
    expect((await gate.admit(request())).ok).toBe(true);
    expect(asked).toBe(2);
  });

  it('a refused credential – never reaches the bucket (a flood of bad keys spends no one\'s budget)', async () => {
    const limiter = limits();
    const gate = admission({ kind: 'rejected', error: 'invalid_token', reason: 'invalid API key' }, { limiter });
    for (let i = 0; i < 3; i += 1) await gate.admit(request());
    expect((await limiter.request({ principalId: 'anonymous' })).allowed).toBe(true);
  });

  it('rate limits without auth – every caller is the anonymous principal, counted as one', async () => {
    const gate = new HttpAdmission({ challenge, limiter: limits(), description: { authentication: 'none' }, logger: new RecordingLogger() });
    expect(await gate.admit(request())).toEqual({ ok: true, principal: ANONYMOUS });
    await gate.admit(request());
    expect(refused(await gate.admit(request())).status).toBe(429);
  });
});

describe('HttpAdmission – documents and description', () => {
  it('wellKnown – the configured document by exact path, nothing for any other path', () => {
    const doc = { resource: 'https://mcp.test/mcp' };
    const gate = admission({ kind: 'absent' }, { documents: new Map([['/.well-known/oauth-protected-resource/mcp', doc]]) });
    expect(gate.wellKnown('/.well-known/oauth-protected-resource/mcp')).toBe(doc);
    expect(gate.wellKnown('/.well-known/oauth-protected-resource/other')).toBeUndefined();
    expect(gate.wellKnown('/mcp')).toBeUndefined();
  });

  it('describe – the mechanisms, and the limiter\'s own description (enabled: false without one)', () => {
    expect(admission({ kind: 'absent' }).describe()).toEqual({ authentication: { oauth: {} }, rate_limits: { enabled: false } });
  });
});

describe('credentialsOf (the raw header list)', () => {
  it('every Authorization and X-API-Key value in any case, in order; other headers ignored', () => {
    const raw = ['Host', 'x', 'AUTHORIZATION', 'Bearer a', 'Content-Type', 'application/json', 'authorization', 'Bearer b', 'X-Api-Key', 'k1', 'x-api-key', 'k2', 'X-API-Keys', 'not this'];
    expect(credentialsOf(raw)).toEqual({ authorization: ['Bearer a', 'Bearer b'], apiKey: ['k1', 'k2'] });
  });

  it('neither header – two empty lists', () => {
    expect(credentialsOf(['Host', 'x', 'Accept', '*/*'])).toEqual({ authorization: [], apiKey: [] });
  });
});

describe('CompositeAuthenticator', () => {
  it('the first outcome other than absent decides; later authenticators are not asked', async () => {
    const keys = new ScriptedAuthenticator({ kind: 'absent' });
    const oauth = new ScriptedAuthenticator({ kind: 'rejected', error: 'invalid_token', reason: 'bad signature' });
    const never = new ScriptedAuthenticator({ kind: 'authenticated', principal: ALICE });
    const composite = new CompositeAuthenticator([keys, oauth, never]);

    expect(await composite.authenticate({ authorization: ['Bearer x'], apiKey: [] })).toMatchObject({ kind: 'rejected', reason: 'bad signature' });
    expect(never.seen).toHaveLength(0);
  });

  it('every one absent – absent; close closes them all', async () => {
    const parts = [new ScriptedAuthenticator({ kind: 'absent' }), new ScriptedAuthenticator({ kind: 'absent' })];
    const composite = new CompositeAuthenticator(parts);
    expect(await composite.authenticate({ authorization: [], apiKey: [] })).toEqual({ kind: 'absent' });
    await composite.close();
    expect(parts.map((p) => p.closed)).toEqual([true, true]);
  });
});

describe('realmChallenge (API keys without OAuth)', () => {
  const build = realmChallenge('tfo-mcp');

  it('no credential – just the realm', () => {
    expect(build({})).toBe('Bearer realm="tfo-mcp"');
  });

  it('a refusal – error and a description cleaned of quotes, backslashes and control characters', () => {
    expect(build({ error: 'invalid_token', description: 'key "x"\\\nrevoked' })).toBe('Bearer realm="tfo-mcp", error="invalid_token", error_description="key  x   revoked"');
  });

  it('scopes – only valid scope tokens are listed', () => {
    expect(build({ error: 'insufficient_scope', scope: ['tools:*', 'bad"scope', ''] })).toBe('Bearer realm="tfo-mcp", error="insufficient_scope", scope="tools:*"');
  });
});
