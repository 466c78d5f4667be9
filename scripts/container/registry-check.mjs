#!/usr/bin/env node
// The image build's first network step: can npm reach its registry from inside the build? Run by the
// Dockerfile before `npm install`, which otherwise retries for minutes on an unreachable registry or a
// TLS proxy it does not trust (SELF_SIGNED_CERT_IN_CHAIN) before failing with no hint. This fails in
// seconds, with what went wrong and what to pass to the build.
//
//   node scripts/container/registry-check.mjs [REGISTRY_URL]
//
// It asks npm itself (`npm ping`, no retries, short timeout) so that the answer holds for the install
// that follows: the same registry, proxy settings (HTTPS_PROXY, npm_config_*) and trusted CAs
// (NODE_EXTRA_CA_CERTS, which the Dockerfile points at the `ca` build secret when one is given).
import { spawnSync } from 'node:child_process';

const registry = process.argv[2] || process.env.npm_config_registry || 'https://registry.npmjs.org/';
const timeoutMs = 20_000;
const started = Date.now();
const ping = spawnSync('npm', ['ping', `--registry=${registry}`, '--fetch-retries=0', `--fetch-timeout=${timeoutMs}`, '--loglevel=error'], {
  encoding: 'utf8',
  timeout: timeoutMs + 5_000,
});
if (ping.status === 0) {
  process.stderr.write(`registry-check: ${registry} answers (${Date.now() - started} ms)\n`);
  process.exit(0);
}

const output = `${ping.stdout ?? ''}\n${ping.stderr ?? ''}`;
const code = /npm error code (\S+)/.exec(output)?.[1] ?? (ping.error ? 'TIMEOUT' : 'UNKNOWN');
const reason = /reason: (.+)/.exec(output)?.[1]?.trim() ?? output.trim().split('\n').filter(Boolean).pop() ?? '';
const TLS = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|DEPTH_ZERO/;
const NETWORK = /ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENETUNREACH|EHOSTUNREACH|TIMEOUT|UND_ERR/;
const hint = TLS.test(code)
  ? [
      'The registry answered through a TLS proxy whose CA this build does not trust.',
      'Pass that CA (a PEM file) as a build secret; it is used for the install and never stored in the image:',
      '  docker build --secret id=ca,src=/path/to/ca.pem .        (podman build: the same option)',
      'scripts/container-check.sh passes $TFO_BUILD_CA_FILE, else $NODE_EXTRA_CA_CERTS, else npm\'s cafile.',
    ]
  : NETWORK.test(code)
    ? [
        'The build cannot reach the registry: no network in the build, no DNS, or a proxy that is not configured.',
        'Build where the registry is reachable, give the build your proxy (--build-arg HTTPS_PROXY=http://proxy:port),',
        'or point it at a mirror: --build-arg NPM_REGISTRY=https://your-mirror/ (podman: also try --network host).',
      ]
    : ['npm could not ping the registry; its own message is above.'];
process.stderr.write(
  [`registry-check: cannot use the npm registry ${registry}: ${code}${reason ? ` (${reason})` : ''}`, ...hint.map((line) => `registry-check: ${line}`), ''].join('\n'),
);
process.exit(1);
