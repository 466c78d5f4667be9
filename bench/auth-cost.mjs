#!/usr/bin/env node
// The authenticated HTTP suite of `npm run bench` on its own: tfo-mcp over Streamable HTTP without
// auth, with an API key and with a JWT (a real oidc-provider on loopback), interleaved over rounds
// (the order rotates) so machine drift hits every variant alike. Needs only dist/ (npm run build).
//   node bench/auth-cost.mjs                 5 rounds, 2 s measured per variant and round (~1.5 min)
//   node bench/auth-cost.mjs --rounds 3 --sessions 64
import { parseArgs } from 'node:util';
import { startAuthFixture } from './lib/auth-fixture.mjs';
import { authRatioLines, authTable, authTargets } from './lib/auth-report.mjs';
import { killAllStarted } from './lib/proc.mjs';
import { AUTH_VARIANTS, authHttpSuite } from './lib/suites.mjs';

const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    sessions: { type: 'string', default: '16' },
    seconds: { type: 'string', default: '2' },
  },
  strict: true,
});
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
