import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freeLoopbackPort } from '../../local/dynamodb/dynamodb-local';

/**
 * The main job end to end, as `npm run demo` runs it on a fresh machine: it starts the embedded
 * default itself (on free ports, with its own state directory), connects a sandbox account
 * through the real onboarding template, provisions the default stack, watches a failing one roll
 * back, deletes the first, checks the sandbox holds no groundwork-* stack, disconnects the account
 * by deleting its onboarding stack — and stops everything it started.
 */
const listening = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect({ host: '127.0.0.1', port }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });

describe('npm run demo', () => {
  it('connects an account, builds a stack, rolls a failing one back, deletes, and leaves nothing', async () => {
    const state = mkdtempSync(join(tmpdir(), 'groundwork-e2e-'));
    const ports = { api: await freeLoopbackPort(), edge: await freeLoopbackPort(), dynamodb: await freeLoopbackPort() };
    try {
      const child = spawn(process.execPath, ['--import', 'tsx', 'local/demo.ts'], {
        env: {
          ...process.env,
          NODE_OPTIONS: '',
          GROUNDWORK_STATE_DIR: state,
          GROUNDWORK_API_PORT: String(ports.api),
          GROUNDWORK_EDGE_PORT: String(ports.edge),
          GROUNDWORK_DYNAMODB_PORT: String(ports.dynamodb),
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
      const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));

      expect({ code, tail: output.slice(-3000) }).toEqual({ code: 0, tail: expect.stringContaining('Demo complete.') });
      expect(output).toContain('account CONNECTED');
      expect(output).toMatch(/shop {2}→ CREATE_COMPLETE/);
      expect(output).toMatch(/broken {2}→ ROLLBACK_COMPLETE/);
      expect(output).toMatch(/shop {2}→ DELETE_COMPLETE/);
      expect(output).toContain('holds no groundwork-* stack any more');
      expect(output).toContain('account REVOKED');
      // Everything the demo started is stopped.
      for (const port of Object.values(ports)) expect([port, await listening(port)]).toEqual([port, false]);
    } finally {
      rmSync(state, { recursive: true, force: true });
    }
  }, 300_000);
});
