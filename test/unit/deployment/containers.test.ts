import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse } from 'yaml';
import { loadConfig } from '../../../src/infrastructure/config/config-loader.js';

/**
 * No Docker engine runs on these machines, so the container files are checked for what can be
 * checked without one: the compose file parses, wires every service the config names, and its
 * environment is a valid tfo-mcp configuration; the Dockerfile keeps its promises.
 */
const ROOT = resolve(new URL('.', import.meta.url).pathname, '../../..');
const compose = parse(readFileSync(resolve(ROOT, 'docker-compose.yml'), 'utf8')) as {
  services: Record<string, { image?: string; build?: string; environment?: Record<string, string>; healthcheck?: { test: unknown }; depends_on?: Record<string, { condition: string }>; ports?: string[] }>;
};
const dockerfile = readFileSync(resolve(ROOT, 'Dockerfile'), 'utf8');
const app = compose.services['tfo-mcp'] as (typeof compose.services)[string] & { volumes?: string[] };
const env = app.environment ?? {};

/**
 * The configuration the container starts with. Roots must exist, and /workspace exists only inside
 * the container (a mount of the checkout), so the checkout stands in for it here.
 */
function composeConfig() {
  const mount = (app.volumes ?? []).find((volume) => volume.split(':')[1] === env['TELEMETRYFLOW_MCP_MCP__ROOTS']);
  expect(mount).toBeDefined();
  const hostDir = resolve(ROOT, mount!.split(':')[0]);
  return loadConfig({ env: { ...env, TELEMETRYFLOW_MCP_MCP__ROOTS: hostDir }, cwd: hostDir, version: '0.0.0' });
}

describe('docker-compose.yml', () => {
  it('tfo-mcp environment – loads as a valid configuration selecting every real adapter, its root mounted', () => {
    const config = composeConfig();
    expect(config.server.transport).toBe('http');
    expect(config.persistence.driver).toBe('postgres');
    expect(config.events.driver).toBe('nats');
    expect(config.cache.driver).toBe('redis');
    expect(config.analytics.driver).toBe('clickhouse');
  });

  it('every service a URL points at – defined, health-checked, and awaited healthy by tfo-mcp', () => {
    const config = composeConfig();
    const urls = [config.persistence.postgres.url, config.events.nats.url, config.cache.redis.url, config.analytics.clickhouse.url];
    const hosts = urls.map((url) => new URL(url).hostname);
    expect(hosts.sort()).toEqual(['clickhouse', 'nats', 'postgres', 'redis']);
    for (const host of hosts) {
      expect(compose.services[host]).toBeDefined();
      expect(compose.services[host].healthcheck?.test).toBeDefined();
      expect(app.depends_on?.[host]).toEqual({ condition: 'service_healthy' });
    }
  });

  it('service credentials – match what tfo-mcp is given', () => {
    const config = composeConfig();
    const pg = new URL(config.persistence.postgres.url);
    const pgEnv = compose.services['postgres'].environment ?? {};
    expect([pg.username, pg.password, pg.pathname.slice(1)]).toEqual([pgEnv['POSTGRES_USER'], pgEnv['POSTGRES_PASSWORD'], pgEnv['POSTGRES_DB']]);
    const chEnv = compose.services['clickhouse'].environment ?? {};
    expect([config.analytics.clickhouse.username, config.analytics.clickhouse.password]).toEqual([chEnv['CLICKHOUSE_USER'], chEnv['CLICKHOUSE_PASSWORD']]);
  });

  it('published port – bound to loopback on the host, one variable (TFO_MCP_PORT) for the port and the allowed Host values', () => {
    expect(app.ports).toEqual(['127.0.0.1:${TFO_MCP_PORT:-8080}:8080']);
    const allowed = String(app.environment?.['ALLOWED_HOSTS'] ?? app.environment?.['TELEMETRYFLOW_MCP_SERVER__HTTP__ALLOWED_HOSTS'] ?? '').split(',');
    expect(allowed).toEqual(expect.arrayContaining(['localhost:${TFO_MCP_PORT:-8080}', '127.0.0.1:${TFO_MCP_PORT:-8080}', '127.0.0.1:8080']));
  });
});

describe('Dockerfile', () => {
  it('multi-stage – build stage, then a runtime stage with only what the bundle loads (no node_modules copied whole)', () => {
    expect(dockerfile.match(/^FROM /gm)).toHaveLength(2);
    expect(dockerfile).toMatch(/runtime-tree\.mjs \/runtime/);
    expect(dockerfile).toMatch(/^COPY --from=build \/runtime \.\/$/m);
    expect(dockerfile).not.toMatch(/COPY --from=build \/app\/node_modules/);
  });

  it('runs as a non-root user, exposes 8080 with a HEALTHCHECK on /health, and has stdio and http entrypoints', () => {
    const runtime = dockerfile.slice(dockerfile.lastIndexOf('FROM '));
    expect(runtime).toMatch(/^USER node$/m);
    expect(runtime).toMatch(/^EXPOSE 8080$/m);
    expect(runtime).toMatch(/HEALTHCHECK[\s\S]*\/health/);
    expect(runtime).toMatch(/ENTRYPOINT \["node", "dist\/main.js"\]/);
    expect(runtime).toMatch(/CMD \["--transport", "http"\]/);
    expect(dockerfile).toMatch(/--transport stdio/);
  });

  it('copies only what exists in the repository', () => {
    for (const match of dockerfile.matchAll(/^COPY (?!--from)(.+) \S+$/gm)) {
      for (const source of match[1].split(/\s+/)) expect(() => readFileSync(resolve(ROOT, source))).not.toThrow(/ENOENT/);
    }
  });
});
