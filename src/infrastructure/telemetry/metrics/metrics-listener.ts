import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../../../application/ports/logger.js';
import type { MetricsRequestHandler } from './metrics-exposition.js';

export interface MetricsListenerOptions {
  /** telemetry.metrics.host */
  readonly host: string;
  /** telemetry.metrics.port; 0: any free port (tests). */
  readonly port: number;
  /** telemetry.metrics.path */
  readonly path: string;
}

export interface MetricsListener {
  /** The port bound (the configured one, or the one the system chose for 0). */
  readonly port: number;
  /** Where to scrape, e.g. http://127.0.0.1:9464/metrics. */
  readonly url: string;
  close(): Promise<void>;
}

export class MetricsListenerError extends Error {
  readonly code = 'metrics.listen_failed';
  constructor(message: string, options: { cause: unknown }) {
    super(message, options);
    this.name = 'MetricsListenerError';
  }
}

const LOOPBACK_BIND = /^(127(\.\d{1,3}){3}|::1|localhost)$/i;
const LOOPBACK_HOST_HEADER = /^(localhost|127(\.\d{1,3}){3}|\[::1\])(:\d{1,5})?$/i;

/**
 * The metrics endpoint on a port of its own (`telemetry.metrics.port`): how a stdio deployment,
 * which has no HTTP listener, is scraped, and how an HTTP one keeps scrapes off the MCP port. It
 * serves the one path and nothing else. Bound to loopback, it refuses a non-loopback Host header,
 * as the MCP listener does, so a web page cannot read it through DNS rebinding.
 */
export async function startMetricsListener(options: MetricsListenerOptions, handle: MetricsRequestHandler, logger: Logger): Promise<MetricsListener> {
  const loopback = LOOPBACK_BIND.test(options.host);
  const server = createServer({ headersTimeout: 5_000, requestTimeout: 10_000 }, (req, res) => {
    const path = (req.url ?? '/').split('?', 1)[0];
    if (loopback && !LOOPBACK_HOST_HEADER.test(req.headers.host ?? '')) {
      res.writeHead(403, { 'Content-Type': 'text/plain; charset=utf-8' }).end('Forbidden: Host is not a loopback name\n');
      return;
    }
    if (path !== options.path) {
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end(`Not found; metrics are at ${options.path}\n`);
      return;
    }
    handle(req, res).catch((error: unknown) => {
      logger.error('metrics request failed', { error: error instanceof Error ? error.message : String(error) });
      if (!res.headersSent) res.writeHead(500).end();
      else res.end();
    });
  });
  server.keepAliveTimeout = 65_000;
  server.maxConnections = 64;
  await listen(server, options);
  const port = (server.address() as AddressInfo).port;
  const shownHost = options.host.includes(':') ? `[${options.host}]` : options.host;
  logger.info('metrics listening', { url: `http://${shownHost}:${port}${options.path}` });
  return {
    port,
    url: `http://${shownHost}:${port}${options.path}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function listen(server: Server, options: MetricsListenerOptions): Promise<void> {
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port, options.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'EADDRINUSE' ? 'the address is already in use' : code === 'EACCES' ? 'permission denied' : code === 'EADDRNOTAVAIL' ? 'no such address on this machine' : String(code ?? error);
    throw new MetricsListenerError(
      `cannot listen for metrics on ${options.host}:${options.port}: ${why}; choose another with telemetry.metrics.host / telemetry.metrics.port`,
      { cause: error },
    );
  }
}
