export type BearerError = 'invalid_request' | 'invalid_token' | 'insufficient_scope';

export interface BearerChallenge {
  /** `resourceMetadataUrl(audience)`. */
  readonly resourceMetadataUrl: string;
  /** Absent when no token was presented (RFC 6750 §3.1: then no error code). */
  readonly error?: BearerError;
  /** The scopes to ask for: `scopesSupported(options)` on a 401, the `forbidden` outcome's `scope` on a 403. */
  readonly scope?: string | readonly string[];
  /** Human-readable; characters RFC 6750 does not allow there are replaced, and it is capped. */
  readonly description?: string;
}

/** RFC 6749 scope-token: printable ASCII except space, `"` and `\`. */
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;
/** RFC 6750 §3: what error_description may contain. */
const NOT_DESCRIPTION_CHAR = /[^\x20\x21\x23-\x5b\x5d-\x7e]/g;
const MAX_DESCRIPTION_CHARS = 200;

/**
 * The `WWW-Authenticate` value for a 401 or 403, per RFC 6750 §3 and the MCP authorization spec:
 * `Bearer resource_metadata="…"` always (clients discover the issuer through it), then `error`,
 * `scope` and `error_description` when given. The free-text description comes last, so a client that
 * finds parameters by pattern cannot match one inside it.
 */
export function wwwAuthenticate(challenge: BearerChallenge): string {
  const url = URL.canParse(challenge.resourceMetadataUrl) ? new URL(challenge.resourceMetadataUrl) : undefined;
  if (url?.protocol !== 'https:' && url?.protocol !== 'http:') throw new TypeError('resource_metadata must be an absolute http(s) URL');
  const params = [`resource_metadata=${quoted(url.href)}`];
  if (challenge.error) params.push(`error="${challenge.error}"`);
  const scope = scopeValue(challenge.scope);
  if (scope) params.push(`scope="${scope}"`);
  const description = challenge.description?.replace(NOT_DESCRIPTION_CHAR, ' ').slice(0, MAX_DESCRIPTION_CHARS).trim();
  if (description) params.push(`error_description="${description}"`);
  return `Bearer ${params.join(', ')}`;
}

/** Space-separated scope tokens; an entry that is not a valid scope token is left out rather than escaped. */
function scopeValue(scope: string | readonly string[] | undefined): string {
  const entries = typeof scope === 'string' ? scope.split(' ') : (scope ?? []);
  return [...new Set(entries.filter((entry) => SCOPE_TOKEN.test(entry)))].join(' ');
}

/** RFC 9110 quoted-string; a serialized URL has neither `"` nor `\`, but the escape costs nothing. */
function quoted(value: string): string {
  return `"${value.replace(/[\\"]/g, (char) => `\\${char}`)}"`;
}
