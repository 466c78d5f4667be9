import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHostAgent, type RunningHostAgent } from '../../../src/infrastructure/execution/host-agent/host-agent-main.js';
import { HostAgentExecutor } from '../../../src/infrastructure/execution/host-agent/host-agent-executor.js';
import { RecordingLogger } from '../../support/builders.js';

export const SECRET = 'a-test-secret-that-is-long-enough-0123456789';

export interface AgentFixture {
  readonly dir: string;
  /** The agent's only root (real path). */
  readonly root: string;
  readonly secretFile: string;
  readonly agent: RunningHostAgent;
  readonly executor: HostAgentExecutor;
  /** The agent's operator log and the server-side executor's log. */
  readonly logs: RecordingLogger;
  audit(): Record<string, unknown>[];
  auditText(): string;
  stop(): Promise<void>;
}

/**
 * A real agent in this process (its HTTP server, gate, audit file and NativeExecutor), configured
 * through a YAML file as an operator would, and the server's HostAgentExecutor pointed at it.
 */
/** `extra`: more host_agent keys (e.g. max_processes). */
export async function startAgent(
  listen: (dir: string) => string = () => 'http://127.0.0.1:0',
  security: Record<string, unknown> = {},
  extra: Record<string, unknown> = {},
): Promise<AgentFixture> {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'tfo-agent-')));
  const root = join(dir, 'root');
  mkdirSync(root);
  const secretFile = join(dir, 'secret');
  writeFileSync(secretFile, `${SECRET}\n`, { mode: 0o600 });
  const auditFile = join(dir, 'audit.jsonl');
  const config = join(dir, 'agent.yaml');
  writeFileSync(
    config,
    JSON.stringify({
      host_agent: {
        listen: listen(dir),
        secret_file: secretFile,
        roots: [root],
        audit_log: auditFile,
        security: { allowed_commands: ['echo', 'true', 'false', 'cat', 'sleep'], ...security },
        ...extra,
      },
    }),
  );
  const logs = new RecordingLogger();
  const agent = await startHostAgent({ configPath: config, env: {}, cwd: dir }, logs);
  const executor = new HostAgentExecutor({ url: agent.url, secretFile }, logs);
  const auditText = (): string => {
    try {
      return readFileSync(auditFile, 'utf8');
    } catch {
      return '';
    }
  };
  return {
    dir,
    root,
    secretFile,
    agent,
    executor,
    logs,
    auditText,
    audit: () => auditText().split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>),
    stop: async () => {
      await executor.shutdown();
      await agent.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface RawAnswer {
  readonly status: number;
  readonly body: string;
}

/** One HTTP request with exactly these headers and body: for requests the real client would never send. */
export function rawRequest(url: string, method: string, path: string, headers: Record<string, string>, body: string | Buffer): Promise<RawAnswer> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ host: target.hostname, port: Number(target.port), method, path, agent: false, headers: { ...headers, 'content-length': Buffer.byteLength(body) } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}
