import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';

/**
 * The wire contract between the server (HostAgentExecutor) and `tfo-mcp host-agent`, in one place
 * so both sides sign and read the same bytes. Version 1; a change that old agents would misread
 * gets a new path (/v2/…), never a new meaning under /v1.
 */
export const EXECUTE_PATH = '/v1/execute';
export const HEALTH_PATH = '/v1/health';
export const WHICH_PATH = '/v1/which';

export const HEADER = {
  timestamp: 'x-tfo-timestamp',
  nonce: 'x-tfo-nonce',
  signature: 'x-tfo-signature',
} as const;

/** Shorter secrets are refused on both sides: HMAC-SHA256 wants at least its output size of key. */
export const MIN_SECRET_BYTES = 32;
const SIGNATURE_PREFIX = 'v1=';
/** 128 random bits, hex; the agent accepts 16–128 URL-safe characters so other clients may choose. */
export const NONCE_PATTERN = /^[A-Za-z0-9_-]{16,128}$/;

export interface SignedParts {
  readonly method: string;
  /** Path and query exactly as sent in the request line. */
  readonly path: string;
  /** Unix milliseconds, as a decimal string. */
  readonly timestamp: string;
  readonly nonce: string;
  readonly body: Uint8Array;
}

/**
 * What is signed: method, path, timestamp, nonce and the body's SHA-256, one per line. Each part
 * is fixed-form (no newlines can hide in a valid header or path), so two requests never share a
 * signed text; the body enters through its hash so a changed byte changes the signature.
 */
export function signedText(parts: SignedParts): string {
  const bodyHash = createHash('sha256').update(parts.body).digest('hex');
  return [parts.method.toUpperCase(), parts.path, parts.timestamp, parts.nonce, bodyHash].join('\n');
}

export function sign(parts: SignedParts, secret: Uint8Array): string {
  return SIGNATURE_PREFIX + createHmac('sha256', secret).update(signedText(parts)).digest('hex');
}

/** Constant-time: a mismatch says nothing about how much of the signature was right. */
export function signatureMatches(parts: SignedParts, secret: Uint8Array, given: string): boolean {
  const expected = Buffer.from(sign(parts, secret));
  const actual = Buffer.from(given);
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/** Headers for one request: a fresh nonce and the current time, signed. */
export function signedHeaders(method: string, path: string, body: Uint8Array, secret: Uint8Array, now = Date.now()): Record<string, string> {
  const timestamp = String(now);
  const nonce = randomBytes(16).toString('hex');
  return {
    [HEADER.timestamp]: timestamp,
    [HEADER.nonce]: nonce,
    [HEADER.signature]: sign({ method, path, timestamp, nonce, body }, secret),
  };
}

/** The Executor port's ExecutionRequest minus its functions (signal, onOutput) and what the agent decides itself. */
export const executeBody = z
  .object({
    command: z.string().min(1).max(4096),
    args: z.array(z.string().max(65_536)).max(1024).default([]),
    cwd: z.string().min(1).max(4096),
    env: z.record(z.string().max(256), z.string().max(65_536)).default({}),
    stdin: z.string().max(8 * 1024 * 1024).optional(),
    timeoutMs: z.number().int().positive(),
    maxOutputBytes: z.number().int().positive(),
    shell: z.boolean().default(false),
    /** The server's limits for this run; the agent applies the lower of these and its own. */
    limits: z
      .object({ maxMemoryBytes: z.number().int().positive().optional(), maxProcesses: z.number().int().positive().optional() })
      .strict()
      .optional(),
  })
  .strict();
export type ExecuteBody = z.input<typeof executeBody>;

/** Where the agent would find `command` for a run in `cwd` (its own PATH), and whether its policy would run it. */
export const whichBody = z.object({ command: z.string().min(1).max(4096), cwd: z.string().min(1).max(4096) }).strict();
export type WhichBody = z.infer<typeof whichBody>;

export const whichAnswer = z.union([
  z.object({ status: z.literal('found'), path: z.string() }).strict(),
  z.object({ status: z.enum(['missing', 'not_executable']) }).strict(),
  z.object({ status: z.literal('refused'), rule: z.string(), message: z.string() }).strict(),
]);
export type WhichAnswer = z.infer<typeof whichAnswer>;

/** One NDJSON line of an execute answer: progress while the run streams, then exactly one final line. */
export type ExecuteLine =
  | { readonly output: { readonly stream: 'stdout' | 'stderr'; readonly bytes: number } }
  | { readonly result: WireResult }
  | { readonly spawn_error: { readonly code: string } };

export const wireResult = z.object({
  exitCode: z.number().int().nullable(),
  signal: z.string().nullable(),
  stdout: z.string(),
  stderr: z.string(),
  stdoutTruncated: z.boolean(),
  stderrTruncated: z.boolean(),
  timedOut: z.boolean(),
  cancelled: z.boolean(),
  durationMs: z.number(),
});
export type WireResult = z.infer<typeof wireResult>;

/** A refusal before anything ran: HTTP status plus a stable code; `rule` names the policy rule when there is one. */
export interface WireRefusal {
  readonly error: { readonly code: string; readonly message: string; readonly rule?: string };
}

/** `unix:///run/agent.sock` → a socket path; `http://127.0.0.1:PORT` → host and port. */
export type AgentAddress = { readonly kind: 'unix'; readonly path: string } | { readonly kind: 'tcp'; readonly host: string; readonly port: number };

export function parseAgentUrl(url: string): AgentAddress {
  if (url.startsWith('unix://')) {
    const path = url.slice('unix://'.length);
    if (!path.startsWith('/')) throw new Error(`host agent url "${url}": a unix socket needs an absolute path (unix:///path/agent.sock)`);
    return { kind: 'unix', path };
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`host agent url "${url}" is not a URL; use http://127.0.0.1:PORT or unix:///path/agent.sock`);
  }
  if (parsed.protocol !== 'http:' || parsed.port === '' || (parsed.pathname !== '/' && parsed.pathname !== '')) {
    throw new Error(`host agent url "${url}": use http://127.0.0.1:PORT (with a port and no path) or unix:///path/agent.sock`);
  }
  return { kind: 'tcp', host: parsed.hostname.replace(/^\[|\]$/g, ''), port: Number(parsed.port) };
}

const LOOPBACK = /^(127(\.\d{1,3}){3}|::1|localhost)$/i;

export function isLoopback(host: string): boolean {
  return LOOPBACK.test(host);
}
