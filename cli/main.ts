import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createApiClient, type ApiClient } from './api-client';
import { CliError, UsageError } from './errors';
import { formatError } from './format';
import { parseCommandLine } from './parse-command-line';
import { runCommand, type MintToken } from './run-command';

/**
 * The `groundwork` CLI: a client of the public API, for a deployed stage (`--api` and `--token`)
 * as for `npm start`. It holds no key: where tokens can be minted (a local checkout, see
 * local/cli/groundwork.ts) the caller passes `mintToken`; elsewhere `--token` is required.
 */
export async function main(
  argv: readonly string[],
  env: Record<string, string | undefined> = process.env,
  options: { mintToken?: MintToken } = {},
): Promise<number> {
  let apiUrl = env['GROUNDWORK_API_URL'] ?? '';
  try {
    const { command, global } = parseCommandLine(argv, env);
    apiUrl = global.api;
    const mintToken: MintToken = options.mintToken ?? (() => {
      throw new UsageError('no token: pass --token <jwt> (or set GROUNDWORK_TOKEN); tokens are minted only in a local checkout');
    });
    // Made, and its token minted, on the first request: `help` and `token` need neither.
    let api: Promise<ApiClient> | undefined;
    const connect = async () => createApiClient({ baseUrl: global.api, token: global.token ?? (await mintToken({ tenant: global.tenant })).token });
    const client: ApiClient = {
      baseUrl: global.api,
      request: async (method, path, requestOptions) => (await (api ??= connect())).request(method, path, requestOptions),
    };
    await runCommand(command, global, {
      client: () => client,
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
