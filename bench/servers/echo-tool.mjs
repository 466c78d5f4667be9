/**
 * The `echo` tool as tfo-mcp declares it (src/application/tools/system.tools.ts): same name,
 * input limit, output schema, annotations and result shape (text content + structuredContent), so
 * every server validates and serializes the same thing per call.
 */
import { z } from 'zod';

export const MAX_ECHO_CHARS = 100_000;
export const ECHO_NAME = 'echo';
export const ECHO_TITLE = 'Echo';
export const ECHO_DESCRIPTION = 'Returns the given message unchanged. Use it to check that the server responds.';
export const ECHO_ANNOTATIONS = { title: 'Echo', readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false };

export const echoInputShape = {
  message: z.string().max(MAX_ECHO_CHARS).describe(`Text to return unchanged (at most ${MAX_ECHO_CHARS} characters).`),
};
export const echoOutputShape = { message: z.string() };

export const echoResult = (message) => ({ content: [{ type: 'text', text: message }], structuredContent: { message } });

/** Servers log at warn and above only, as tfo-mcp does in the benchmark (TELEMETRYFLOW_MCP_LOGGING__LEVEL=warn). */
export const quietLogger = {
  debug() {},
  info() {},
  log() {},
  warn: (...args) => console.error(...args),
  error: (...args) => console.error(...args),
};
