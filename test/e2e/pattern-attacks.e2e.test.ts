import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { CallToolResultSchema } from '@modelcontextprotocol/sdk/types.js';
import { connectHttpClient, type HttpClientHandle } from '../support/http-client.js';
import { startHttpServer, type HttpServer } from '../support/http-server.js';
import { createTempDir, serverEnv, startClient, type ClientHandle } from '../support/spawn-server.js';

/**
 * Hostile search_files calls from one client while another pings every ~10 ms: every attack must
 * answer (a result or a clear error) and the pinger's p99 must stay under 100 ms. Before RE2, the
 * polynomial regexes and the extglobs below each held the event loop for seconds to hours.
 */
const PING_P99_LIMIT_MS = 100;
const MIN_PING_SAMPLES = 50;
const FILES = 120;
/** Every attack runs at least this often, and on until enough pings were taken during the attacks. */
const MIN_ROUNDS = 3;

const many = (n: number, text: string): string => text.repeat(n);
const ATTACKS: ReadonlyArray<{ readonly name: string; readonly args: Record<string, unknown> }> = [
  { name: 'nested plus (refused)', args: { content_pattern: '(a+)+$', regex: true } },
  { name: 'alternation star (refused)', args: { content_pattern: '(a|a)*b', regex: true } },
  { name: 'words (refused)', args: { content_pattern: '(\\w+\\s?)*$', regex: true } },
  { name: 'repeated dot-star (refused)', args: { content_pattern: '(.*a){20}', regex: true } },
  { name: 'polynomial \\s*', args: { content_pattern: many(12, '\\s*') + 'x', regex: true } },
  { name: 'polynomial a*', args: { content_pattern: 'a*a*a*a*a*a*a*a*b', regex: true } },
  { name: 'polynomial .*', args: { content_pattern: '.*.*.*.*.*.*=.*;', regex: true } },
  { name: 'polynomial classes', args: { content_pattern: '[a ]*[a ]*[a ]*[a ]*\\d', regex: true, case_sensitive: false } },
  { name: 'nested alternation star (refused)', args: { content_pattern: '((a|b|ab)*)*c', regex: true } },
  { name: 'counted window near the cap', args: { content_pattern: '.{0,150}a.{0,150}b.{0,150}!', regex: true } },
  { name: 'program too large (refused)', args: { content_pattern: many(30, '.{1000}'), regex: true } },
  { name: 'lookahead (refused)', args: { content_pattern: '(?=a+)+a!', regex: true } },
  { name: 'overlong regex (refused)', args: { content_pattern: many(300, 'a'), regex: true } },
  { name: 'extglob +(a|aa)+(b)', args: { pattern: '+(a|aa)+(b)' } },
  { name: 'extglob @(a|a)*', args: { pattern: '@(a|a)*!' } },
  { name: 'extglob stack', args: { pattern: many(20, '+(a|aa)') + 'b' } },
  { name: 'negated extglob (refused)', args: { pattern: '!(a|aa)+(b)' } },
  { name: 'brace range {1..100000} (refused)', args: { pattern: 'f{1..100000}' } },
  { name: 'many stars', args: { pattern: many(200, '*') + 'x' } },
  { name: 'unclosed nested braces', args: { pattern: many(400, '{') } },
  { name: 'overlong glob (refused)', args: { pattern: many(2000, '?') } },
  { name: 'glob and regex together', args: { pattern: '**/*.txt', content_pattern: many(8, 'a*') + 'b', regex: true } },
  { name: 'literal over every line', args: { content_pattern: 'a', max_results: 1000 } },
];

interface Outcome {
  readonly name: string;
  readonly answer: 'result' | 'error' | 'protocol-error';
  readonly text: string;
}

async function attack(client: Client, name: string, args: Record<string, unknown>): Promise<Outcome> {
  try {
    const result = await client.request({ method: 'tools/call', params: { name: 'search_files', arguments: args } }, CallToolResultSchema, { timeout: 60_000 });
    const text = result.content.map((block) => (block.type === 'text' ? block.text : '')).join('');
    return { name, answer: result.isError === true ? 'error' : 'result', text };
  } catch (error) {
    return { name, answer: 'protocol-error', text: (error as Error).message };
  }
}

function p99(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.99) - 1)];
}

/** Runs the attacks, one after another, on `attacker` while `pinger` pings; returns the ping round trips taken meanwhile. */
async function underAttack(attacker: Client, pinger: Client): Promise<{ outcomes: Outcome[]; pings: number[] }> {
  const pings: number[] = [];
  let attacking = true;
  const pinging = (async () => {
    while (attacking) {
      const started = performance.now();
      await pinger.ping();
      pings.push(performance.now() - started);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  })();
  const outcomes: Outcome[] = [];
  try {
    for (let round = 0; round < MIN_ROUNDS || pings.length < MIN_PING_SAMPLES; round += 1) {
      for (const { name, args } of ATTACKS) outcomes.push(await attack(attacker, name, args));
    }
  } finally {
    attacking = false;
    await pinging;
  }
  return { outcomes, pings };
}

function expectAnswered(outcomes: Outcome[]): void {
  expect(outcomes.filter((o) => o.answer === 'protocol-error')).toEqual([]);
  for (const outcome of outcomes) {
    if (outcome.name.endsWith('(refused)')) {
      expect({ name: outcome.name, answer: outcome.answer }).toEqual({ name: outcome.name, answer: 'error' });
      expect(outcome.text).toMatch(/refused|not a valid/);
    } else {
      expect({ name: outcome.name, answer: outcome.answer, text: outcome.text.slice(0, 300) }).toMatchObject({ answer: 'result' });
    }
  }
}

async function hostileWorkspace(): Promise<{ dir: string; cleanup(): Promise<void> }> {
  const workspace = await createTempDir('tfo-mcp-attack-');
  const lines = [
    many(30, 'a') + '!',
    many(4000, 'a') + '!',
    many(3000, ' ') + '!',
    many(2000, 'ab') + '!',
    many(40, 'x=') + ';',
    'word '.repeat(600) + 'end',
  ];
  for (let i = 0; i < FILES; i += 1) {
    const dir = path.join(workspace.dir, `d${i % 6}`);
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, `${many(30, 'a')}${i}.txt`), `${lines.join('\n')}\n`);
  }
  await writeFile(path.join(workspace.dir, `${many(40, 'a')}c`), 'short\n');
  return workspace;
}

describe('pattern attacks – the event loop stays responsive', () => {
  let workspace: { dir: string; cleanup(): Promise<void> };

  beforeAll(async () => {
    workspace = await hostileWorkspace();
  });

  afterAll(async () => {
    await workspace?.cleanup();
  });

  it(`stdio – ${ATTACKS.length} hostile searches while the same connection pings – every search answers, ping p99 < ${PING_P99_LIMIT_MS} ms`, async () => {
    const handle: ClientHandle = await startClient(serverEnv({ TELEMETRYFLOW_MCP_MCP__ROOTS: JSON.stringify([workspace.dir]), TELEMETRYFLOW_MCP_LOGGING__LEVEL: 'warn' }));
    try {
      const { outcomes, pings } = await underAttack(handle.client, handle.client);
      expectAnswered(outcomes);
      expect(pings.length).toBeGreaterThanOrEqual(MIN_PING_SAMPLES);
      process.stderr.write(`pattern attacks over stdio: ${pings.length} pings during ${outcomes.length} attacks, p99 ${p99(pings).toFixed(1)} ms, max ${Math.max(...pings).toFixed(1)} ms\n`);
      expect(p99(pings)).toBeLessThan(PING_P99_LIMIT_MS);
    } finally {
      await handle.close();
    }
  }, 180_000);

  it(`HTTP – ${ATTACKS.length} hostile searches from one client while another pings – every search answers, the other's ping p99 < ${PING_P99_LIMIT_MS} ms`, async () => {
    const server: HttpServer = await startHttpServer({ TELEMETRYFLOW_MCP_MCP__ROOTS: JSON.stringify([workspace.dir]), TELEMETRYFLOW_MCP_LOGGING__LEVEL: 'warn' });
    const clients: HttpClientHandle[] = [];
    try {
      clients.push(await connectHttpClient(server.url, { name: 'attacker' }), await connectHttpClient(server.url, { name: 'pinger' }));
      const { outcomes, pings } = await underAttack(clients[0].client, clients[1].client);
      expectAnswered(outcomes);
      expect(pings.length).toBeGreaterThanOrEqual(MIN_PING_SAMPLES);
      process.stderr.write(`pattern attacks over HTTP: ${pings.length} pings during ${outcomes.length} attacks, p99 ${p99(pings).toFixed(1)} ms, max ${Math.max(...pings).toFixed(1)} ms\n`);
      expect(p99(pings)).toBeLessThan(PING_P99_LIMIT_MS);
    } finally {
      for (const client of clients) await client.close();
      await server.stop();
    }
  }, 180_000);
});
