import { spawnSync } from 'node:child_process';

/** Strict TypeScript over the whole project (tests are transpiled without type checks). */
describe('the project', () => {
  it('type-checks under strict settings', () => {
    const run = spawnSync('tsc', ['--noEmit', '-p', 'tsconfig.json'], { encoding: 'utf8', timeout: 240_000 });
    expect(run.stdout + run.stderr).toBe('');
    expect(run.status).toBe(0);
  }, 250_000);
});
