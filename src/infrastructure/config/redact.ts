/** Names that hold secrets: `api_key`, `token`, `access_token`, `db_password`… but not `max_tokens`. */
const SECRET_KEY = /(^|[_-])(api[_-]?key|key|token|secret|password|passwd|credentials?|private[_-]?key|authorization|cookie)$/i;

export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key);
}

/**
 * A copy of the config that is safe to show a client: values under secret-looking keys are
 * replaced, and credentials embedded in URLs (postgres://user:pass@…) are masked.
 */
export function redactConfig(value: unknown, key = ''): unknown {
  if (isSecretKey(key)) return value === undefined || value === null || value === '' ? value : '[redacted]';
  if (Array.isArray(value)) return value.map((item) => redactConfig(item));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactConfig(v, k)]));
  }
  if (typeof value === 'string') return maskUrlCredentials(value);
  return value;
}

function maskUrlCredentials(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/)([^/@\s:]*):([^/@\s]+)@/gi, '$1$2:[redacted]@');
}
