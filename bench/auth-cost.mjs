#!/usr/bin/env node
// The authenticated HTTP suite of `npm run bench` on its own: tfo-mcp over Streamable HTTP without
// auth, with an API key and with a JWT (a real oidc-provider on loopback), interleaved over rounds
// (the order rotates) so machine drift hits every variant alike. Needs only dist/ (npm run build).
//   node bench/auth-cost.mjs                 5 rounds, 2 s measured per variant and round (~1.5 min)
//   node bench/auth-cost.mjs --rounds 3 --sessions 64
//   node bench/auth-cost.mjs --micro         only the admission itself, in this process: CPU per request
//                                            of HttpAdmission.admit for an API key and a JWT (no HTTP)
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { startAuthFixture } from './lib/auth-fixture.mjs';
import { authRatioLines, authTable, authTargets } from './lib/auth-report.mjs';
import { killAllStarted } from './lib/proc.mjs';
import { REPO_DIR } from './lib/servers.mjs';
import { AUTH_VARIANTS, authHttpSuite } from './lib/suites.mjs';

const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    sessions: { type: 'string', default: '16' },
    seconds: { type: 'string', default: '2' },
    micro: { type: 'boolean', default: false },
    calls: { type: 'string', default: '200000' },
  },
  strict: true,
});
if (args.micro) {
  await micro(Math.max(1000, Number(args.calls)));
  process.exit(0);
}
const rounds = Math.min(20, Math.max(1, Number(args.rounds)));
const options = {
  authLevel: Math.min(256, Math.max(1, Number(args.sessions))),
  phaseMs: Math.min(30_000, Math.max(500, Number(args.seconds) * 1000)),
  httpWarmupMs: 500,
  settleMs: 300,
  maxCalls: 500_000,
  requestTimeoutMs: 10_000,
  nodeArgs: [],
};
const watchdog = setTimeout(() => {
  process.stderr.write('auth-cost: watchdog fired; stopping every server it started\n');
  killAllStarted();
  process.exit(3);
}, rounds * AUTH_VARIANTS.length * (options.phaseMs + 15_000) + 30_000);
watchdog.unref();
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => (killAllStarted(), process.exit(130)));

const fixture = await startAuthFixture();
const results = [];
try {
  for (let r = 0; r < rounds; r += 1) {
    const auth = {};
    for (let i = 0; i < AUTH_VARIANTS.length; i += 1) {
      const variant = AUTH_VARIANTS[(i + r) % AUTH_VARIANTS.length];
      auth[variant] = await authHttpSuite(variant, options, fixture);
      process.stderr.write(`  round ${r + 1}/${rounds} ${variant.padEnd(6)} ${auth[variant].cpuUsPerCall.toFixed(1)} µs CPU/call, ${auth[variant].throughput.toFixed(0)} calls/s\n`);
    }
    results.push({ tfo: { auth } });
  }
} finally {
  await fixture.stop();
}
const target = authTargets(results, options.authLevel)[0];
process.stdout.write(
  `${[
    authTable(results, options.authLevel),
    '',
    `  ${target.met === undefined ? 'n/a   ' : target.met ? 'met   ' : 'MISSED'}  ${target.name}: ${target.shown}`,
    ...authRatioLines(results, options.authLevel),
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
