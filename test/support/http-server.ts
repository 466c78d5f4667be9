import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { within, type ExitInfo } from './raw-server.js';
import { builtServerPath, serverEnv } from './server-path.js';
import { createTempDir } from './temp-workspace.js';

export interface HttpServerOptions {
  /** Working directory of the server; default: a fresh empty temp dir, removed by stop()/kill(). */
  readonly cwd?: string;
  /** How long to wait for the ready line. */
  readonly readyTimeoutMs?: number;
}

export interface HttpServer {
  /** The Streamable HTTP endpoint, e.g. http://127.0.0.1:41234/mcp. */
  readonly url: string;
  /** Scheme, host and port: http://127.0.0.1:41234. */
  readonly base: string;
  readonly port: number;
  readonly pid: number;
  readonly child: ChildProcess;
  stderr(): string;
  /** The stderr lines that parsed as JSON log records. */
  logRecords(): Record<string, unknown>[];
  readonly exited: Promise<ExitInfo>;
  exitInfo(): ExitInfo | undefined;
  /** SIGTERM, then waits for the exit (SIGKILL after `graceMs`); removes the temp cwd. Safe to call twice. */
  stop(graceMs?: number): Promise<ExitInfo>;
  /** SIGKILL now; removes the temp cwd. */
  kill(): Promise<ExitInfo>;
}

/**
 * Spawns the built server in HTTP mode on an ephemeral loopback port (port 0 unless the env says
 * otherwise) and resolves once it logged `tfo-mcp ready` with the URL it really listens on.
 */
export async function startHttpServer(env: Record<string, string>, options: HttpServerOptions = {}): Promise<HttpServer> {
  // The ready line is logged at info: with a quieter log level, pick a free port here and poll /health.
  const quiet = /^(warn|error)$/i.test(env['TELEMETRYFLOW_MCP_LOGGING__LEVEL'] ?? '');
  const port = env['TELEMETRYFLOW_MCP_SERVER__HTTP__PORT'] ?? (quiet ? String(await freeLoopbackPort()) : '0');
  const ownCwd = options.cwd === undefined ? await createTempDir('tfo-mcp-http-cwd-') : undefined;
  const cwd = options.cwd ?? ownCwd!.dir;
  const child = spawn(process.execPath, [builtServerPath(), '--transport', 'http'], {
    cwd,
    env: serverEnv({ TELEMETRYFLOW_MCP_SERVER__HTTP__HOST: '127.0.0.1', ...env, TELEMETRYFLOW_MCP_SERVER__HTTP__PORT: port }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });

  let stderr = '';
  let stdout = '';
  let exitInfo: ExitInfo | undefined;
  const exited = new Promise<ExitInfo>((resolve) => {
    child.once('exit', (code, signal) => {
      exitInfo = { code, signal };
      resolve(exitInfo);
    });
  });
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (chunk: string) => (stdout += chunk));
  child.stderr!.setEncoding('utf8');

  const records = (): Record<string, unknown>[] =>
    stderr
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .flatMap((line) => {
        try {
          return [JSON.parse(line) as Record<string, unknown>];
        } catch {
          return [];
        }
      });

  const cleanup = async () => {
    await ownCwd?.cleanup();
  };

  const stop = async (graceMs = 5000): Promise<ExitInfo> => {
    if (exitInfo === undefined) {
      child.kill('SIGTERM');
      const info = await within(exited, graceMs);
      if (info === undefined) child.kill('SIGKILL');
    }
    const info = await exited;
    await cleanup();
    return info;
  };

  const kill = async (): Promise<ExitInfo> => {
    if (exitInfo === undefined) child.kill('SIGKILL');
    const info = await exited;
    await cleanup();
    return info;
  };

  let url: string;
  try {
    url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no "tfo-mcp ready" line within ${options.readyTimeoutMs ?? 10_000} ms; stderr:\n${stderr.slice(-4000)}`)),
        options.readyTimeoutMs ?? 10_000,
      );
      child.stderr!.on('data', (chunk: string) => {
        stderr += chunk;
        const ready = records().find((r) => r['message'] === 'tfo-mcp ready' && typeof r['url'] === 'string');
        if (ready) {
          clearTimeout(timer);
          resolve(ready['url'] as string);
        }
      });
      if (quiet) {
        const url = `http://127.0.0.1:${port}/mcp`;
        void pollHealth(`http://127.0.0.1:${port}/health`, () => exitInfo !== undefined).then((ok) => {
          if (!ok) return;
          clearTimeout(timer);
          resolve(url);
        });
      }
      void exited.then((info) => {
        clearTimeout(timer);
        reject(new Error(`server exited (${JSON.stringify(info)}) before it was ready; stderr:\n${stderr.slice(-4000)}\nstdout:\n${stdout.slice(-1000)}`));
      });
      child.once('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
    });
  } catch (error) {
    await kill();
    throw error;
  }

  const parsed = new URL(url);
  if (parsed.hostname !== '127.0.0.1') {
    await kill();
    throw new Error(`the server listens on ${parsed.hostname}, the tests only talk to 127.0.0.1`);
  }
  return {
    url,
    base: parsed.origin,
    port: Number(parsed.port),
    pid: child.pid!,
    child,
    stderr: () => stderr,
    logRecords: records,
    exited,
    exitInfo: () => exitInfo,
    stop,
    kill,
  };
}

/** A port that was free a moment ago on 127.0.0.1 (only for servers that do not log their URL). */
export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

async function pollHealth(url: string, gaveUp: () => boolean): Promise<boolean> {
  for (let attempt = 0; attempt < 200 && !gaveUp(); attempt += 1) {
    try {
      const response = await fetch(url);
      await response.body?.cancel();
      if (response.status === 200) return true;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return false;
}
