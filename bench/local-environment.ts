import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Imported first by bench/run.ts (and by the harness): local/config.ts reads its ports when it is
 * first loaded, so they are chosen here, before anything imports it. The benchmarks' Groundwork
 * runs on 127.0.0.1, on ports the system hands out as free (never 3000/4566/4567, which a
 * developer's own `npm start` may hold), with its state in a fresh temporary directory.
 *
 * Synchronous on purpose: a module with a top-level await does not hold back the modules imported
 * after it, so local/config.ts would load first and keep the fixed ports.
 */
function freePorts(count: number): number[] {
  // A child process listens on `count` ports the system picks (held together, so distinct), prints them and exits.
  const script = `const net = require('node:net');
    const servers = Array.from({ length: ${count} }, () => net.createServer());
    Promise.all(servers.map((s) => new Promise((ok, ko) => { s.once('error', ko); s.listen({ port: 0, host: '127.0.0.1', exclusive: true }, ok); })))
      .then(() => { process.stdout.write(JSON.stringify(servers.map((s) => s.address().port))); servers.forEach((s) => s.close()); });`;
  const run = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 10_000 });
  const ports = run.status === 0 ? (JSON.parse(run.stdout) as unknown) : undefined;
  if (!Array.isArray(ports) || ports.length !== count || !ports.every((port) => Number.isInteger(port) && port > 0)) {
    throw new Error(`could not find ${count} free loopback ports: ${run.stderr || run.stdout}`);
  }
  return ports as number[];
}

const [api, edge, dynamodb, sequentialEdge] = freePorts(4);
process.env['GROUNDWORK_API_PORT'] = String(api);
process.env['GROUNDWORK_EDGE_PORT'] = String(edge);
process.env['GROUNDWORK_DYNAMODB_PORT'] = String(dynamodb);
// One line per Groundwork event would bury the benchmark's own output.
process.env['GROUNDWORK_QUIET'] = '1';

/** Where each benchmark run keeps its Groundwork state (removed when it stops). */
export const BENCH_STATE_ROOT = mkdtempSync(join(tmpdir(), 'groundwork-bench-'));
process.env['GROUNDWORK_STATE_DIR'] = BENCH_STATE_ROOT;

/** A further free port, for the edge serving the sequential variant's Step Functions (makespan.ts). */
export const SEQUENTIAL_EDGE_PORT = sequentialEdge ?? 0;
