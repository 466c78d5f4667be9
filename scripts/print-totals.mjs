// Prints the suite's totals as the last line, in the plain form CI reads: "N passed, N failed", with
// ", N skipped" when anything was skipped. Steps that failed before jest (build, typecheck, layer rules)
// count as failures too.
//
//   node scripts/print-totals.mjs <jest --json file> [--failed-steps N] [--skips FILE] [--tests FILE] [--no-skips]
//
// --skips: JSON lines from scripts/test.sh ({ pattern, reason }: test files left out of the run) and from
// test/support/with-services.ts ({ file, suite, reason }: suites not registered). --tests: the files the
// run would have taken without the skips (jest --listTests). Each file left out and each suite not
// registered counts as one skipped, next to jest's pending and todo tests; above the totals, one loud block
// names them with the reason. --no-skips (CI) turns any skip into a failure.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

const args = process.argv.slice(2);
const file = args[0];
const option = (name) => {
  const at = args.indexOf(name);
  return at > 0 ? args[at + 1] : undefined;
};
let extra = Number(option('--failed-steps') ?? 0) || 0;
const lines = (name) => {
  const at = option(name);
  return at && existsSync(at) ? readFileSync(at, 'utf8').split('\n').filter(Boolean) : [];
};

// What was not run, by reason.
const rootDir = process.cwd();
const entries = lines('--skips').map((line) => JSON.parse(line));
const testFiles = lines('--tests');
const skippedByReason = new Map();
const note = (reason, what) => {
  if (!skippedByReason.has(reason)) skippedByReason.set(reason, new Set());
  skippedByReason.get(reason).add(what);
};
for (const entry of entries) {
  if (entry.pattern) {
    const pattern = new RegExp(entry.pattern.replaceAll('<rootDir>', rootDir));
    for (const testFile of testFiles) if (pattern.test(testFile)) note(entry.reason, path.relative(rootDir, testFile));
  } else {
    note(entry.reason, `${entry.file} › ${entry.suite}`);
  }
}
const notRun = [...skippedByReason.values()].reduce((sum, set) => sum + set.size, 0);

if (!existsSync(file)) {
  process.stdout.write(`0 passed, ${1 + extra} failed\n`);
  process.exit(1);
}
const results = JSON.parse(readFileSync(file, 'utf8'));
// A suite that failed to load has no test results but must still count as a failure.
const brokenSuites = results.testResults.filter((s) => s.status === 'failed' && s.assertionResults.length === 0).length;
const passed = results.numPassedTests;
const skipped = results.numPendingTests + results.numTodoTests + notRun;

for (const [reason, items] of skippedByReason) {
  process.stdout.write(`!!!!!!!! SKIPPED, NOT RUN (${items.size}): ${reason} !!!!!!!!\n`);
  for (const item of [...items].sort()) process.stdout.write(`!!   ${item}\n`);
}
if (results.numPendingTests + results.numTodoTests > 0) {
  process.stdout.write(`!! ${results.numPendingTests + results.numTodoTests} test(s) pending or todo in the suites that ran\n`);
}
if (args.includes('--no-skips') && skipped > 0) {
  process.stdout.write(`!!!!!!!! CI MUST RUN EVERYTHING: ${skipped} skipped, counted as 1 failure !!!!!!!!\n`);
  extra += 1;
}
const failed = results.numFailedTests + brokenSuites + extra;
if (results.numTotalTests === 0) process.stderr.write('no tests were executed\n');
process.stdout.write(`${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ''}\n`);
process.exit(failed > 0 || results.numTotalTests === 0 ? 1 : 0);
