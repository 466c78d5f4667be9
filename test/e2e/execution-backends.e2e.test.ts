import { spawn, type ChildProcess } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { DEFAULT_ALLOWED_COMMANDS, DEFAULT_BLOCKED_COMMANDS } from '../../src/infrastructure/config/execution.schema.js';
import { leftoverContainers } from '../integration/docker/docker-test-support.js';
import {
  addAttackFixtures, addHostileFixtures, addServerEnvironLink, hostileRows, HOSTILE_UNREVIEWED, needsDefaultAllowlist, policyAttacks,
  SENTINEL_FILE, SENTINEL_TEXT, type HostileRow,
} from '../support/hostile-commands.js';
import { processesWithArg } from '../support/processes.js';
import { builtServerPath, createTempDir, createTempWorkspace, serverEnv, startClient, type ClientHandle, type TempWorkspace } from '../support/spawn-server.js';

/**
 * The hostile table and the resource rows through the built server, once per execution backend that
 * runs here (issue 12): native, docker (podman), ssh (sshd on loopback) and host_agent (a real
 * `tfo-mcp host-agent` process). The server's policy refuses the same rows on every backend; the
 * rows that run must reach the program with their argv intact, and the sentinel file every
 * injection aims at must appear nowhere (the mounted root for docker, this host for ssh).
 */

const BACKENDS = ['native', 'docker', 'ssh', 'host_agent'] as const;
type Backend = (typeof BACKENDS)[number];

const HOW_TO = 'run `eval "$(bash scripts/services.sh up)"` first (npm test does)';
const MAX_OUTPUT = 64 * 1024;
/** execution.security.max_processes (and docker's pids limit) in this suite: the fork flood must never see more of its processes. */
const MAX_PROCESSES = 64;

type Envelope = { error: string; reason: string; context?: Record<string, unknown> };

function required(names: readonly string[]): Record<string, string> {
  const missing = names.filter((name) => !process.env[name]);
  if (missing.length > 0) throw new Error(`${missing.join(', ')} not set: ${HOW_TO}`);
  return Object.fromEntries(names.map((name) => [name, process.env[name]!]));
}

/** The policy every backend runs under: see HOSTILE_UNREVIEWED for why it allows more than the default. */
function policyEnv(root: string, allowShell: boolean): Record<string, string> {
  return {
    TELEMETRYFLOW_MCP_MCP__ROOTS: root,
    TELEMETRYFLOW_MCP_EXECUTION__SECURITY__ALLOWED_COMMANDS: JSON.stringify([...DEFAULT_ALLOWED_COMMANDS, 'sleep', ...HOSTILE_UNREVIEWED]),
    TELEMETRYFLOW_MCP_EXECUTION__SECURITY__BLOCKED_COMMANDS: JSON.stringify(DEFAULT_BLOCKED_COMMANDS.filter((name) => name !== 'env' && name !== 'xargs')),
    TELEMETRYFLOW_MCP_EXECUTION__SECURITY__UNREVIEWED_COMMANDS: JSON.stringify(HOSTILE_UNREVIEWED),
    TELEMETRYFLOW_MCP_EXECUTION__SECURITY__ALLOW_SHELL: String(allowShell),
    TELEMETRYFLOW_MCP_EXECUTION__SECURITY__MAX_OUTPUT_BYTES: String(MAX_OUTPUT),
    TELEMETRYFLOW_MCP_EXECUTION__SECURITY__MAX_PROCESSES: String(MAX_PROCESSES),
  };
}

/** A running host agent (`node dist/main.js host-agent`), which this suite started and stops by its pid. */
interface AgentProcess {
  readonly url: string;
  readonly secretFile: string;
  stop(): Promise<void>;
}

async function startAgentProcess(dir: string, root: string): Promise<AgentProcess> {
  const secretFile = path.join(dir, 'agent-secret');
  await writeFile(secretFile, `hostile-suite-secret-${randomInt(1e9, 2e9)}-0123456789abcdef\n`, { mode: 0o600 });
  const socket = path.join(dir, 'agent.sock');
  const config = path.join(dir, 'agent.yaml');
  await writeFile(config, JSON.stringify({
    host_agent: {
      listen: `unix://${socket}`,
      secret_file: secretFile,
      roots: [root],
      audit_log: path.join(dir, 'agent-audit.jsonl'),
      max_output_bytes: MAX_OUTPUT,
      // The agent's own gate: what the table runs, and a shell for the fork flood (the server's policy gates it first).
      security: { allowed_commands: [...DEFAULT_ALLOWED_COMMANDS, 'sleep', ...HOSTILE_UNREVIEWED], unreviewed_commands: [...HOSTILE_UNREVIEWED], allow_shell: true },
    },
  }));
  const child: ChildProcess = spawn(process.execPath, [builtServerPath(), 'host-agent', '--config', config], { cwd: dir, env: { PATH: process.env.PATH ?? '/usr/bin:/bin' }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + 10_000;
  while (!existsSync(socket)) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the host agent did not listen on ${socket}:\n${stderr.slice(-2000)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    url: `unix://${socket}`,
    secretFile,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([exited, new Promise((resolve) => (timer = setTimeout(resolve, 5_000)))]);
      clearTimeout(timer);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}

/** What makes the server use `backend`: env for most keys, a tfo-mcp.yaml in its cwd for ssh's host list (an array of objects, which the env layer cannot express). */
async function backendConfig(backend: Backend, configDir: string, root: string): Promise<{ env: Record<string, string>; stop(): Promise<void> }> {
  const env: Record<string, string> = { TELEMETRYFLOW_MCP_EXECUTION__BACKEND: backend };
  switch (backend) {
    case 'native':
      return { env, stop: async () => undefined };
    case 'docker': {
      const d = required(['TFO_DOCKER_HOST', 'TFO_DOCKER_TEST_IMAGE']);
      return {
        env: {
          ...env,
          TELEMETRYFLOW_MCP_EXECUTION__DOCKER__HOST: d.TFO_DOCKER_HOST,
          TELEMETRYFLOW_MCP_EXECUTION__DOCKER__IMAGE: d.TFO_DOCKER_TEST_IMAGE,
          TELEMETRYFLOW_MCP_EXECUTION__DOCKER__PIDS_LIMIT: String(MAX_PROCESSES),
          TELEMETRYFLOW_MCP_EXECUTION__DOCKER__MEMORY: '256m',
        },
        stop: async () => undefined,
      };
    }
    case 'ssh': {
      const s = required(['TFO_SSH_HOST', 'TFO_SSH_PORT', 'TFO_SSH_USER', 'TFO_SSH_KEY_PATH', 'TFO_SSH_HOST_KEY_PUB_PATH']);
      const hostKey = (await readFile(s.TFO_SSH_HOST_KEY_PUB_PATH, 'utf8')).trim();
      await writeFile(path.join(configDir, 'tfo-mcp.yaml'), JSON.stringify({
        execution: { ssh: { strategy: 'round_robin', hosts: [{ host: s.TFO_SSH_HOST, port: Number(s.TFO_SSH_PORT), user: s.TFO_SSH_USER, private_key_path: s.TFO_SSH_KEY_PATH, host_key: hostKey, max_concurrent: 8 }] } },
      }));
      return { env, stop: async () => undefined };
    }
    case 'host_agent': {
      const agent = await startAgentProcess(configDir, root);
      return {
        env: { ...env, TELEMETRYFLOW_MCP_EXECUTION__HOST_AGENT__URL: agent.url, TELEMETRYFLOW_MCP_EXECUTION__HOST_AGENT__SECRET_FILE: agent.secretFile },
        stop: () => agent.stop(),
      };
    }
  }
}

interface Call {
  readonly command: string;
  readonly args?: readonly string[];
  readonly stdin?: string;
  readonly env?: Record<string, string>;
  readonly shell?: boolean;
  readonly cwd?: string;
  readonly timeout_ms?: number;
}

async function call(h: ClientHandle, request: Call, answers?: string[]): Promise<CallToolResult> {
  const result = (await h.client.callTool({ name: 'execute_command', arguments: { timeout_ms: 10_000, ...request } }, undefined, { timeout: 60_000 })) as CallToolResult;
  answers?.push(JSON.stringify(result));
  return result;
}

function rssBytes(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'));
  return Number(/(\d+)/.exec(line ?? '')?.[1] ?? 0) * 1024;
}

async function eventually<T>(probe: () => Promise<T> | T, done: (value: T) => boolean, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** What is left of a run: its processes on this host (every backend's run is on this host), and the docker backend's containers. */
async function leftovers(backend: Backend, marker: string): Promise<{ processes: number; containers: number }> {
  return { processes: processesWithArg(marker).length, containers: backend === 'docker' ? (await leftoverContainers()).length : 0 };
}

function problemWith(row: HostileRow, result: CallToolResult): string | undefined {
  const body = result.structuredContent as (Envelope & { exit_code?: number; stdout?: string; args?: string[] }) | undefined;
  if ('denied' in row.outcome) {
    const want = row.outcome.denied;
    if (result.isError !== true) return 'was not refused';
    if (body?.error !== want.error) return `error "${body?.error}" is not "${want.error}"`;
    if (want.rule !== undefined && body.context?.rule !== want.rule) return `rule "${String(body.context?.rule)}" is not "${want.rule}"`;
    if (want.reason && !want.reason.test(body.reason)) return `reason "${body.reason}" does not match ${want.reason}`;
    return undefined;
  }
  const want = row.outcome.ran;
  if (result.isError) return `was refused or failed: ${body?.error}: ${body?.reason}`;
  if (body?.exit_code !== want.exitCode) return `exit code ${body?.exit_code} is not ${want.exitCode}`;
  if (body.stdout !== want.stdout) return `stdout ${JSON.stringify(body.stdout)} is not ${JSON.stringify(want.stdout)}`;
  if (JSON.stringify(body.args) !== JSON.stringify(row.args)) return `args echoed as ${JSON.stringify(body.args)}`;
  return undefined;
}

describe.each(BACKENDS)('hostile table and resource rows through the built server (%s backend)', (backend) => {
  let ws: TempWorkspace;
  let configDir: { dir: string; cleanup(): Promise<void> };
  let stopBackend: () => Promise<void> = async () => undefined;
  let backendEnv: Record<string, string>;
  let h: ClientHandle;
  let sentinel: string;
  let outsideBefore: string[];
  let rootBefore: string[];
  const answers: string[] = [];

  beforeAll(async () => {
    ws = await createTempWorkspace(`tfo-hostile-${backend}-`);
    // The container's user (65534) and the ssh user must reach the root, and an injected write there must be possible on
    // the backends that can write, so that a sentinel missing afterwards means the injection failed, not the permissions.
    await chmod(path.dirname(ws.root), 0o755);
    await chmod(ws.root, 0o777);
    await chmod(ws.outside, 0o777);
    await addAttackFixtures(ws);
    await addHostileFixtures(ws);
    sentinel = path.join(ws.root, SENTINEL_FILE);
    configDir = await createTempDir(`tfo-hostile-${backend}-cfg-`);
    await chmod(configDir.dir, 0o755);
    const config = await backendConfig(backend, configDir.dir, ws.root);
    stopBackend = config.stop;
    backendEnv = config.env;
    h = await startClient(serverEnv({ ...policyEnv(ws.root, false), ...backendEnv }), { cwd: configDir.dir });
    await addServerEnvironLink(ws, h.pid);
    outsideBefore = await readdir(ws.outside);
    rootBefore = await readdir(ws.root);
  }, 60_000);

  afterAll(async () => {
    await h?.close();
    await stopBackend();
    await configDir?.cleanup();
    await ws?.cleanup();
  });

  it('policy rows (option and path attacks) - refused by the server before the backend, naming the rule', async () => {
    const failures: string[] = [];
    for (const attack of policyAttacks(ws, h.pid).filter((a) => !needsDefaultAllowlist(a))) {
      const result = await call(h, { command: attack.command, args: attack.args, ...(attack.stdin === undefined ? {} : { stdin: attack.stdin }) }, answers);
      const envelope = result.structuredContent as Envelope | undefined;
      const problem = result.isError !== true
        ? 'was not refused'
        : envelope?.error !== attack.error ? `error "${envelope?.error}" is not "${attack.error}"` : attack.reason.test(envelope.reason) ? undefined : `reason "${envelope.reason}" does not match ${attack.reason}`;
      if (problem) failures.push(`${attack.name}: ${problem}`);
    }
    expect(failures).toEqual([]);
  }, 60_000);

  it('hostile rows (chaining, quoting, newlines, interpreters, indirection, flags, env, symlinks) - the exact outcome each', async () => {
    const failures: string[] = [];
    for (const row of hostileRows(sentinel)) {
      const result = await call(h, {
        command: row.command,
        args: row.args,
        ...(row.stdin === undefined ? {} : { stdin: row.stdin }),
        ...(row.env ? { env: row.env } : {}),
        ...(row.shell ? { shell: true } : {}),
        ...(row.cwd ? { cwd: row.cwd } : {}),
      }, answers);
      const problem = problemWith(row, result);
      if (problem) failures.push(`${row.group} / ${row.name}: ${problem} — ${JSON.stringify(result.structuredContent).slice(0, 300)}`);
    }
    expect(failures).toEqual([]);
    expect(existsSync(sentinel)).toBe(false);
    expect(existsSync(path.join(ws.outside, SENTINEL_FILE))).toBe(false);
    expect(await readdir(ws.outside)).toEqual(outsideBefore);
    expect(await readdir(ws.root)).toEqual(rootBefore);
  }, 90_000);

  it('sleep 600 with a 1.5 s timeout - answered "timed out", and no process (nor container) is left', async () => {
    const marker = `600.${randomInt(100_000, 999_999)}`;
    const started = Date.now();
    const result = await call(h, { command: 'sleep', args: [marker], timeout_ms: 1_500 });
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(result.isError).toBe(true);
    expect((result.structuredContent as Envelope).error).toBe('command timed out');
    expect(await eventually(() => leftovers(backend, marker), (left) => left.processes === 0 && left.containers === 0, 10_000)).toEqual({ processes: 0, containers: 0 });
  }, 30_000);

  it('large output - capped at max_output_bytes while the server keeps answering and its RSS stays bounded', async () => {
    const seq = await call(h, { command: 'seq', args: ['1', '300000'] });
    const body = seq.structuredContent as { exit_code: number; stdout: string; stdout_truncated: boolean };
    expect(seq.isError).toBeFalsy();
    expect(body.stdout_truncated).toBe(true);
    expect(body.stdout.startsWith('1\n2\n3\n')).toBe(true);
    expect(Buffer.byteLength(body.stdout)).toBeLessThanOrEqual(MAX_OUTPUT);
    expect(Buffer.byteLength(body.stdout)).toBeGreaterThan(MAX_OUTPUT / 2);

    // `yes` for 4 s: gigabytes on a fast backend; the server must cap it, not hold it.
    const before = rssBytes(h.pid);
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, rssBytes(h.pid))), 50);
    try {
      // Docker stops the container once 2 × the cap + 64 MiB has streamed (about 3 s at podman's ~20 MB/s, longer
      // on a loaded machine): its timeout leaves room for that, so the output stop, not the deadline, ends it.
      const flood = call(h, { command: 'yes', args: ['hostile-output-line'], timeout_ms: backend === 'docker' ? 20_000 : 4_000 });
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      const asked = Date.now();
      const echo = await call(h, { command: 'echo', args: ['still answering'] });
      expect(echo.structuredContent).toMatchObject({ exit_code: 0, stdout: 'still answering\n' });
      expect(Date.now() - asked).toBeLessThan(3_000);
      const yes = await flood;
      if (backend === 'docker') {
        // The docker backend stops a container whose output passed the cap instead of draining it until the timeout.
        expect({ isError: yes.isError, body: yes.structuredContent }).toMatchObject({
          isError: undefined,
          body: { exit_code: null, signal: 'SIGKILL', stdout_truncated: true, timed_out: false, stderr: expect.stringContaining('killed: output limit') },
        });
        const stdout = (yes.structuredContent as { stdout: string }).stdout;
        expect(stdout).toMatch(/^(hostile-output-line\n)+/);
        expect(Buffer.byteLength(stdout)).toBeLessThanOrEqual(MAX_OUTPUT);
      } else {
        // The others drain and drop what passes the cap until the timeout stops the program.
        expect({ isError: yes.isError, body: yes.structuredContent }).toMatchObject({ isError: true, body: { error: 'command timed out' } });
        expect(String((yes.structuredContent as Envelope).context?.partial_stdout)).toMatch(/^(hostile-output-line\n)+/);
      }
    } finally {
      clearInterval(sampler);
    }
    expect(peak - before).toBeLessThan(150 * 1024 * 1024);
  }, 30_000);

  it('answers never carry the secret outside the root', () => {
    expect(answers.length).toBeGreaterThan(80);
    expect([...answers, h.stderr()].join('\n')).not.toContain(SENTINEL_TEXT);
  });

  describe('with shell=true allowed (a second server, for the fork flood)', () => {
    let shell: ClientHandle;

    beforeAll(async () => {
      shell = await startClient(serverEnv({ ...policyEnv(ws.root, true), ...backendEnv }), { cwd: configDir.dir });
    }, 30_000);

    afterAll(async () => {
      await shell?.close();
    });

    it('setsid and nohup children of a timed-out run - none outlives it', async () => {
      const marker = `600.${randomInt(100_000, 999_999)}`;
      // A background job is not a group leader, so setsid starts a new session in place: out of the run's process group.
      let peak = 0;
      const sampler = setInterval(() => (peak = Math.max(peak, processesWithArg(marker).length)), 50);
      let result: CallToolResult;
      try {
        result = await call(shell, { command: `setsid sleep ${marker} & nohup sleep ${marker} >/dev/null 2>&1 & sleep ${marker}`, shell: true, timeout_ms: 1_500 });
      } finally {
        clearInterval(sampler);
      }
      // All started (so an empty process table afterwards means they were killed, not that they never ran);
      // the busybox test image has no nohup, so that one is missing in the container.
      expect(peak).toBe(backend === 'docker' ? 2 : 3);
      expect({ isError: result.isError, body: result.structuredContent }).toMatchObject({ isError: true, body: { error: 'command timed out' } });
      expect(await eventually(() => leftovers(backend, marker), (left) => left.processes === 0 && left.containers === 0, 10_000)).toEqual({ processes: 0, containers: 0 });
    }, 30_000);

    /**
     * A bounded flood (300 background sleeps, then wait) rather than an unbounded bomb, so a broken limit
     * cannot take the shared machine down; the limit is MAX_PROCESSES on every backend: docker's pids
     * limit, a pids cgroup per run on native and in the agent (both run as root here, where RLIMIT_NPROC
     * does not apply), and RLIMIT_NPROC of the ssh user through the host's prlimit. The shell's first
     * refused fork ends the run long before its timeout.
     */
    it(`fork flood - held under max_processes (${MAX_PROCESSES}): the shell cannot fork; nothing left`, async () => {
      const marker = `30.${randomInt(100_000, 999_999)}`;
      let peak = 0;
      const sampler = setInterval(() => (peak = Math.max(peak, processesWithArg(marker).length)), 20);
      let result: CallToolResult;
      try {
        result = await call(shell, { command: `i=0; while [ $i -lt 300 ]; do sleep ${marker} & i=$((i+1)); done; wait`, shell: true, timeout_ms: 8_000 });
      } finally {
        clearInterval(sampler);
      }
      // Often before the sampler saw a sleep at all; whatever it saw stays under the limit.
      expect(peak).toBeLessThanOrEqual(MAX_PROCESSES);
      expect({ isError: result.isError, body: result.structuredContent }).toMatchObject({
        isError: undefined,
        body: { exit_code: 2, timed_out: false, stderr: expect.stringMatching(/can't fork|Cannot fork/) },
      });
      expect(await eventually(() => leftovers(backend, marker), (left) => left.processes === 0 && left.containers === 0, 15_000)).toEqual({ processes: 0, containers: 0 });
      const after = await call(shell, { command: 'echo', args: ['after the flood'] });
      expect(after.structuredContent).toMatchObject({ exit_code: 0, stdout: 'after the flood\n' });
    }, 40_000);
  });
});
