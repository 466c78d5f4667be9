import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse } from 'yaml';
import { loadConfig } from '../../../src/infrastructure/config/config-loader.js';

/**
 * docker-compose.scale.yml (three replicas behind HAProxy, Prometheus scraping each) checked for what
 * can be checked without a container engine: the replicas' environment is a valid configuration on
 * the shared services with metrics on the port Prometheus scrapes, only the proxy and Prometheus are
 * published, and the proxy balances round robin without stickiness over as many slots as there are
 * replicas, checking /health with a Host the replicas accept, with the resolver of whichever engine
 * runs it. scripts/container-check.sh (mode scale) runs the stack itself.
 */
const ROOT = resolve(new URL('.', import.meta.url).pathname, '../../..');
type Service = {
  image?: string;
  deploy?: { replicas?: number };
  environment?: Record<string, string>;
  ports?: string[];
  volumes?: string[];
  depends_on?: unknown;
  healthcheck?: { test?: unknown };
};
const compose = parse(readFileSync(resolve(ROOT, 'docker-compose.scale.yml'), 'utf8')) as { services: Record<string, Service> };
const haproxy = readFileSync(resolve(ROOT, 'deploy/haproxy/haproxy.cfg'), 'utf8');
const prometheus = parse(readFileSync(resolve(ROOT, 'deploy/prometheus/prometheus.yml'), 'utf8')) as {
  scrape_configs: { job_name: string; dns_sd_configs?: { names: string[]; port: number }[] }[];
};
const app = compose.services['tfo-mcp'];

describe('docker-compose.scale.yml', () => {
  it('three replicas of tfo-mcp on Postgres, NATS and Redis, metrics on 0.0.0.0:9464, none published', () => {
    expect(app.deploy?.replicas).toBe(3);
    expect(app.ports).toBeUndefined();
    const config = loadConfig({ env: { ...app.environment, TELEMETRYFLOW_MCP_MCP__ROOTS: ROOT }, cwd: ROOT, version: '0.0.0' });
    expect(config.persistence.driver).toBe('postgres');
    expect(config.events.driver).toBe('nats');
    expect(config.cache.driver).toBe('redis');
    expect(config.telemetry.metrics).toEqual({ enabled: true, port: 9464, host: '0.0.0.0', path: '/metrics' });
  });

  it('the health check is one shell string - podman-compose 1.0.3 consumes a list form on the first replica and rejects it on the second', () => {
    expect(app.healthcheck?.test).toEqual(expect.stringContaining("fetch('http://127.0.0.1:8080/health')"));
  });

  it('the proxy and Prometheus alone are published, on loopback; Prometheus finds every replica on the metrics port', () => {
    expect(compose.services['proxy'].ports).toEqual(['127.0.0.1:${TFO_MCP_PORT:-8080}:8080']);
    expect(compose.services['prometheus'].ports).toEqual(['127.0.0.1:${TFO_PROMETHEUS_PORT:-9090}:9090']);
    const published = Object.entries(compose.services).filter(([, service]) => service.ports !== undefined).map(([name]) => name);
    expect(published.sort()).toEqual(['prometheus', 'proxy']);
    expect(compose.services['proxy'].volumes).toContain('./deploy/haproxy/haproxy.cfg:/usr/local/etc/haproxy/haproxy.cfg:ro');
    const job = prometheus.scrape_configs.find((c) => c.job_name === 'tfo-mcp');
    expect(job?.dns_sd_configs?.[0]).toMatchObject({ names: ['tfo-mcp'], port: 9464 });
    for (const service of Object.values(compose.services)) if (service.image) expect(service.image).toMatch(/^(docker\.io\/|\$\{TFO_MCP_IMAGE:-localhost\/)/);
  });

  it('HAProxy - round robin, no stickiness, /health checked with a Host the replicas allow, only refused connections retried', () => {
    expect(haproxy).toMatch(/^\s*balance roundrobin$/m);
    expect(haproxy).not.toMatch(/^\s*(cookie|stick|hash-type|balance source)/m);
    const host = /hdr Host (\S+)/.exec(haproxy)?.[1];
    expect(String(app.environment?.['TELEMETRYFLOW_MCP_SERVER__HTTP__ALLOWED_HOSTS']).split(',')).toContain(host);
    expect(haproxy).toMatch(/^\s*retry-on conn-failure$/m);
  });

  it('HAProxy - one server slot per replica, found with the nameservers of the container (Docker and podman alike)', () => {
    const slots = Number(/server-template tfo-mcp (\d+) tfo-mcp:8080 check .*resolvers compose/.exec(haproxy)?.[1]);
    expect(slots).toBe(app.deploy?.replicas);
    expect(haproxy).toMatch(/^\s*parse-resolv-conf$/m);
    // No engine-specific address: Docker's 127.0.0.11 is not podman's DNS, and podman's differs per network.
    expect(haproxy).not.toMatch(/^\s*nameserver /m);
  });
});
