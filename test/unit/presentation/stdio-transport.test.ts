import { PassThrough } from 'node:stream';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { StdioServerTransport } from '../../../src/presentation/transports/stdio.js';

/** A transport over in-process streams, with everything it emits recorded. */
async function harness(maxMessageBytes = 4096) {
  const input = new PassThrough();
  const output = new PassThrough();
  const written: string[] = [];
  let partial = '';
  output.setEncoding('utf8');
  output.on('data', (chunk: string) => {
    const parts = (partial + chunk).split('\n');
    partial = parts.pop() ?? '';
    written.push(...parts);
  });
  const transport = new StdioServerTransport(input, output, { maxMessageBytes });
  const messages: JSONRPCMessage[] = [];
  const errors: Error[] = [];
  let closes = 0;
  transport.onmessage = (message) => messages.push(message);
  transport.onerror = (error) => errors.push(error);
  transport.onclose = () => (closes += 1);
  await transport.start();
  return {
    input,
    output,
    transport,
    messages,
    errors,
    /** Complete output lines, parsed. */
    replies: () => written.map((line) => JSON.parse(line) as { id: unknown; error?: { code: number; message: string } }),
    written,
    unterminated: () => partial,
    closes: () => closes,
  };
}

/** Lets the streams deliver what was written (PassThrough emits on the next ticks). */
const settle = () => new Promise((resolve) => setImmediate(resolve));

const ping = (id: number | string) => JSON.stringify({ jsonrpc: '2.0', id, method: 'ping' });

describe('StdioServerTransport', () => {
  it('one line per message - delivered in order', async () => {
    const h = await harness();

    h.input.write(`${ping(1)}\n${ping(2)}\n`);
    h.input.write(`${ping(3)}\n`);
    await settle();

    expect(h.messages.map((m) => (m as { id: number }).id)).toEqual([1, 2, 3]);
    expect(h.written).toEqual([]);
  });

  it('a line split across many chunks - reassembled into one message', async () => {
    const h = await harness();
    const line = `${JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'echo', arguments: { message: 'hello world' } } })}\n`;

    for (let i = 0; i < line.length; i += 5) {
      h.input.write(line.slice(i, i + 5));
      await settle();
    }

    expect(h.messages).toEqual([JSON.parse(line)]);
  });

  it('multibyte UTF-8 split between chunks at every byte offset - decoded intact', async () => {
    const text = 'héllo ✓ 🚀 日本語';
    const bytes = Buffer.from(`${JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'm', params: { text } })}\n`);

    for (let cut = 1; cut < bytes.length; cut += 1) {
      const h = await harness();
      h.input.write(bytes.subarray(0, cut));
      await settle();
      h.input.write(bytes.subarray(cut));
      await settle();
      expect(h.messages).toEqual([{ jsonrpc: '2.0', id: 1, method: 'm', params: { text } }]);
      expect(h.errors).toEqual([]);
    }
  });

  it('CRLF line endings - accepted', async () => {
    const h = await harness();

    h.input.write(`${ping(1)}\r\n${ping(2)}\r`);
    h.input.write('\n');
    await settle();

    expect(h.messages.map((m) => (m as { id: number }).id)).toEqual([1, 2]);
    expect(h.written).toEqual([]);
  });

  it('empty and whitespace-only lines - ignored without a reply', async () => {
    const h = await harness();

    h.input.write(`\n\n   \n\t\r\n${ping(1)}\n\n`);
    await settle();

    expect(h.messages).toHaveLength(1);
    expect(h.written).toEqual([]);
    expect(h.errors).toEqual([]);
  });

  it('a line that is not JSON - one -32700 reply with id null; the next line still works', async () => {
    const h = await harness();

    h.input.write(`{"jsonrpc": "2.0", "id": 1, "method": \n${ping(2)}\n`);
    await settle();

    expect(h.replies()).toEqual([{ jsonrpc: '2.0', id: null, error: { code: -32700, message: expect.stringMatching(/^Parse error/) } }]);
    expect(h.messages.map((m) => (m as { id: number }).id)).toEqual([2]);
    expect(h.errors).toHaveLength(1);
  });

  it('valid JSON but not a valid message - -32600 reply carrying the request id', async () => {
    const h = await harness();

    h.input.write(`${JSON.stringify({ jsonrpc: '1.0', id: 'abc', method: 'ping' })}\n[1,2]\n`);
    await settle();

    expect(h.replies()).toEqual([
      { jsonrpc: '2.0', id: 'abc', error: { code: -32600, message: expect.stringContaining('"jsonrpc"') } },
      { jsonrpc: '2.0', id: null, error: { code: -32600, message: expect.stringContaining('batch') } },
    ]);
    expect(h.messages).toEqual([]);
  });

  it('oversized line arriving in pieces - replied to once, the rest discarded, later lines still work', async () => {
    const h = await harness(1024);
    const big = JSON.stringify({ jsonrpc: '2.0', id: 99, method: 'x', params: { blob: 'z'.repeat(10_000) } });

    for (let i = 0; i < big.length; i += 700) {
      h.input.write(big.slice(i, i + 700));
      await settle();
    }
    h.input.write(`\n${ping(1)}\n`);
    await settle();

    const replies = h.replies();
    expect(replies).toEqual([{ jsonrpc: '2.0', id: null, error: { code: -32600, message: expect.stringContaining('larger than 1024 bytes') } }]);
    expect(h.messages.map((m) => (m as { id: number }).id)).toEqual([1]);
  });

  it('oversized line in a single chunk with its newline - replied to once; the line after it works', async () => {
    const h = await harness(1024);
    const big = JSON.stringify({ jsonrpc: '2.0', id: 99, method: 'x', params: { blob: 'z'.repeat(5_000) } });

    h.input.write(`${big}\n${ping(2)}\n`);
    await settle();

    expect(h.replies()).toHaveLength(1);
    expect(h.replies()[0]?.error?.code).toBe(-32600);
    expect(h.messages.map((m) => (m as { id: number }).id)).toEqual([2]);
  });

  it.each([
    ['in one chunk', false],
    ['with the newline in a later chunk', true],
  ])('line of exactly the limit in multibyte characters (%s) - accepted; one byte more - refused', async (_, splitNewline) => {
    const limit = 1024;
    const frame = (t: string) => JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'm', params: { t } });
    const room = limit - Buffer.byteLength(frame(''));
    const fill = 'é'.repeat(Math.floor(room / 2)) + (room % 2 === 1 ? 'a' : '');
    const fitting = frame(fill);
    const oneMore = frame(`${fill}a`);
    expect(Buffer.byteLength(fitting)).toBe(limit);

    const send = async (h: Awaited<ReturnType<typeof harness>>, line: string) => {
      h.input.write(splitNewline ? line : `${line}\n`);
      await settle();
      if (splitNewline) h.input.write('\n');
      await settle();
    };

    const ok = await harness(limit);
    await send(ok, fitting);
    expect(ok.messages).toHaveLength(1);
    expect(ok.written).toEqual([]);

    const tooBig = await harness(limit);
    await send(tooBig, oneMore);
    expect(tooBig.messages).toEqual([]);
    expect(tooBig.replies()).toHaveLength(1);
    expect(tooBig.replies()[0]?.error?.message).toContain('larger than 1024 bytes');
  });

  it('input ends - onclose fires exactly once, also when close() is called again', async () => {
    const h = await harness();

    h.input.end();
    await settle();
    await h.transport.close();

    expect(h.closes()).toBe(1);
  });

  it('after close - input is ignored and send writes nothing', async () => {
    const h = await harness();
    await h.transport.close();

    h.input.write(`${ping(1)}\n`);
    await h.transport.send({ jsonrpc: '2.0', id: 1, result: {} });
    await settle();

    expect(h.messages).toEqual([]);
    expect(h.written).toEqual([]);
    expect(h.closes()).toBe(1);
  });

  it('send - writes exactly one newline-terminated JSON line per message', async () => {
    const h = await harness();
    const messages: JSONRPCMessage[] = [
      { jsonrpc: '2.0', id: 1, result: { text: 'line one\nline two' } },
      { jsonrpc: '2.0', method: 'notifications/message', params: { level: 'info', data: 'x\r\ny' } },
    ];

    for (const message of messages) await h.transport.send(message);
    await settle();

    expect(h.written.map((line) => JSON.parse(line) as unknown)).toEqual(messages);
    expect(h.unterminated()).toBe('');
  });

  it('frames sent in one tick - leave in one write, in order, each on its own line', async () => {
    const h = await harness();
    const writes: string[] = [];
    const write = h.output.write.bind(h.output);
    h.output.write = ((chunk: string, ...rest: never[]) => {
      writes.push(chunk);
      return write(chunk, ...rest);
    }) as typeof h.output.write;

    const sent = [1, 2, 3].map((id) => h.transport.send({ jsonrpc: '2.0', id, result: {} }));
    await Promise.all(sent);
    await h.transport.send({ jsonrpc: '2.0', id: 4, result: {} });
    await settle();

    expect(writes).toHaveLength(2);
    expect(h.replies().map((r) => r.id)).toEqual([1, 2, 3, 4]);
    expect(h.unterminated()).toBe('');
  });

  it('close with frames not yet written - they are written first', async () => {
    const h = await harness();

    void h.transport.send({ jsonrpc: '2.0', id: 'last', result: {} });
    await h.transport.close();
    await settle();

    expect(h.replies().map((r) => r.id)).toEqual(['last']);
  });

  it('send under backpressure - resolves once the output drains', async () => {
    const input = new PassThrough();
    const output = new PassThrough({ highWaterMark: 16 });
    const transport = new StdioServerTransport(input, output, { maxMessageBytes: 4096 });
    await transport.start();
    let resolved = false;

    const sending = transport.send({ jsonrpc: '2.0', id: 1, result: { padding: 'p'.repeat(100) } }).then(() => (resolved = true));
    await settle();
    expect(resolved).toBe(false);

    output.resume();
    await sending;
    expect(resolved).toBe(true);
  });

  it('output stream errors (EPIPE) - reported through onerror and the transport closes', async () => {
    const h = await harness();

    h.output.emit('error', Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
    await settle();

    expect(h.errors.map((e) => e.message)).toEqual(['write EPIPE']);
    expect(h.closes()).toBe(1);
  });

  it('start a second time (the pinned connection attaches to the started transport) - each message still delivered once', async () => {
    const h = await harness();
    await h.transport.start();

    h.input.write(`${ping(1)}\n`);
    await settle();

    expect(h.messages.map((m) => (m as { id: number }).id)).toEqual([1]);
  });

  it('hold, then release - messages read meanwhile wait and arrive in order before later ones; a malformed line is still answered at once', async () => {
    const h = await harness();
    h.transport.hold();

    h.input.write(`${ping(1)}\nnot json\n${ping(2)}\n`);
    await settle();
    expect(h.messages).toEqual([]);
    expect(h.replies()).toEqual([expect.objectContaining({ id: null, error: expect.objectContaining({ code: -32700 }) })]);

    h.transport.release();
    h.input.write(`${ping(3)}\n`);
    await settle();
    expect(h.messages.map((m) => (m as { id: number }).id)).toEqual([1, 2, 3]);
  });

  it('close while held - the held messages are never delivered', async () => {
    const h = await harness();
    h.transport.hold();
    h.input.write(`${ping(1)}\n`);
    await settle();

    await h.transport.close();
    h.transport.release();

    expect(h.messages).toEqual([]);
  });
});
