import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../../../application/ports/logger.js';

/** What a scrape reads: PrometheusMetrics. */
export interface MetricsSource {
  readonly contentType: string;
  render(): Promise<string>;
}

/** Answers one scrape; the caller has routed the path (and, on the MCP listener, checked Host and Origin). */
export type MetricsRequestHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

/**
 * `GET /metrics` in the Prometheus text format, for the MCP HTTP listener and the standalone one
 * alike. A render failure answers 500 with a fixed text (the details go to the log), so a scrape
 * never shows an internal message.
 */
export function metricsRequestHandler(source: MetricsSource, logger: Logger): MetricsRequestHandler {
  return async (req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain; charset=utf-8' }).end('Method not allowed\n');
      return;
    }
    let body: string;
    try {
      body = await source.render();
    } catch (error) {
      logger.error('metrics scrape failed', { error: error instanceof Error ? error.message : String(error) });
      res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' }).end('metrics unavailable; details are in the server log\n');
      return;
    }
    res.writeHead(200, { 'Content-Type': source.contentType, 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-store' });
    res.end(req.method === 'HEAD' ? undefined : body);
  };
}
