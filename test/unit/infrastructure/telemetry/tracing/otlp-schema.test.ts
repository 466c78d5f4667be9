import { otlpSchema } from '../../../../../src/infrastructure/telemetry/tracing/otlp.schema.js';
import { tracesUrl } from '../../../../../src/infrastructure/telemetry/tracing/traces-url.js';

describe('telemetry.otlp schema', () => {
  it('only an endpoint - defaults: http/protobuf, every trace sampled, service tfo-mcp, 5 s batches', () => {
    expect(otlpSchema.parse({ endpoint: 'http://127.0.0.1:4318' })).toEqual({
      endpoint: 'http://127.0.0.1:4318',
      protocol: 'http/protobuf',
      sampling_ratio: 1,
      service_name: 'tfo-mcp',
      timeout_ms: 10_000,
      batch_delay_ms: 5_000,
      max_queue_size: 2_048,
    });
  });

  it('values from the environment (strings) - coerced', () => {
    const parsed = otlpSchema.parse({ endpoint: 'https://otel.example:4318', protocol: 'http/json', sampling_ratio: '0.25', timeout_ms: '2000' });
    expect(parsed).toMatchObject({ protocol: 'http/json', sampling_ratio: 0.25, timeout_ms: 2000 });
  });

  it.each([
    [{ endpoint: 'not a url' }, /http:\/\/ or https:\/\/ URL/],
    [{ endpoint: 'grpc://127.0.0.1:4317' }, /OTLP over HTTP/],
    [{ endpoint: 'http://user:secret@127.0.0.1:4318' }, /credentials in the URL/],
    [{ endpoint: 'http://127.0.0.1:4318', sampling_ratio: 1.5 }, /sampling ratio between 0 and 1/],
    [{ endpoint: 'http://127.0.0.1:4318', sampling_ratio: 'half' }, /sampling ratio between 0 and 1/],
    [{ endpoint: 'http://127.0.0.1:4318', protocol: 'grpc' }, /http\/protobuf/],
    [{ endpoint: 'http://127.0.0.1:4318', colour: 'blue' }, /colour/],
    [{ endpoint: 'http://127.0.0.1:4318', max_queue_size: 100_000 }, /64–65536/],
  ])('%j - refused, naming the problem', (input, message) => {
    const result = otlpSchema.safeParse(input);
    expect(result.success).toBe(false);
    expect(JSON.stringify(result.error?.issues)).toMatch(message);
  });

  it('tracesUrl - base endpoint gets /v1/traces; a full traces URL is kept', () => {
    expect(tracesUrl('http://c:4318')).toBe('http://c:4318/v1/traces');
    expect(tracesUrl('http://c:4318/')).toBe('http://c:4318/v1/traces');
    expect(tracesUrl('http://c:4318/otlp')).toBe('http://c:4318/otlp/v1/traces');
    expect(tracesUrl('http://c:4318/v1/traces')).toBe('http://c:4318/v1/traces');
  });
});
