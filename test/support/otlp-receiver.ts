/**
 * A real OTLP/HTTP trace receiver on loopback: POST /v1/traces with application/x-protobuf or
 * application/json (gzip or not), decoded here and recorded span by span. The protobuf side is a
 * small wire-format reader written against opentelemetry-proto's trace.proto field numbers, not the
 * SDK's own encoder, so a test sees what a collector would see.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

export interface ReceivedSpan {
  readonly traceId: string;
  readonly spanId: string;
  /** Absent for a root span. */
  readonly parentSpanId?: string;
  readonly traceState?: string;
  readonly name: string;
  /** 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  readonly kind: number;
  readonly startNs: bigint;
  readonly endNs: bigint;
  readonly attributes: Readonly<Record<string, unknown>>;
  readonly events: readonly { readonly name: string; readonly attributes: Readonly<Record<string, unknown>> }[];
  readonly links: readonly { readonly traceId: string; readonly spanId: string; readonly attributes: Readonly<Record<string, unknown>> }[];
  /** 0 unset, 1 ok, 2 error. */
  readonly status: { readonly code: number; readonly message?: string };
  readonly resource: Readonly<Record<string, unknown>>;
  readonly scope: { readonly name: string; readonly version?: string };
}

export interface ReceivedRequest {
  /** What the receiver answered: 200, or the status set with `failWith`. */
  readonly status: number;
  readonly contentType: string;
  readonly contentEncoding?: string;
  readonly spans: number;
}

export interface OtlpReceiver {
  /** The base endpoint, as `telemetry.otlp.endpoint` takes it. */
  readonly endpoint: string;
  readonly spans: ReceivedSpan[];
  readonly requests: ReceivedRequest[];
  /** Resolves with the spans once `predicate` holds for them, or rejects after `timeoutMs`. */
  waitFor(predicate: (spans: readonly ReceivedSpan[]) => boolean, timeoutMs?: number): Promise<ReceivedSpan[]>;
  /** Answers the next requests with this HTTP status (a collector outage), or normally again with undefined. */
  failWith(status: number | undefined): void;
  close(): Promise<void>;
}

// ---- protobuf wire format ----------------------------------------------------------------------

type Field = { readonly no: number; readonly wire: number; readonly value: bigint | Uint8Array };

function* fields(buf: Uint8Array): Generator<Field> {
  let pos = 0;
  const varint = (): bigint => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (pos >= buf.length) throw new Error('truncated varint');
      const byte = buf[pos++];
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return result;
      shift += 7n;
    }
  };
  const fixed = (bytes: number): bigint => {
    if (pos + bytes > buf.length) throw new Error('truncated fixed field');
    let result = 0n;
    for (let i = bytes - 1; i >= 0; i--) result = (result << 8n) | BigInt(buf[pos + i]);
    pos += bytes;
    return result;
  };
  while (pos < buf.length) {
    const key = Number(varint());
    const no = key >>> 3;
    const wire = key & 7;
    if (wire === 0) yield { no, wire, value: varint() };
    else if (wire === 1) yield { no, wire, value: fixed(8) };
    else if (wire === 5) yield { no, wire, value: fixed(4) };
    else if (wire === 2) {
      const length = Number(varint());
      if (pos + length > buf.length) throw new Error('truncated length-delimited field');
      yield { no, wire, value: buf.subarray(pos, pos + length) };
      pos += length;
    } else throw new Error(`unsupported wire type ${wire}`);
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
const bytesOf = (field: Field): Uint8Array => field.value as Uint8Array;
const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

function anyValue(buf: Uint8Array): unknown {
  for (const f of fields(buf)) {
    switch (f.no) {
      case 1: return utf8.decode(bytesOf(f));
      case 2: return (f.value as bigint) !== 0n;
      case 3: return Number(BigInt.asIntN(64, f.value as bigint));
      case 4: return new Float64Array(new BigUint64Array([f.value as bigint]).buffer)[0];
      case 5: return [...fields(bytesOf(f))].filter((v) => v.no === 1).map((v) => anyValue(bytesOf(v)));
      case 6: return keyValues([...fields(bytesOf(f))].filter((v) => v.no === 1).map(bytesOf));
      case 7: return hex(bytesOf(f));
    }
  }
  return undefined;
}

function keyValues(entries: readonly Uint8Array[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const entry of entries) {
    let key = '';
    let value: unknown;
    for (const f of fields(entry)) {
      if (f.no === 1) key = utf8.decode(bytesOf(f));
      else if (f.no === 2) value = anyValue(bytesOf(f));
    }
    out[key] = value;
  }
  return out;
}

function attributesOf(buf: Uint8Array, no: number): Record<string, unknown> {
  return keyValues([...fields(buf)].filter((f) => f.no === no).map(bytesOf));
}

function protoSpan(buf: Uint8Array, resource: Record<string, unknown>, scope: ReceivedSpan['scope']): ReceivedSpan {
  const span: Record<string, unknown> = { kind: 0, attributes: {}, events: [], links: [], status: { code: 0 }, resource, scope };
  const attributes: Uint8Array[] = [];
  for (const f of fields(buf)) {
    switch (f.no) {
      case 1: span.traceId = hex(bytesOf(f)); break;
      case 2: span.spanId = hex(bytesOf(f)); break;
      case 3: if (bytesOf(f).length > 0) span.traceState = utf8.decode(bytesOf(f)); break;
      case 4: if (bytesOf(f).length > 0) span.parentSpanId = hex(bytesOf(f)); break;
      case 5: span.name = utf8.decode(bytesOf(f)); break;
      case 6: span.kind = Number(f.value); break;
      case 7: span.startNs = f.value; break;
      case 8: span.endNs = f.value; break;
      case 9: attributes.push(bytesOf(f)); break;
      case 11: (span.events as unknown[]).push(protoEvent(bytesOf(f))); break;
      case 13: (span.links as unknown[]).push(protoLink(bytesOf(f))); break;
      case 15: span.status = protoStatus(bytesOf(f)); break;
    }
  }
  span.attributes = keyValues(attributes);
  return span as unknown as ReceivedSpan;
}

function protoEvent(buf: Uint8Array): ReceivedSpan['events'][number] {
  const name = [...fields(buf)].find((f) => f.no === 2);
  return { name: name ? utf8.decode(bytesOf(name)) : '', attributes: attributesOf(buf, 3) };
}

function protoLink(buf: Uint8Array): ReceivedSpan['links'][number] {
  let traceId = '';
  let spanId = '';
  for (const f of fields(buf)) {
    if (f.no === 1) traceId = hex(bytesOf(f));
    else if (f.no === 2) spanId = hex(bytesOf(f));
  }
  return { traceId, spanId, attributes: attributesOf(buf, 4) };
}

function protoStatus(buf: Uint8Array): ReceivedSpan['status'] {
  let code = 0;
  let message: string | undefined;
  for (const f of fields(buf)) {
    if (f.no === 2) message = utf8.decode(bytesOf(f));
    else if (f.no === 3) code = Number(f.value);
  }
  return message ? { code, message } : { code };
}

function decodeProtobuf(body: Uint8Array): ReceivedSpan[] {
  const spans: ReceivedSpan[] = [];
  for (const resourceSpans of fields(body)) {
    if (resourceSpans.no !== 1) continue;
    let resource: Record<string, unknown> = {};
    const scopeSpans: Uint8Array[] = [];
    for (const f of fields(bytesOf(resourceSpans))) {
      if (f.no === 1) resource = attributesOf(bytesOf(f), 1);
      else if (f.no === 2) scopeSpans.push(bytesOf(f));
    }
    for (const ss of scopeSpans) {
      let scope: ReceivedSpan['scope'] = { name: '' };
      const raw: Uint8Array[] = [];
      for (const f of fields(ss)) {
        if (f.no === 1) {
          const parts = [...fields(bytesOf(f))];
          const name = parts.find((p) => p.no === 1);
          const version = parts.find((p) => p.no === 2);
          scope = { name: name ? utf8.decode(bytesOf(name)) : '', ...(version ? { version: utf8.decode(bytesOf(version)) } : {}) };
        } else if (f.no === 2) raw.push(bytesOf(f));
      }
      for (const span of raw) spans.push(protoSpan(span, resource, scope));
    }
  }
  return spans;
}

// ---- OTLP/JSON ---------------------------------------------------------------------------------

type Json = Record<string, unknown>;

/** OTLP/JSON ids are hex per the spec; older encoders sent base64, so both are read. */
function jsonId(value: unknown, bytes: number): string | undefined {
  if (typeof value !== 'string' || value === '') return undefined;
  if (new RegExp(`^[0-9a-f]{${bytes * 2}}$`, 'i').test(value)) return value.toLowerCase();
  return Buffer.from(value, 'base64').toString('hex');
}

function jsonAny(value: Json | undefined): unknown {
  if (value === undefined) return undefined;
  if ('stringValue' in value) return value.stringValue;
  if ('boolValue' in value) return value.boolValue;
  if ('intValue' in value) return Number(value.intValue);
  if ('doubleValue' in value) return Number(value.doubleValue);
  if ('arrayValue' in value) return ((value.arrayValue as Json).values as Json[] | undefined ?? []).map(jsonAny);
  if ('kvlistValue' in value) return jsonAttributes((value.kvlistValue as Json).values as Json[] | undefined);
  if ('bytesValue' in value) return Buffer.from(String(value.bytesValue), 'base64').toString('hex');
  return undefined;
}

function jsonAttributes(list: Json[] | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const kv of list ?? []) out[String(kv.key)] = jsonAny(kv.value as Json | undefined);
  return out;
}

function decodeJson(body: Uint8Array): ReceivedSpan[] {
  const request = JSON.parse(utf8.decode(body)) as { resourceSpans?: Json[] };
  const spans: ReceivedSpan[] = [];
  for (const rs of request.resourceSpans ?? []) {
    const resource = jsonAttributes((rs.resource as Json | undefined)?.attributes as Json[] | undefined);
    for (const ss of (rs.scopeSpans as Json[] | undefined) ?? []) {
      const scopeJson = (ss.scope as Json | undefined) ?? {};
      const scope = { name: String(scopeJson.name ?? ''), ...(scopeJson.version ? { version: String(scopeJson.version) } : {}) };
      for (const s of (ss.spans as Json[] | undefined) ?? []) {
        const parentSpanId = jsonId(s.parentSpanId, 8);
        const status = (s.status as Json | undefined) ?? {};
        spans.push({
          traceId: jsonId(s.traceId, 16) ?? '',
          spanId: jsonId(s.spanId, 8) ?? '',
          ...(parentSpanId ? { parentSpanId } : {}),
          ...(s.traceState ? { traceState: String(s.traceState) } : {}),
          name: String(s.name),
          kind: Number(s.kind ?? 0),
          startNs: BigInt(String(s.startTimeUnixNano ?? 0)),
          endNs: BigInt(String(s.endTimeUnixNano ?? 0)),
          attributes: jsonAttributes(s.attributes as Json[] | undefined),
          events: ((s.events as Json[] | undefined) ?? []).map((e) => ({ name: String(e.name), attributes: jsonAttributes(e.attributes as Json[] | undefined) })),
          links: ((s.links as Json[] | undefined) ?? []).map((l) => ({
            traceId: jsonId(l.traceId, 16) ?? '',
            spanId: jsonId(l.spanId, 8) ?? '',
            attributes: jsonAttributes(l.attributes as Json[] | undefined),
          })),
          status: status.message ? { code: Number(status.code ?? 0), message: String(status.message) } : { code: Number(status.code ?? 0) },
          resource,
          scope,
        });
      }
    }
  }
  return spans;
}

// ---- the server --------------------------------------------------------------------------------

async function bodyOf(request: IncomingMessage): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const raw = Buffer.concat(chunks);
  return request.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw;
}

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  const requests: ReceivedRequest[] = [];
  const waiters = new Set<() => void>();
  let failStatus: number | undefined;

  const server: Server = createServer((request, response) => {
    void (async () => {
      if (request.method !== 'POST' || request.url !== '/v1/traces') {
        response.writeHead(404).end();
        return;
      }
      const body = await bodyOf(request);
      const contentType = String(request.headers['content-type'] ?? '');
      if (failStatus !== undefined) {
        requests.push({ status: failStatus, contentType, spans: 0 });
        response.writeHead(failStatus).end();
        for (const wake of waiters) wake();
        return;
      }
      const json = contentType.startsWith('application/json');
      let decoded: ReceivedSpan[];
      try {
        decoded = json ? decodeJson(body) : decodeProtobuf(body);
      } catch (error) {
        response.writeHead(400, { 'content-type': 'text/plain' }).end(String(error));
        return;
      }
      spans.push(...decoded);
      const encoding = request.headers['content-encoding'];
      requests.push({ status: 200, contentType, ...(encoding ? { contentEncoding: String(encoding) } : {}), spans: decoded.length });
      // An empty ExportTraceServiceResponse: no body in protobuf, {} in JSON.
      if (json) response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      else response.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
      for (const wake of waiters) wake();
    })().catch((error: unknown) => {
      if (!response.headersSent) response.writeHead(500).end(String(error));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    spans,
    requests,
    waitFor: (predicate, timeoutMs = 10_000) =>
      new Promise((resolve, reject) => {
        const check = (): void => {
          if (!predicate(spans)) return;
          cleanup();
          resolve([...spans]);
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`OTLP receiver: condition not met within ${timeoutMs} ms; got ${spans.length} span(s): ${spans.map((s) => s.name).join(', ')}`));
        }, timeoutMs);
        const cleanup = (): void => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      }),
    failWith: (status) => {
      failStatus = status;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
