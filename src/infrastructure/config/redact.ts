const SECRET_KEY = /(api[_-]?key|token|secret|password|passwd|credential|private[_-]?key|authorization)/i;

/**
 * A copy of the config that is safe to show a client: values under secret-looking keys are
 * replaced, and credentials embedded in URLs (postgres://user:pass@…) are masked.
 */
export function redactConfig(value: unknown, key = ''): unknown {
  if (SECRET_KEY.test(key)) return value === undefined || value === null || value === '' ? value : '[redacted]';
  if (Array.isArray(value)) return value.map((item) => redactConfig(item));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactConfig(v, k)]));
  }
  if (typeof value === 'string') return maskUrlCredentials(value);
  return value;
}

function maskUrlCredentials(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/)([^/@\s:]+):([^/@\s]+)@/gi, '$1$2:[redacted]@');
}
