/**
 * Names that hold secrets: `api_key`, `token`, `access_token`, `db_password`… but not `max_tokens`.
 * Plural `keys` too (`mcp.request_state.keys`, the requestState HMAC keys): config-sources judges a
 * value by its last name alone, so a list's name must say it. The cost is that other fields called
 * `keys` (a task's input keys) are hidden in operator logs as well. `hash`: an API key's scrypt hash is
 * not the key, but it is what an offline guess is checked against, so it is never shown either.
 */
const SECRET_KEY = /(^|[_-])(api[_-]?keys?|keys?|token|secret|password|passwd|credentials?|private[_-]?keys?|authorization|cookie|hash)$/i;

/**
 * Secret-named lists whose entries are records, not secrets: `auth.api_keys` holds a name, grants,
 * an expiry and a rate-limit class per key, which operators need to see, beside the key's `hash`
 * (secret by its own name above). Each field of such a record is judged by its own name.
 */
const RECORD_LISTS = new Set(['api_keys']);

/**
 * Query or fragment parameters that carry credentials: the secret names above plus the short and
 * vendor forms seen in connection strings and signed URLs (`pass`, `pwd`, `apikey`, `sig`,
 * `X-Amz-Signature`, `X-Amz-Credential`, `auth`, `jwt`, `session`…). `sslmode`, `db`, `timeout` stay.
 */
const SECRET_PARAM =
  /(^|[_-])(api[_-]?key|apikey|key|token|secret|password|passwd|pass|pwd|credentials?|private[_-]?key|authorization|auth|cookie|sig|signature|jwt|session(id)?|jsessionid|sas)$/i;

const REDACTED = '[redacted]';

/**
 * A URL with a scheme and `//`, up to whitespace, quotes or angle brackets (how URLs end in log
 * lines, error texts and JSON). Anything with `://` is treated as a URL: redacting too much of an
 * odd string costs less than printing a password.
 */
const URL_IN_TEXT = /\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>`]+/gi;
/** Scheme and authority: `userinfo@` is everything before the last `@` ahead of the path, query or fragment. */
const AUTHORITY = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#]*)/i;
/** `name=value` after `?`, `&`, `;` or `#` (OAuth puts tokens in the fragment). */
const PARAMETER = /([?&;#])([^=&;#]+)=([^&;#]*)/g;

export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key);
}

function isSecretParameter(name: string): boolean {
  let decoded = name;
  try {
    decoded = decodeURIComponent(name.replaceAll('+', ' '));
  } catch {
    // A malformed escape: judge the name as written.
  }
  return SECRET_PARAM.test(decoded.trim());
}

/**
 * Userinfo of any shape is a credential or part of one: `user:password@` keeps the user name (it
 * says which account, and is no secret on its own), while a lone `token@` (NATS, some Redis and
 * HTTP proxies) is hidden whole, since a user name and a token cannot be told apart.
 */
function redactUserinfo(url: string): string {
  return url.replace(AUTHORITY, (whole, scheme: string, authority: string) => {
    const at = authority.lastIndexOf('@');
    if (at === -1) return whole;
    const userinfo = authority.slice(0, at);
    const colon = userinfo.indexOf(':');
    const shown = colon === -1 ? (userinfo === '' ? '' : REDACTED) : `${userinfo.slice(0, colon)}:${REDACTED}`;
    return `${scheme}${shown}${authority.slice(at)}`;
  });
}

function redactParameters(url: string): string {
  const start = url.search(/[?#;]/);
  if (start === -1) return url;
  const tail = url.slice(start).replace(PARAMETER, (whole, separator: string, name: string, value: string) =>
    value !== '' && isSecretParameter(name) ? `${separator}${name}=${REDACTED}` : whole,
  );
  return url.slice(0, start) + tail;
}

/** Masks every credential carried by a URL anywhere in `text`: userinfo and secret-named parameters. */
export function redactText(text: string): string {
  if (!text.includes('://')) return text;
  return text.replace(URL_IN_TEXT, (url) => redactParameters(redactUserinfo(url)));
}

/**
 * A copy of the config that is safe to show a client: values under secret-looking keys are
 * replaced, and credentials embedded in URLs (user info, secret query parameters) are masked.
 */
export function redactConfig(value: unknown, key = ''): unknown {
  if (RECORD_LISTS.has(key) && Array.isArray(value)) return value.map((item) => (isRecord(item) ? redactConfig(item) : redactedSecret(item)));
  if (isSecretKey(key)) return redactedSecret(value);
  if (Array.isArray(value)) return value.map((item) => redactConfig(item));
  if (value instanceof Error) return redactText(value.stack ?? `${value.name}: ${value.message}`);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactConfig(v, k)]));
  }
  if (typeof value === 'string') return redactText(value);
  return value;
}

/** "Not set" stays visible; a list of secrets keeps its length (how many keys are configured), nothing else. */
function redactedSecret(value: unknown): unknown {
  if (value === undefined || value === null || value === '') return value;
  return Array.isArray(value) ? value.map(() => REDACTED) : REDACTED;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof Error);
}
