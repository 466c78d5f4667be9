const REASONS: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host lookup failed',
  ETIMEDOUT: 'connection timed out',
  ECONNRESET: 'connection reset',
  EPIPE: 'connection closed',
  '28P01': 'authentication failed',
  '28000': 'connection not authorized',
  '3D000': 'database does not exist',
  '3F000': 'schema does not exist',
  '42P01': 'table missing (migrations not applied?)',
  '53300': 'too many connections',
  '57014': 'statement timed out',
  '57P01': 'server terminated the connection',
  '57P03': 'server is starting up or shutting down',
};

const URL_CREDENTIALS = /([a-z][a-z0-9+.-]*:\/\/)[^\s/@]*@/gi;
const PASSWORD_FIELD = /(password\s*[=:]\s*)[^\s)'",;]+/gi;

/**
 * A short, credential-free description of a driver error for logs and health details: known codes
 * map to fixed phrases; anything else is cut short with URLs' user info and password fields masked.
 */
export function describePgError(error: unknown): string {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  if (typeof code === 'string' && REASONS[code]) return REASONS[code];
  const message = error instanceof Error ? error.message : String(error);
  if (/timeout exceeded when trying to connect/i.test(message)) return 'connection timed out';
  if (/connection terminated/i.test(message)) return 'connection terminated';
  const safe = message.replace(URL_CREDENTIALS, '$1***@').replace(PASSWORD_FIELD, '$1***').slice(0, 200);
  return typeof code === 'string' ? `${safe} (${code})` : safe;
}

/** Postgres text and jsonb cannot hold U+0000; it becomes U+FFFD rather than failing the write. */
export function withoutNul(text: string): string {
  return text.includes('\u0000') ? text.replaceAll('\u0000', '\uFFFD') : text;
}

// A JSON escape \u0000 preceded by an even run of backslashes (an odd run would escape the "\u" itself).
const ESCAPED_NUL = /(?<!\\)((?:\\\\)*)\\u0000/g;

/** JSON for a jsonb parameter, with U+0000 (which jsonb rejects) replaced in every string and key. */
export function toJsonb(value: unknown): string {
  return JSON.stringify(value).replace(ESCAPED_NUL, '$1\\ufffd');
}
