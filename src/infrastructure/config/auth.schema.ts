import { z } from 'zod';
import { Grants } from '../../domain/auth/grants.js';
import { parseApiKeyHash } from '../auth/api-keys/api-key-hash.js';
import { ConfigError } from './config-error.js';
import { int, list, listOf } from './config-values.js';

/**
 * The `auth` section: who may call an HTTP server (OAuth 2.1 access tokens, API keys) and what
 * the local stdio user may use. Grants are checked with the domain's own parser, so a typo stops
 * start-up with the key path (`auth.api_keys.0.grants.1`) instead of silently granting nothing.
 */

/** The principal id is `key:<name>`: names stay short and plain so ids read well in logs and events. */
export const API_KEY_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const API_KEY_NAME_MESSAGE = 'expected 1–64 letters, digits, ".", "_" or "-", starting with a letter or digit';
/** A `rate_limits.classes` name. */
export const RATE_LIMIT_CLASS = /^[A-Za-z0-9_-]{1,64}$/;

/** Asymmetric algorithms only: never `none`, never HS* (a public key must not double as an HMAC secret). */
export const OAUTH_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'] as const;

/** `2027-01-01` (midnight UTC) or a date-time with its offset; a local time without one is ambiguous. */
const ISO_EXPIRY = /^(\d{4})-(\d{2})-(\d{2})(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})?)?$/;

/** The instant an `expires_at` value names, or a problem saying what is wrong with it. */
export function parseExpiry(text: string): Date | { problem: string } {
  const match = ISO_EXPIRY.exec(text.trim());
  const problem = 'expected an ISO 8601 date (2027-01-31) or date-time with offset (2027-01-31T18:00:00Z)';
  if (!match) return { problem };
  const [, year, month, day] = match.map(Number);
  const calendar = new Date(Date.UTC(year, month - 1, day));
  if (calendar.getUTCMonth() !== month - 1 || calendar.getUTCDate() !== day) return { problem: `${problem}; ${text.trim().slice(0, 10)} is not a calendar date` };
  if (text.includes('T') && match[4] === undefined) return { problem: 'a date-time needs its offset (Z or +02:00): without one the instant is ambiguous' };
  const instant = new Date(text.includes('T') ? text.trim() : `${text.trim()}T00:00:00Z`);
  return Number.isNaN(instant.getTime()) ? { problem } : instant;
}

const LOOPBACK_HOST = /^(127(\.\d{1,3}){3}|\[::1\]|localhost)$/i;

/**
 * The section's schema, built on its first parse (z.lazy): a configuration without `auth` never
 * builds it (config.schema.ts, configSchemaFor), which keeps it out of the server's start-up.
 */
export const authSchema = z.lazy(buildAuthSchema);

function buildAuthSchema() {
  const grantEntry = z.string().superRefine((entry, ctx) => {
    try {
      Grants.parse([entry]);
    } catch (error) {
      // The loader appends the value itself (`, got "tool:x"`), so the domain's quoted copy is dropped.
      const message = error instanceof Error ? error.message : String(error);
      ctx.addIssue({ code: 'custom', message: message.startsWith(`"${entry}" is `) ? message.slice(entry.length + 6) : message });
    }
  });
  const grantList = listOf(grantEntry);

  const expiry = z.preprocess(
    (value) => (value instanceof Date ? value.toISOString() : value),
    z.string().superRefine((text, ctx) => {
      const parsed = parseExpiry(text);
      if (!(parsed instanceof Date)) ctx.addIssue({ code: 'custom', message: parsed.problem });
    }),
  );

  const apiKeySchema = z
    .object({
      name: z.string().regex(API_KEY_NAME, { error: API_KEY_NAME_MESSAGE }),
      /** What `tfo-mcp keys hash` prints; never the key itself. */
      hash: z.string().refine((hash) => parseApiKeyHash(hash) !== undefined, {
        error: 'expected what `tfo-mcp keys hash` prints (scrypt$N$r$p$<salt>$<digest>), never the key itself',
      }),
      grants: grantList.pipe(z.array(z.string()).min(1, { error: 'a key without grants could call nothing; list at least one' })),
      expires_at: expiry.optional(),
      rate_limit_class: z.string().regex(RATE_LIMIT_CLASS, { error: 'expected a rate_limits.classes name (letters, digits, "_", "-")' }).optional(),
    })
    .strict();

  /** In an environment variable the list arrives as JSON text. */
  const apiKeyList = z
    .preprocess((value) => {
      if (typeof value !== 'string') return value;
      try {
        return JSON.parse(value);
      } catch {
        return value;
      }
    }, z.array(apiKeySchema))
    .superRefine((keys, ctx) => {
      const names = new Set<string>();
      const ids = new Set<string>();
      keys.forEach((key, index) => {
        if (names.has(key.name)) ctx.addIssue({ code: 'custom', path: [index, 'name'], message: `"${key.name}" names another key already; names must be unique` });
        const id = parseApiKeyHash(key.hash)?.keyId;
        if (id !== undefined && ids.has(id)) ctx.addIssue({ code: 'custom', path: [index, 'hash'], message: 'the same key is listed twice (another entry has this hash\'s key id)' });
        names.add(key.name);
        if (id !== undefined) ids.add(id);
      });
    });

  /** Where tokens or keys are fetched from: https, or http on loopback (tests, a sidecar). */
  const fetchUrl = z
    .string()
    .url()
    .refine(
      (value) => {
        const url = new URL(value);
        return url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK_HOST.test(url.hostname));
      },
      { error: 'expected an https:// URL (http:// only on a loopback address)' },
    );

  const oauthSchema = z
    .object({
      /** Compared exactly with the token's `iss`; also where the metadata is discovered (RFC 8414 / OIDC). */
      issuer: fetchUrl,
      /** This server's canonical resource URI (RFC 8707): tokens must carry it in `aud`. */
      audience: z
        .string()
        .url()
        .refine((value) => !value.includes('#'), { error: 'a resource URI has no fragment (RFC 8707)' }),
      /** Optional: otherwise taken from the issuer's metadata. */
      jwks_url: fetchUrl.optional(),
      required_scopes: list.default([]),
      /** RFC 7662 introspection for opaque tokens; the server authenticates with client_id and the secret file. */
      introspection_url: fetchUrl.optional(),
      client_id: z.string().min(1).optional(),
      /** A file holding the client secret: the path is configuration, the secret is never read into it. */
      client_secret_file: z.string().min(1).optional(),
      algorithms: listOf(
        z.string().refine((alg) => (OAUTH_ALGORITHMS as readonly string[]).includes(alg), {
          error: `expected one of ${OAUTH_ALGORITHMS.join(', ')} (none and HS* are never accepted)`,
        }),
      )
        .pipe(z.array(z.string()).min(1))
        .default(['RS256', 'ES256', 'PS256', 'EdDSA']),
      clock_skew_s: int(0, 600).default(60),
      /** A claim whose string value becomes the principal's tenant (e.g. `org_id`). */
      tenant_claim: z.string().min(1).optional(),
      /** Scopes advertised in the protected-resource metadata and the 401 challenge (clients ask for exactly these). */
      scopes_supported: list.optional(),
      /** The metadata document's human-readable name. */
      resource_name: z.string().min(1).optional(),
      /** How long an introspection verdict is reused (default 60 s): a revoked opaque token stops working within this. */
      introspection_cache_s: int(0, 3600).optional(),
    })
    .strict()
    .superRefine((oauth, ctx) => {
      if (oauth.introspection_url === undefined) return;
      for (const key of ['client_id', 'client_secret_file'] as const) {
        if (oauth[key] === undefined) ctx.addIssue({ code: 'custom', path: [key], message: 'introspection_url needs client_id and client_secret_file to authenticate to the endpoint' });
      }
    });

  return z
    .object({
      oauth: oauthSchema.optional(),
      api_keys: apiKeyList.default([]),
      /** What the local stdio user (the OS user who started the process) may use. */
      stdio_grants: grantList.default(['tools:*', 'resources:*', 'prompts:*']),
      /** `postgres`: keys made with `tfo-mcp keys create` as well as those in api_keys. */
      api_key_store: z.enum(['config', 'postgres']).default('config'),
    })
    .strict();
}

export type AuthConfig = z.infer<typeof authSchema>;
export type ApiKeyConfig = AuthConfig['api_keys'][number];
export type OAuthConfig = NonNullable<AuthConfig['oauth']>;

/** A check across sections, for the loader: the key table is created by the Postgres migrations. */
export function assertApiKeyStore(auth: AuthConfig | undefined, persistenceDriver: string): void {
  if (auth?.api_key_store !== 'postgres' || persistenceDriver === 'postgres') return;
  throw new ConfigError('auth.api_key_store', `"postgres" needs persistence.driver: postgres (its migrations create the api_keys table), got "${persistenceDriver}"`);
}
