import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { functionEnvironment } from '../local/config';

/**
 * Cold start, per function: the minified bundle `serverless package` builds, and how long a
 * fresh Node process takes to import it (module initialisation: our code, the SDK clients built
 * at module scope, the environment checked) — the median of several runs.
 * Targets (issue 6): every bundle ≤ 500 KB minified, initialisation ≤ 150 ms median.
 */
export interface ColdStartRow {
  fn: string;
  bundleKb: number;
  zipKb: number;
  initMsMedian: number;
  initMsRuns: number[];
}

export const BUNDLE_TARGET_KB = 500;
export const INIT_TARGET_MS = 150;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] ?? 0) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

/** Time one import of the bundle in a new process, measured inside it. */
function importOnce(bundle: string): number {
  const script = `const t = performance.now(); await import(${JSON.stringify(bundle)}); process.stdout.write(String(performance.now() - t));`;
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    encoding: 'utf8',
    env: { PATH: process.env['PATH'] ?? '', ...functionEnvironment(), AWS_ENDPOINT_URL: 'http://127.0.0.1:9', AWS_ENDPOINT_URL_DYNAMODB: 'http://127.0.0.1:9' },
    timeout: 30_000,
  });
  if (run.status !== 0) throw new Error(`importing ${bundle} failed: ${run.stderr}`);
  return Number(run.stdout);
}

export function measureColdStarts(options: { runs?: number } = {}): ColdStartRow[] {
  const runs = options.runs ?? 7;
  const out = mkdtempSync(join(tmpdir(), 'groundwork-bench-package-'));
  try {
    const packaged = spawnSync('serverless', ['package', '--stage', 'bench', '--region', 'us-east-1', '--package', out], {
      encoding: 'utf8',
      env: { ...process.env, SLS_TELEMETRY_DISABLED: '1', SLS_NOTIFICATIONS_MODE: 'off' },
      timeout: 180_000,
    });
    if (packaged.status !== 0) throw new Error(`serverless package failed: ${packaged.stdout}\n${packaged.stderr}`);
    return readdirSync(out)
      .filter((file) => file.endsWith('.zip'))
      .sort()
      .map((zip) => {
        const fn = zip.replace(/\.zip$/, '');
        const dir = join(out, fn);
        // python3 is on every machine of this kind; unzip may not be.
        const unzip = spawnSync('python3', ['-m', 'zipfile', '-e', join(out, zip), dir]);
        if (unzip.status !== 0) throw new Error(`unpacking ${zip} failed: ${unzip.stderr.toString()}`);
        const found = spawnSync('find', [dir, '-name', '*.mjs'], { encoding: 'utf8' }).stdout.trim().split('\n')[0] ?? '';
        const samples = Array.from({ length: runs }, () => importOnce(found));
        return {
          fn,
          bundleKb: Math.round(statSync(found).size / 1024),
          zipKb: Math.round(statSync(join(out, zip)).size / 1024),
          initMsMedian: Math.round(median(samples) * 10) / 10,
          initMsRuns: samples.map((s) => Math.round(s)),
        };
      });
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}
