import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, copyFileSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * A real Prometheus (the Debian `prometheus` package, installed by scripts/services.sh) on loopback,
 * scraping the given targets every second under job="tfo-mcp" and evaluating the given rule files
 * every second. Its data and log live in a temporary directory removed on close.
 */
export interface PrometheusServer {
  readonly url: string;
  /** An instant query; the result vector as label sets with numeric values. */
  query(expr: string): Promise<{ readonly metric: Record<string, string>; readonly value: number }[]>;
  /** Prometheus' own log, for failure messages. */
  log(): string;
  close(): Promise<void>;
}

export interface PrometheusOptions {
  /** host:port of each target; scraped at `metricsPath`. */
  readonly targets: readonly string[];
  readonly metricsPath?: string;
  readonly ruleFiles?: readonly string[];
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export async function startPrometheus(options: PrometheusOptions): Promise<PrometheusServer> {
  const dir = mkdtempSync(path.join(tmpdir(), 'tfo-prometheus-'));
  const rules = (options.ruleFiles ?? []).map((file, i) => {
    const copy = path.join(dir, `rules-${i}.yml`);
    copyFileSync(file, copy);
    return copy;
  });
  const config = {
    global: { scrape_interval: '1s', scrape_timeout: '1s', evaluation_interval: '1s' },
    rule_files: rules,
    scrape_configs: [{ job_name: 'tfo-mcp', metrics_path: options.metricsPath ?? '/metrics', static_configs: [{ targets: options.targets }] }],
  };
  writeFileSync(path.join(dir, 'prometheus.yml'), JSON.stringify(config)); // JSON is YAML
  const port = await freePort();
  const logFile = path.join(dir, 'prometheus.log');
  const out = openSync(logFile, 'a');
  const child: ChildProcess = spawn(
    'prometheus',
    [`--config.file=${path.join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${path.join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`],
    { stdio: ['ignore', out, out] },
  );
  closeSync(out);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const log = () => readFileSync(logFile, 'utf8');
  const close = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) {
      const text = log();
      await close();
      throw new Error(`prometheus exited at start:\n${text}`);
    }
    const ready = await fetch(`${url}/-/ready`).then((r) => r.ok, () => false);
    if (ready) break;
    if (Date.now() > deadline) {
      const text = log();
      await close();
      throw new Error(`prometheus not ready within 15 s:\n${text}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    url,
    log,
    close,
    async query(expr) {
      const response = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(expr)}`);
      const body = (await response.json()) as { status: string; error?: string; data: { result: { metric: Record<string, string>; value: [number, string] }[] } };
      if (body.status !== 'success') throw new Error(`query ${expr} failed: ${body.error}`);
      return body.data.result.map((r) => ({ metric: r.metric, value: Number(r.value[1]) }));
    },
  };
}
