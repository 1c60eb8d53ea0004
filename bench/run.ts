import { writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { BUNDLE_TARGET_KB, INIT_TARGET_MS, measureColdStarts } from './cold-start';

/**
 * `npm run bench`: runs the benchmarks in one go and writes bench/RESULTS.md with the date and
 * the machine. Figures are measured in this run, never typed in.
 */
const started = Date.now();
const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
const sections: string[] = [];

console.log('bench: cold start (serverless package, then fresh-process imports)…');
const cold = measureColdStarts();
const coldOk = cold.every((row) => row.bundleKb <= BUNDLE_TARGET_KB && row.initMsMedian <= INIT_TARGET_MS);
sections.push(
  [
    `## Cold start ${coldOk ? '(targets met)' : '(targets NOT met)'}`,
    '',
    `Targets: bundle ≤ ${BUNDLE_TARGET_KB} KB minified; module initialisation ≤ ${INIT_TARGET_MS} ms median (fresh Node process importing the bundle, ${cold[0]?.initMsRuns.length ?? 0} runs).`,
    '',
    '| function | bundle KB | zip KB | init ms (median) | bundle/target | init/target | runs (ms) |',
    '|---|---:|---:|---:|---:|---:|---|',
    ...cold.map(
      (r) =>
        `| ${r.fn} | ${r.bundleKb} | ${r.zipKb} | ${r.initMsMedian} | ${(r.bundleKb / BUNDLE_TARGET_KB).toFixed(2)} | ${(r.initMsMedian / INIT_TARGET_MS).toFixed(2)} | ${r.initMsRuns.join(', ')} |`,
    ),
  ].join('\n'),
);

const report = [
  '# Benchmark results',
  '',
  `Run on ${new Date().toISOString()} — ${machine}. Took ${Math.round((Date.now() - started) / 1000)} s.`,
  '',
  ...sections,
  '',
].join('\n');
writeFileSync('bench/RESULTS.md', report);
console.log(report);
