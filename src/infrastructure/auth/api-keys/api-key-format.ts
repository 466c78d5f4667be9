import { randomBytes } from 'node:crypto';

/**
 * An API key is `tfo_<id>_<secret>`: a recognisable prefix (so secret scanners and the
 * authenticator can tell our keys from OAuth tokens without parsing them), a public id that the
 * stores index by (a lookup never scans or hashes every key), and the secret that carries the
 * entropy. Base62 only, so a double-click selects the whole key and no URL or header escaping is
 * ever needed.
 */
export const API_KEY_PREFIX = 'tfo_';
const ID_LENGTH = 12;
/** 40 base62 characters: about 238 bits, far beyond guessing whatever the hash costs. */
const SECRET_LENGTH = 40;
export const API_KEY_LENGTH = API_KEY_PREFIX.length + ID_LENGTH + 1 + SECRET_LENGTH;
export const API_KEY_ID = new RegExp(`^[0-9A-Za-z]{${ID_LENGTH}}$`);
const API_KEY = new RegExp(`^${API_KEY_PREFIX}([0-9A-Za-z]{${ID_LENGTH}})_[0-9A-Za-z]{${SECRET_LENGTH}}$`);

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

export function generateApiKey(): string {
  return `${API_KEY_PREFIX}${base62(ID_LENGTH)}_${base62(SECRET_LENGTH)}`;
}

/** The public id of a well-formed key; undefined for anything else. */
export function apiKeyIdOf(key: string): string | undefined {
  return API_KEY.exec(key)?.[1];
}

/** Why `key` is not a key this server issues, for the CLI (never echoes the key). */
export function apiKeyProblem(key: string): string | undefined {
  if (apiKeyIdOf(key) !== undefined) return undefined;
  if (!key.startsWith(API_KEY_PREFIX)) return `an API key starts with "${API_KEY_PREFIX}"`;
  return `an API key is ${API_KEY_PREFIX}<${ID_LENGTH} letters or digits>_<${SECRET_LENGTH} letters or digits> (${API_KEY_LENGTH} characters)`;
}

/** Uniform over the alphabet: bytes at or above 248 (4 × 62) are dropped rather than folded in. */
function base62(length: number): string {
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte < 248 && out.length < length) out += BASE62[byte % 62];
    }
  }
  return out;
}
