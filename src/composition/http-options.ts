import type { ResolvedConfig } from '../infrastructure/config/config.schema.js';
import { isLoopbackHost } from '../infrastructure/config/config-loader.js';
import type { HttpServerOptions } from '../presentation/transports/http/mcp-http-server.js';

/** The HTTP listener's options as `server.http` configures them (main.ts; tests override a few). */
export function httpServerOptions(config: ResolvedConfig): HttpServerOptions {
  const http = config.server.http;
  return {
    host: http.host,
    port: http.port,
    loopback: isLoopbackHost(http.host),
    allowedHosts: http.allowed_hosts,
    allowedOrigins: http.allowed_origins,
    maxBodyBytes: http.max_body_bytes,
    requestTimeoutMs: http.request_timeout_ms,
    maxSessions: http.max_sessions,
    maxSessionsPerClient: http.max_sessions_per_client,
    sessionIdleMs: http.session_idle_ms,
    initTimeoutMs: http.init_timeout_ms,
    headersTimeoutMs: http.headers_timeout_ms,
    bodyTimeoutMs: http.body_timeout_ms,
    idleTimeoutMs: http.idle_timeout_ms,
    maxConnections: http.max_connections,
    keepaliveMs: http.sse_keepalive_ms,
    retryMs: http.sse_retry_ms,
    legacySse: http.legacy_sse,
    responseMode: http.response_mode,
  };
}
