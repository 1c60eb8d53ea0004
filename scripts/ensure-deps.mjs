#!/usr/bin/env node
// Runs before `npm test` and `npm start`, on whatever node the machine has: installs the locked
// dependencies when they are missing or older than package-lock.json, and says exactly what else is missing.
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';

const marker = 'node_modules/.package-lock.json';
const stale = !existsSync(marker) || statSync(marker).mtimeMs < statSync('package-lock.json').mtimeMs;
if (stale) {
  console.log('groundwork: installing locked dependencies (npm ci)…');
  const ci = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { stdio: 'inherit' });
  if (ci.status !== 0) {
    console.error('groundwork: `npm ci` failed; the npm registry must be reachable for a first install.');
    process.exit(1);
  }
}

const missing = [];
if (spawnSync('java', ['-version'], { stdio: 'ignore' }).status !== 0) {
  missing.push('java (DynamoDB Local needs a JRE ≥ 17): apt-get install -y openjdk-17-jre-headless');
}
if (missing.length > 0) {
  console.error(`groundwork: missing on this machine:\n  - ${missing.join('\n  - ')}`);
  process.exit(1);
}
