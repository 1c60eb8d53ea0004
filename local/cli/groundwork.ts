import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { main } from '../../cli/main';
import type { MintToken } from '../../cli/run-command';
import { loadOrCreateSigningKey } from '../auth/local-signing-key';
import { stateDirectory, statePaths } from '../config';

/**
 * `groundwork …` in this checkout (bin/groundwork.mjs): the public CLI, given the one local-only
 * power it lacks: minting a token from the signing key `npm start` verifies with.
 */
const repositoryRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export const mintLocalToken: MintToken = async (options) => {
  const key = loadOrCreateSigningKey(statePaths(stateDirectory(repositoryRoot)).signingKey);
  const token = await key.issueToken(options);
  const { exp } = await key.verifyToken(token);
  return { token, expiresAt: new Date(exp * 1000).toISOString() };
};

export function groundwork(argv: readonly string[], env: Record<string, string | undefined> = process.env): Promise<number> {
  return main(argv, env, { mintToken: mintLocalToken });
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  process.exitCode = await groundwork(process.argv.slice(2));
}
