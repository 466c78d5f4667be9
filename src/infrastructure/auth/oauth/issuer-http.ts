/** Metadata and introspection answers are small; a bigger body is refused, not buffered. */
const MAX_BODY_BYTES = 256 * 1024;

/** A call to the issuer that did not produce a usable answer: the verdict is `unavailable`, never cached. */
export class IssuerUnavailable extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'IssuerUnavailable';
  }
}

/**
 * One JSON call to the issuer: bounded in time and size, redirects refused (the configured URL is
 * the one trusted). The result is a JSON object or an `IssuerUnavailable`; messages name the URL and
 * the status, never a request body (which may hold a token or a client secret).
 */
export async function fetchIssuerJson(url: string, init: RequestInit, timeoutMs: number): Promise<Record<string, unknown>> {
  let response: Response;
  try {
    response = await fetch(url, { ...init, redirect: 'error', signal: AbortSignal.timeout(timeoutMs) });
  } catch (error) {
    const timedOut = error instanceof Error && error.name === 'TimeoutError';
    throw new IssuerUnavailable(`${url}: ${timedOut ? `no answer within ${timeoutMs} ms` : 'request failed'}`, { cause: error });
  }
  if (response.status !== 200) {
    await response.body?.cancel().catch(() => undefined);
    throw new IssuerUnavailable(`${url}: HTTP ${response.status}`);
  }
  const text = await boundedText(response, url);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new IssuerUnavailable(`${url}: the answer is not JSON`, { cause: error });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new IssuerUnavailable(`${url}: the answer is not a JSON object`);
  return parsed as Record<string, unknown>;
}

async function boundedText(response: Response, url: string): Promise<string> {
  const declared = Number(response.headers.get('content-length') ?? '0');
  if (declared > MAX_BODY_BYTES) {
    await response.body?.cancel().catch(() => undefined);
    throw new IssuerUnavailable(`${url}: answer larger than ${MAX_BODY_BYTES} bytes`);
  }
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > MAX_BODY_BYTES) {
      await reader.cancel().catch(() => undefined);
      throw new IssuerUnavailable(`${url}: answer larger than ${MAX_BODY_BYTES} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}
