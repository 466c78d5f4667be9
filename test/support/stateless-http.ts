/**
 * Raw 2026-07-28 requests over HTTP for tests: the `_meta` envelope, the routing headers, and a
 * subscriptions/listen stream read frame by frame as it arrives.
 */
export type Frame = {
  id?: unknown;
  method?: string;
  params?: Record<string, unknown>;
  result?: Record<string, unknown>;
  error?: { code: number; message?: string; data?: Record<string, unknown> };
};

/** The request envelope of the 2026-07-28 revision, declaring `capabilities` for this request only. */
export function statelessMeta(clientName: string, capabilities: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    'io.modelcontextprotocol/protocolVersion': '2026-07-28',
    'io.modelcontextprotocol/clientInfo': { name: clientName, version: '1' },
    'io.modelcontextprotocol/clientCapabilities': capabilities,
  };
}

/** The headers a 2026-07-28 POST carries (SEP-2243 routing headers included). */
export function statelessHeaders(method: string, name?: string): Record<string, string> {
  return {
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
    'mcp-protocol-version': '2026-07-28',
    'mcp-method': method,
    ...(name !== undefined ? { 'mcp-name': name } : {}),
  };
}

async function until(predicate: () => boolean, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** An open subscriptions/listen request: its HTTP response, the frames read so far, and a way to hang up. */
export class ListenStream {
  readonly frames: Frame[] = [];
  ended = false;

  private constructor(
    readonly status: number,
    readonly contentType: string | null,
    private readonly controller: AbortController,
  ) {}

  static async open(url: string, id: string | number, notifications: unknown, meta: Record<string, unknown> = statelessMeta('listen-test')): Promise<ListenStream> {
    const controller = new AbortController();
    const res = await fetch(url, {
      method: 'POST',
      headers: statelessHeaders('subscriptions/listen'),
      body: JSON.stringify({ jsonrpc: '2.0', id, method: 'subscriptions/listen', params: { notifications, _meta: meta } }),
      signal: controller.signal,
    });
    const stream = new ListenStream(res.status, res.headers.get('content-type'), controller);
    void stream.read(res);
    return stream;
  }

  /** Waits (bounded) until frame `index` has arrived. */
  async frame(index: number, timeoutMs = 5_000): Promise<Frame> {
    await until(() => this.frames.length > index, `frame ${index} on the listen stream`, timeoutMs);
    return this.frames[index]!;
  }

  /** Waits (bounded) until the server ended the stream. */
  async end(timeoutMs = 5_000): Promise<void> {
    await until(() => this.ended, 'the listen stream to end', timeoutMs);
  }

  hangUp(): void {
    this.controller.abort();
  }

  private async read(res: Response): Promise<void> {
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        const lines = buffer.split('\n');
        buffer = lines.pop() ?? '';
        for (const line of lines) if (line.startsWith('data: ')) this.frames.push(JSON.parse(line.slice(6)) as Frame);
      }
    } catch {
      // Aborted by hangUp().
    }
    this.ended = true;
  }
}
