import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CONFORMANCE_NEXT, readResults, runConformance, type Check } from './conformance-suite.js';

/**
 * Running the 2026 line of the conformance suite (0.2.0-alpha.12) and reading its results per
 * *unit*: a scenario at one wire revision, written `scenario@wire`.
 *
 * Why units: the suite runs a scenario at one wire per invocation. Without `--spec-version` that is
 * 2025-11-25 for every scenario the 2025 revisions have (even if 2026-07-28 has it too), and
 * 2026-07-28 for the 2026-only and the extension (tasks, skills) scenarios. `--spec-version R`
 * selects the scenarios revision R has (never the extension ones) and runs them at R. So a scenario
 * both revisions have is two units.
 */
export const SESSION_WIRE = '2025-11-25';
export const STATELESS_WIRE = '2026-07-28';

/** Which revisions have a scenario: 2025 only, both, 2026-07-28 only, or an extension (run at 2026-07-28). */
export type Era = 'session' | 'both' | 'stateless' | 'extension';

export function unitsOf(scenarios: Readonly<Record<string, Era>>): string[] {
  return Object.entries(scenarios).flatMap(([name, era]) =>
    era === 'both' ? [`${name}@${SESSION_WIRE}`, `${name}@${STATELESS_WIRE}`] : [`${name}@${era === 'session' ? SESSION_WIRE : STATELESS_WIRE}`],
  );
}

/** What the runs saw of one unit: its checks (from every run that had it) and why a run could not finish it. */
export interface UnitResult {
  readonly checks: Check[];
  readonly crashes: string[];
}

/** Why a unit does not pass strict: FAILURE or WARNING checks, a crash, or no check that succeeded. */
export function unitProblems(result: UnitResult | undefined): string[] {
  if (result === undefined) return ['scenario did not run'];
  const bad = result.checks.filter((c) => c.status === 'FAILURE' || c.status === 'WARNING').map((c) => `${c.status} ${c.id}: ${c.errorMessage ?? ''}`);
  const none = bad.length === 0 && result.crashes.length === 0 && !result.checks.some((c) => c.status === 'SUCCESS');
  return [...result.crashes.map((m) => `scenario threw: ${m}`), ...bad, ...(none ? [`no check succeeded (${result.checks.map((c) => c.status).join(', ') || 'no checks'})`] : [])];
}

/**
 * Runs what `units` need against `url`; unit → result. Every unit runs once: the scenarios the 2025
 * revisions have in one suite run at `--spec-version 2025-11-25`, the ones 2026-07-28 has in one at
 * `--spec-version 2026-07-28`, and each extension scenario (no spec version selects those) on its
 * own, only if a unit of it is wanted. At most `parallel` CLIs run at once.
 */
export async function runUnits(
  url: string,
  scenarios: Readonly<Record<string, Era>>,
  units: readonly string[],
  parallel = 4,
): Promise<{ units: Map<string, UnitResult>; output: string }> {
  const wanted = new Set(units);
  const jobs = [
    { args: ['--suite', 'all', '--spec-version', SESSION_WIRE], wire: SESSION_WIRE },
    { args: ['--suite', 'all', '--spec-version', STATELESS_WIRE], wire: STATELESS_WIRE },
    ...Object.keys(scenarios)
      .filter((name) => scenarios[name] === 'extension' && wanted.has(`${name}@${STATELESS_WIRE}`))
      .map((name) => ({ args: ['--scenario', name], wire: STATELESS_WIRE })),
  ];
  const results = new Map<string, UnitResult>();
  let output = '';
  const runJob = async ({ args, wire }: (typeof jobs)[number]) => {
    const outDir = await mkdtemp(join(tmpdir(), 'tfo-mcp-conformance-next-'));
    try {
      const run = await runConformance(CONFORMANCE_NEXT, ['server', '--url', url, '-o', outDir, ...args]);
      output += run.output;
      for (const [scenario, checks] of readResults(outDir)) {
        const unit = `${scenario}@${wire}`;
        const seen = results.get(unit) ?? { checks: [], crashes: [] };
        if (checks) seen.checks.push(...checks);
        else seen.crashes.push(crashOf(run.output, scenario));
        results.set(unit, seen);
      }
    } finally {
      await rm(outDir, { recursive: true, force: true });
    }
  };
  const queue = [...jobs];
  await Promise.all(
    Array.from({ length: Math.min(parallel, jobs.length) }, async () => {
      for (let job = queue.shift(); job; job = queue.shift()) await runJob(job);
    }),
  );
  return { units: results, output };
}

/** Why a scenario produced no checks.json: the suite's "Failed to run scenario <name>: …" (suite run) or "Server test error: …" (one scenario). */
function crashOf(output: string, scenario: string): string {
  const lines = output.split('\n');
  const prefix = `Failed to run scenario ${scenario}: `;
  const line = lines.find((l) => l.startsWith(prefix))?.slice(prefix.length) ?? lines.find((l) => l.startsWith('Server test error: '));
  return line ?? 'no checks.json and no message';
}

/** `conformance list --server`: scenario → era, as this release declares them. */
export async function listedScenarios(): Promise<Record<string, Era>> {
  const { output } = await runConformance(CONFORMANCE_NEXT, ['list', '--server'], 60_000);
  const listed: Record<string, Era> = {};
  for (const match of output.matchAll(/^ {2}- (\S+) \[([^\]]*)\]$/gm)) {
    const revisions = match[2].split(',');
    listed[match[1]] = revisions.includes('extension')
      ? 'extension'
      : revisions.includes(STATELESS_WIRE)
        ? revisions.includes(SESSION_WIRE) ? 'both' : 'stateless'
        : 'session';
  }
  return listed;
}
