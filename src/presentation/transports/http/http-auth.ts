import type { IncomingMessage } from 'node:http';
import type { Principal } from '../../../domain/auth/principal.js';

/**
 * The verdict on one HTTP request, reached from its headers alone (before any body is read): who
 * sent it, or the answer to give instead. `headers` carries `WWW-Authenticate` (401, 403) or
 * `Retry-After` (429, 503); `code` is a stable machine-readable reason (`auth.required`,
 * `auth.invalid_token`, `auth.insufficient_scope`, `rate_limited`…) and `message` never quotes a
 * credential.
 */
export type Admission =
  | { readonly ok: true; readonly principal: Principal }
  | {
      readonly ok: false;
      readonly status: number;
      readonly headers: Readonly<Record<string, string>>;
      readonly code: string;
      readonly message: string;
      /** For a rate-limit refusal: what the JSON-RPC error's data says alongside Retry-After. */
      readonly retryAfterMs?: number;
    };

/**
 * Who may use the MCP endpoints (/mcp, /sse, /messages), as the composition root configured it:
 * authentication (API keys, OAuth access tokens) and the per-principal request budget. Absent from
 * the server when neither `auth` nor `rate_limits` is configured, so an open loopback server pays
 * nothing for it.
 */
export interface HttpAuth {
  admit(req: IncomingMessage): Promise<Admission>;
  /** A document this server publishes without authentication (RFC 9728 metadata), by request path. */
  wellKnown(pathname: string): Record<string, unknown> | undefined;
  /** What /ready shows: the mechanisms in force and the limits, never a secret. */
  describe(): Record<string, unknown>;
}
