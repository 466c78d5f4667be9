import { ConfigError } from '../../../../src/infrastructure/config/config-error.js';
import { moveDeprecatedTelemetry, telemetrySchema } from '../../../../src/infrastructure/config/telemetry.schema.js';

const ENDPOINT = 'http://127.0.0.1:4318';

/** Parse as the loader does, then move the deprecated keys with the raw section. */
function load(raw: Record<string, unknown>) {
  return moveDeprecatedTelemetry(telemetrySchema.parse(raw), raw);
}

describe('telemetry config section', () => {
  it('defaults - metrics off on 127.0.0.1 at /metrics with no port of their own, no traces, nothing deprecated', () => {
    expect(load({})).toEqual({ telemetry: { metrics: { enabled: false, host: '127.0.0.1', path: '/metrics' } }, deprecations: [] });
  });

  it('metrics with a port of their own - values from the environment (strings) are coerced', () => {
    const { telemetry } = load({ metrics: { enabled: 'true', port: '9464', host: '0.0.0.0', path: '/internal/metrics' } });
    expect(telemetry.metrics).toEqual({ enabled: true, port: 9464, host: '0.0.0.0', path: '/internal/metrics' });
  });

  it.each([
    [{ metrics: { port: 9464 } }, ['metrics', 'port'], /serves metrics only when telemetry\.metrics\.enabled is true/],
    [{ metrics: { enabled: false, port: 9464 } }, ['metrics', 'port'], /serves metrics only when telemetry\.metrics\.enabled is true/],
    [{ metrics: { enabled: true, port: 70000 } }, ['metrics', 'port'], /expected a port 1–65535/],
    [{ metrics: { enabled: true, path: 'metrics' } }, ['metrics', 'path'], /expected a URL path such as \/metrics/],
    [{ metrics: { enabled: true, path: '/a b' } }, ['metrics', 'path'], /expected a URL path/],
    [{ metrics: { enabled: true, colour: 'blue' } }, ['metrics'], /colour/],
    [{ otlp: { endpoint: 'http://user:pw@127.0.0.1:4318' } }, ['otlp', 'endpoint'], /credentials in the URL/],
  ])('%j - refused at the key, saying why', (raw, path, message) => {
    const result = telemetrySchema.safeParse(raw);
    expect(result.success).toBe(false);
    const issue = result.error!.issues[0];
    expect(issue.path).toEqual(path);
    expect(JSON.stringify(result.error!.issues)).toMatch(message);
  });

  it('telemetry.otlp - present turns traces on, with traces’ own defaults', () => {
    const { telemetry, deprecations } = load({ otlp: { endpoint: ENDPOINT, sampling_ratio: '0.5' } });
    expect(telemetry.otlp).toMatchObject({ endpoint: ENDPOINT, protocol: 'http/protobuf', sampling_ratio: 0.5, service_name: 'tfo-mcp' });
    expect(deprecations).toEqual([]);
  });
});

describe('telemetry config section: the seed’s keys, read for one more release', () => {
  it('enabled + otlp_endpoint + service_name - become telemetry.otlp, each reported', () => {
    const { telemetry, deprecations } = load({ enabled: true, otlp_endpoint: ENDPOINT, service_name: 'mcp-prod' });
    expect(telemetry).toEqual({ metrics: expect.any(Object), otlp: expect.objectContaining({ endpoint: ENDPOINT, service_name: 'mcp-prod' }) });
    expect(deprecations).toEqual([
      { key: 'telemetry.enabled', movedTo: 'telemetry.otlp (present: traces on; absent: off)', ignored: false },
      { key: 'telemetry.otlp_endpoint', movedTo: 'telemetry.otlp.endpoint', ignored: false },
      { key: 'telemetry.service_name', movedTo: 'telemetry.otlp.service_name', ignored: false },
    ]);
  });

  it('otlp_endpoint without enabled - moved too (the seed defaulted enabled to false, but never exported anything)', () => {
    expect(load({ otlp_endpoint: ENDPOINT }).telemetry.otlp?.endpoint).toBe(ENDPOINT);
  });

  it('enabled: false + otlp_endpoint - stays off: an operator who switched telemetry off keeps it off', () => {
    const { telemetry, deprecations } = load({ enabled: 'false', otlp_endpoint: ENDPOINT });
    expect(telemetry.otlp).toBeUndefined();
    expect(deprecations.map((d) => d.key)).toEqual(['telemetry.enabled', 'telemetry.otlp_endpoint']);
  });

  it('old and new both set - the new section wins and the old keys are reported as ignored', () => {
    const { telemetry, deprecations } = load({ enabled: true, otlp_endpoint: 'http://old.example:4318', otlp: { endpoint: ENDPOINT, service_name: 'new-name' }, service_name: 'old-name' });
    expect(telemetry.otlp).toMatchObject({ endpoint: ENDPOINT, service_name: 'new-name' });
    expect(deprecations.every((d) => d.ignored)).toBe(true);
    expect(deprecations).toHaveLength(3);
  });

  it('service_name with a new otlp section that leaves the name at its default - the old name moves in', () => {
    const { telemetry, deprecations } = load({ service_name: 'mcp-edge', otlp: { endpoint: ENDPOINT } });
    expect(telemetry.otlp?.service_name).toBe('mcp-edge');
    expect(deprecations).toEqual([{ key: 'telemetry.service_name', movedTo: 'telemetry.otlp.service_name', ignored: false }]);
  });

  it('the old keys never reach the resolved section', () => {
    const { telemetry } = load({ enabled: true, otlp_endpoint: ENDPOINT, service_name: 'x' });
    expect(Object.keys(telemetry).sort()).toEqual(['metrics', 'otlp']);
  });

  it('an old endpoint the new rules refuse (credentials in it) - a ConfigError naming the old key', () => {
    const move = () => load({ enabled: true, otlp_endpoint: 'http://user:secret@127.0.0.1:4318' });
    expect(move).toThrow(ConfigError);
    expect(move).toThrow(expect.objectContaining({ key: 'telemetry.otlp_endpoint', message: expect.stringContaining('credentials in the URL') }));
  });
});
