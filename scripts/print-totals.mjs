// Prints the suite's totals as the last line, in the plain form CI reads: "N passed, N failed".
// Steps that failed before jest (build, typecheck, layer rules) count as failures too.
import { existsSync, readFileSync } from 'node:fs';

const [file, failedSteps = '0'] = process.argv.slice(2);
const extra = Number(failedSteps) || 0;
if (!existsSync(file)) {
  process.stdout.write(`0 passed, ${1 + extra} failed\n`);
  process.exit(1);
}
const results = JSON.parse(readFileSync(file, 'utf8'));
// A suite that failed to load has no test results but must still count as a failure.
const brokenSuites = results.testResults.filter((s) => s.status === 'failed' && s.assertionResults.length === 0).length;
const passed = results.numPassedTests;
const failed = results.numFailedTests + brokenSuites + extra;
const skipped = results.numPendingTests + results.numTodoTests;
if (results.numTotalTests === 0) process.stderr.write('no tests were executed\n');
process.stdout.write(`${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ''}\n`);
process.exit(failed > 0 || results.numTotalTests === 0 ? 1 : 0);
