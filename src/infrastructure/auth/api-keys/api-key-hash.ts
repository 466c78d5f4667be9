import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { API_KEY_ID, apiKeyIdOf } from './api-key-format.js';

/**
 * What config and the Postgres table store instead of a key: `scrypt$N$r$p$<salt>$<digest>`
 * (base64url, no padding). The salt is `<key id>.<16 random bytes>`: unique per key as a salt must
 * be, and it carries the key's public id, so the one string an operator pastes from
 * `tfo-mcp keys hash` is enough to find the key again without scanning every hash.
 */
export interface ScryptParams {
  readonly N: number;
  readonly r: number;
  readonly p: number;
}

/** Node's own scrypt defaults: about 16 MiB and tens of ms per hash; the verdict cache pays it once per key. */
export const DEFAULT_SCRYPT: ScryptParams = { N: 2 ** 14, r: 8, p: 1 };
const DIGEST_BYTES = 32;
/** Bounds on parameters read from config, so a pasted hash cannot ask for gigabytes or minutes. */
const MIN_N = 2 ** 10;
const MAX_N = 2 ** 20;
const MAX_MEMORY = 256 * 2 ** 20;

export interface ParsedApiKeyHash extends ScryptParams {
  readonly keyId: string;
  readonly salt: string;
  readonly digest: Buffer;
}

const HASH = /^scrypt\$(\d{1,8})\$(\d{1,2})\$(\d{1,2})\$([0-9A-Za-z]+)\.([A-Za-z0-9_-]{16,64})\$([A-Za-z0-9_-]{43})$/;

/** The parts of a stored hash, or undefined when it is not one `hashApiKey` could have made. */
export function parseApiKeyHash(hash: string): ParsedApiKeyHash | undefined {
  const match = HASH.exec(hash);
  if (!match) return undefined;
  const [, n, r, p, keyId, random, digest] = match;
  const params = { N: Number(n), r: Number(r), p: Number(p) };
  if (!validParams(params) || !API_KEY_ID.test(keyId)) return undefined;
  return { ...params, keyId, salt: `${keyId}.${random}`, digest: Buffer.from(digest, 'base64url') };
}

/** Why `hash` is not a stored API key hash (for the config error), or undefined. */
export function apiKeyHashProblem(hash: string): string | undefined {
  return parseApiKeyHash(hash) ? undefined : 'expected what `tfo-mcp keys hash` prints: scrypt$N$r$p$<salt>$<digest>';
}

export async function hashApiKey(key: string, params: ScryptParams = DEFAULT_SCRYPT): Promise<string> {
  const keyId = apiKeyIdOf(key);
  if (keyId === undefined) throw new Error('not an API key this server issues (tfo_<id>_<secret>)');
  if (!validParams(params)) throw new Error('scrypt parameters out of range');
  const salt = `${keyId}.${randomBytes(16).toString('base64url')}`;
  const digest = await derive(key, salt, params);
  return `scrypt$${params.N}$${params.r}$${params.p}$${salt}$${digest.toString('base64url')}`;
}

/**
 * Whether `key` is the key `hash` was made from. Always derives the full digest and compares it in
 * constant time: how much of a wrong key matches changes nothing in the work done.
 */
export async function verifyApiKey(key: string, hash: string): Promise<boolean> {
  const parsed = parseApiKeyHash(hash);
  if (!parsed) return false;
  const derived = await derive(key, parsed.salt, parsed);
  return derived.length === parsed.digest.length && timingSafeEqual(derived, parsed.digest);
}

function derive(key: string, salt: string, { N, r, p }: ScryptParams): Promise<Buffer> {
  const options: ScryptOptions = { N, r, p, maxmem: 128 * N * r * p + 2 ** 20 };
  return new Promise((resolve, reject) => {
    scrypt(key, salt, DIGEST_BYTES, options, (error, digest) => (error ? reject(error) : resolve(digest)));
  });
}

function validParams({ N, r, p }: ScryptParams): boolean {
  const powerOfTwo = Number.isInteger(N) && N >= MIN_N && N <= MAX_N && (N & (N - 1)) === 0;
  return powerOfTwo && Number.isInteger(r) && r >= 1 && r <= 32 && Number.isInteger(p) && p >= 1 && p <= 16 && 128 * N * r * p <= MAX_MEMORY;
}
