import { existsSync, readFileSync, rmSync } from 'node:fs';

/** Stops the DynamoDB Local that global setup started, by its pid. */
export default async function globalTeardown() {
  const pidFile = `.test-state/dynamodb-${process.pid}.pid`;
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8'));
  rmSync(pidFile);
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return; // already gone
  }
  for (let i = 0; i < 50; i += 1) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  process.kill(pid, 'SIGKILL');
}
