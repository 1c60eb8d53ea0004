#!/usr/bin/env node
// Runs the whole suite with jest --json and prints one plain closing line, "N passed, N failed",
// derived from jest's JSON report (CI reads that line, not jest's own summary).
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, existsSync } from 'node:fs';

const report = '.test-results.json';
rmSync(report, { force: true });
const run = spawnSync(
  'jest',
  ['--json', `--outputFile=${report}`, ...process.argv.slice(2)],
  {
    stdio: 'inherit',
    env: { ...process.env, NODE_OPTIONS: [process.env.NODE_OPTIONS, '--experimental-vm-modules'].filter(Boolean).join(' ') },
  },
);

let passed = 0;
let failed = 0;
if (existsSync(report)) {
  const results = JSON.parse(readFileSync(report, 'utf8'));
  passed = results.numPassedTests;
  failed = results.numFailedTests;
  // A suite that fails to load (syntax error, failing hook) has no failed test of its own; count it.
  failed += results.testResults.filter((suite) => suite.status === 'failed' && suite.assertionResults.every((a) => a.status !== 'failed')).length;
} else {
  failed = 1;
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 && run.status === 0 ? 0 : 1);
