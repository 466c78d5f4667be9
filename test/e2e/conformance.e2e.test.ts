import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertInstalled, CONFORMANCE_0_1, problems, readResults, runConformance, type Check } from '../support/conformance-suite.js';
import { startHttpServer, type HttpServer } from '../support/http-server.js';

/**
 * The official MCP conformance suite (@modelcontextprotocol/conformance 0.1.16, run on the Node 22
 * it needs, installed by scripts/conformance-install.sh) against the built server over HTTP.
 * Warnings count as failures: suite mode hides them, so every checks.json is read.
 * (Its 2026 line, 0.2.0-alpha.12, runs in conformance-2026.e2e.test.ts.)
 */
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

function runSuite(url: string, outDir: string, args: string[]): Promise<{ code: number | null; output: string }> {
  return runConformance(CONFORMANCE_0_1, ['server', '--url', url, '-o', outDir, ...args]);
}

describe.each([
  { profile: 'conformance fixtures (mcp.fixtures.conformance=true)', fixtures: true, scenarios: ALL_SCENARIOS },
  { profile: 'default product configuration', fixtures: false, scenarios: PRODUCT_SCENARIOS },
])('MCP conformance suite 0.1.16 – $profile', ({ fixtures, scenarios }) => {
  let server: HttpServer;
  let outDir: string;
  let results: Map<string, Check[] | undefined>;
  let summary = '';

  beforeAll(async () => {
    assertInstalled(CONFORMANCE_0_1);
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
    results = readResults(outDir);
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
