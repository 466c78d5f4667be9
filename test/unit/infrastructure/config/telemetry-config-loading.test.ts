import { mkdtemp, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig, type LoadOptions } from '../../../../src/infrastructure/config/config-loader.js';

/** The telemetry section through the loader: defaults, the old keys moved with their notes, logging.format. */
describe('telemetry configuration as loaded', () => {
  let cwd: string;

  beforeEach(async () => {
    cwd = await realpath(await mkdtemp(path.join(tmpdir(), 'tfo-telemetry-config-')));
  });

  afterEach(async () => {
    await rm(cwd, { recursive: true, force: true });
  });

  const load = (options: Partial<LoadOptions> = {}) => loadConfig({ env: {}, cwd, version: '1.0.0', ...options });
  const yaml = (text: string) => writeFile(path.join(cwd, 'tfo-mcp.yaml'), text);

  it('defaults - metrics off, no otlp section, no deprecations, json logs', () => {
    const config = load();
    expect(config.telemetry).toEqual({ metrics: { enabled: false, host: '127.0.0.1', path: '/metrics' } });
    expect(config.deprecations).toEqual([]);
    expect(config.logging.format).toBe('json');
  });

  it('the seed keys move to telemetry.otlp and are reported next to the security deprecations', async () => {
    await yaml('telemetry:\n  enabled: true\n  otlp_endpoint: http://127.0.0.1:4318\n  service_name: edge\nsecurity:\n  max_file_bytes: 100000\n');
    const config = load();
    expect(config.telemetry.otlp?.endpoint).toBe('http://127.0.0.1:4318');
    expect(config.telemetry.otlp?.service_name).toBe('edge');
    expect(Object.keys(config.telemetry).sort()).toEqual(['metrics', 'otlp']);
    expect(config.deprecations.map((d) => d.key)).toEqual(
      expect.arrayContaining(['security.max_file_bytes', 'telemetry.enabled', 'telemetry.otlp_endpoint', 'telemetry.service_name']),
    );
  });

  it('a new-style service name set next to the old one wins, and the old one is reported as ignored', async () => {
    await yaml('telemetry:\n  service_name: old\n  otlp:\n    endpoint: http://127.0.0.1:4318\n    service_name: new\n');
    const config = load();
    expect(config.telemetry.otlp?.service_name).toBe('new');
    expect(config.deprecations).toEqual([{ key: 'telemetry.service_name', movedTo: 'telemetry.otlp.service_name', ignored: true }]);
  });

  it('metrics from the environment, and logging.format pretty (text still accepted)', () => {
    const env = { TELEMETRYFLOW_MCP_TELEMETRY__METRICS__ENABLED: 'true', TELEMETRYFLOW_MCP_TELEMETRY__METRICS__PORT: '9464', TELEMETRYFLOW_MCP_LOGGING__FORMAT: 'pretty' };
    const config = load({ env });
    expect(config.telemetry.metrics).toEqual({ enabled: true, port: 9464, host: '127.0.0.1', path: '/metrics' });
    expect(config.logging.format).toBe('pretty');
    expect(load({ env: { TELEMETRYFLOW_MCP_LOGGING__FORMAT: 'text' } }).logging.format).toBe('text');
  });
});
