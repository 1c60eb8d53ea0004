import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { loadOrCreateSigningKey } from '../../local/auth/local-signing-key';
import { stateDirectory, statePaths } from '../../local/config';
import { createApiClient } from './api-client';
import { CliError } from './errors';
import { formatError } from './format';
import { parseCommandLine } from './parse-command-line';
import { runCommand } from './run-command';

/**
 * `groundwork …` (bin/groundwork.mjs). Without --token, a token is minted from the local signing
 * key in this checkout's state directory, the one `npm start` verifies with.
 */
const repositoryRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export async function main(argv: readonly string[], env: Record<string, string | undefined> = process.env): Promise<number> {
  let apiUrl = env['GROUNDWORK_API_URL'] ?? '';
  try {
    const { command, global } = parseCommandLine(argv, env);
    apiUrl = global.api;
    const mintToken = (options: { tenant: string; subject?: string; ttlSeconds?: number }) => {
      const key = loadOrCreateSigningKey(statePaths(stateDirectory(repositoryRoot)).signingKey);
      const token = key.issueToken(options);
      const { exp } = key.verifyToken(token);
      return { token, expiresAt: new Date(exp * 1000).toISOString() };
    };
    await runCommand(command, global, {
      client: () => createApiClient({ baseUrl: global.api, token: global.token ?? mintToken({ tenant: global.tenant }).token }),
      mintToken,
      out: (text) => process.stdout.write(`${text}\n`),
      write: (text) => process.stdout.write(text),
      isTty: process.stdout.isTTY === true,
      readFile: (path) => readFileSync(resolve(path), 'utf8'),
      sleep: (ms) => sleep(ms),
      now: () => new Date(),
    });
    return 0;
  } catch (error) {
    process.stderr.write(`${formatError(error, apiUrl)}\n`);
    return error instanceof CliError ? error.exitCode : 1;
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  process.exitCode = await main(process.argv.slice(2));
}
