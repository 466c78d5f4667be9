#!/usr/bin/env node
// The features suite of `npm run bench` on its own: tfo-mcp over Streamable HTTP with nothing on
// (`none`), with an API key and with a JWT (a real oidc-provider on loopback) on every request, and
// with Prometheus metrics on; one server per variant, measured in alternating windows (the order
// rotates per pass and per round) so machine drift hits every variant alike. Needs only dist/.
//   node bench/feature-cost.mjs                 3 rounds (~1.5 min)
//   node bench/feature-cost.mjs --rounds 5 --variants none,jwt --sessions 64
//   node bench/feature-cost.mjs --micro         only the admission itself, in this process: CPU per
//                                               request of HttpAdmission.admit for an API key and a JWT
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { startAuthFixture } from './lib/auth-fixture.mjs';
import { killAllStarted } from './lib/proc.mjs';
import { REPO_DIR } from './lib/servers.mjs';
import { variantsSuite } from './lib/suites.mjs';
import { VARIANTS } from './lib/variants.mjs';
import { variantRatioLines, variantTargets, variantsTable } from './lib/variants-report.mjs';

const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    sessions: { type: 'string', default: '16' },
    variants: { type: 'string', default: VARIANTS.join(',') },
    warmup: { type: 'string', default: '3' },
    window: { type: 'string', default: '1' },
    passes: { type: 'string', default: '4' },
    micro: { type: 'boolean', default: false },
    calls: { type: 'string', default: '200000' },
  },
  strict: true,
});
if (args.micro) {
  await micro(Math.max(1000, Number(args.calls)));
  process.exit(0);
}
const variants = args.variants.split(',').filter(Boolean);
const unknown = variants.filter((v) => !VARIANTS.includes(v));
if (unknown.length > 0 || !variants.includes('none')) {
  process.stderr.write(`feature-cost: --variants is a comma list of ${VARIANTS.join(', ')}, including none (got ${args.variants})\n`);
  process.exit(2);
}
const rounds = Math.min(20, Math.max(1, Number(args.rounds)));
const options = {
  variantLevel: Math.min(256, Math.max(1, Number(args.sessions))),
  variantWarmupMs: Math.min(30_000, Math.max(0, Number(args.warmup) * 1000)),
  variantWindowMs: Math.min(30_000, Math.max(200, Number(args.window) * 1000)),
  variantPasses: Math.min(20, Math.max(1, Number(args.passes))),
  settleMs: 300,
  maxCalls: 500_000,
  requestTimeoutMs: 10_000,
  nodeArgs: [],
};
const perRoundMs = variants.length * (options.variantWarmupMs + options.variantPasses * options.variantWindowMs + 10_000);
const watchdog = setTimeout(() => {
  process.stderr.write('feature-cost: watchdog fired; stopping every server it started\n');
  killAllStarted();
  process.exit(3);
}, rounds * perRoundMs + 30_000);
watchdog.unref();
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => (killAllStarted(), process.exit(130)));

const fixture = await startAuthFixture();
const results = [];
try {
  for (let r = 0; r < rounds; r += 1) {
    process.stderr.write(`round ${r + 1}/${rounds}\n`);
    const order = variants.map((_, i) => variants[(i + r) % variants.length]);
    results.push({ tfo: { variants: await variantsSuite(order, options, fixture, (line) => process.stderr.write(`${line}\n`)) } });
  }
} finally {
  await fixture.stop();
}
process.stdout.write(
  `${[
    variantsTable(results, options.variantLevel),
    '',
    ...variantTargets(results, options.variantLevel).map((t) => `  ${t.met === undefined ? 'n/a   ' : t.met ? 'met   ' : 'MISSED'}  ${t.name}: ${t.shown}`),
    ...variantRatioLines(results, options.variantLevel),
  ].join('\n')}\n`,
);
clearTimeout(watchdog);

/**
 * The admission alone, as the built server runs it (dist/modules: wireHttpAuth with auth.api_keys and
 * auth.oauth): CPU per `admit` of a request carrying an API key or a JWT, after one call that pays
 * the verification. process.cpuUsage (user + system) over `calls`, three times each, interleaved.
 */
async function micro(calls) {
  const load = (relative) => import(pathToFileURL(join(REPO_DIR, relative)).href);
  const [{ wireHttpAuth }, { authSchema }] = await Promise.all([load('dist/modules/composition/auth.wiring.js'), load('dist/modules/infrastructure/config/auth.schema.js')]);
  const fixture = await startAuthFixture();
  const port = 18080;
  const env = fixture.env(port);
  const auth = authSchema.parse({
    api_keys: JSON.parse(env.TELEMETRYFLOW_MCP_AUTH__API_KEYS),
    oauth: { issuer: env.TELEMETRYFLOW_MCP_AUTH__OAUTH__ISSUER, audience: env.TELEMETRYFLOW_MCP_AUTH__OAUTH__AUDIENCE },
  });
  const quiet = { debug() {}, info() {}, warn() {}, error() {}, child() { return quiet; } };
  const wired = await wireHttpAuth(auth, { logger: quiet, clock: { now: () => new Date() } });
  const token = await fixture.jwt(port);
  // What node hands the edge: the raw header list of a typical MCP POST.
  const request = (credential) => ({
    rawHeaders: ['Host', `127.0.0.1:${port}`, 'Content-Type', 'application/json', 'Accept', 'application/json, text/event-stream', 'Mcp-Session-Id', 'b3c1f9e2-5d4a-4c1b-9f7e-2a6d8c0e1f34', 'MCP-Protocol-Version', '2025-11-25', 'Authorization', `Bearer ${credential}`, 'Content-Length', '97'],
    socket: { remoteAddress: '127.0.0.1' },
  });
  const cases = { apikey: request(fixture.apiKey), jwt: request(token) };
  const figures = { apikey: [], jwt: [] };
  for (const [name, req] of Object.entries(cases)) {
    const first = await wired.auth.admit(req);
    if (!first.ok) throw new Error(`${name}: not admitted (${first.status} ${first.message})`);
  }
  for (let round = 0; round < 3; round += 1) {
    for (const [name, req] of Object.entries(cases)) {
      for (let i = 0; i < 5000; i += 1) await wired.auth.admit(req);
      const before = process.cpuUsage();
      for (let i = 0; i < calls; i += 1) await wired.auth.admit(req);
      const used = process.cpuUsage(before);
      figures[name].push((used.user + used.system) / calls);
    }
  }
  await wired.close();
  await fixture.stop();
  const median = (xs) => [...xs].sort((a, b) => a - b)[1];
  for (const [name, xs] of Object.entries(figures)) {
    process.stdout.write(`admission ${name.padEnd(6)} ${median(xs).toFixed(2)} µs CPU per request (median of ${xs.map((x) => x.toFixed(2)).join(', ')}; ${calls} calls each)\n`);
  }
}
