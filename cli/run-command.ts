import { randomUUID } from 'node:crypto';
import type { AccountView } from '../src/accounts/account';
import type { CreatedAccount } from '../src/accounts/account-service';
import type { StackPlan } from '../src/plans/plan-stack';
import type { StackView } from '../src/stacks/stack-service';
import type { ApiClient } from './api-client';
import { CliError, StackFailedError, UsageError } from './errors';
import {
  formatAccount,
  formatAccountList,
  formatCreatedAccount,
  formatPlan,
  formatProgress,
  formatStack,
  formatStackEvents,
  formatStackList,
  isFailed,
  isTerminal,
  progressChanges,
  type StackEventView,
} from './format';
import { HELP, mergeRequest, type Command, type GlobalOptions, type RequestFlags, type WatchOptions } from './parse-command-line';

/** Runs one parsed command against the API; everything it touches outside is in CliDeps. */
/** Signs a token for a tenant: possible only where the signing key is (a local checkout). */
export type MintToken = (options: { tenant: string; subject?: string; ttlSeconds?: number }) => Promise<{ token: string; expiresAt: string }>;

export interface CliDeps {
  /** Made on first use, so `token` and `help` need no API. */
  client: () => ApiClient;
  mintToken: MintToken;
  out: (text: string) => void;
  /** Raw writes for the live display (no newline added). */
  write: (text: string) => void;
  isTty: boolean;
  readFile: (path: string) => string;
  sleep: (ms: number) => Promise<void>;
  now: () => Date;
}

interface Page<T> {
  items: T[];
  nextToken?: string;
}

async function everyPage<T>(client: ApiClient, path: string): Promise<T[]> {
  const items: T[] = [];
  let nextToken: string | undefined;
  do {
    const query = new URLSearchParams({ limit: '100', ...(nextToken ? { nextToken } : {}) });
    const page = await client.request<Page<T>>('GET', `${path}?${query.toString()}`);
    items.push(...page.items);
    nextToken = page.nextToken;
  } while (nextToken);
  return items;
}

function requestBody(file: string | undefined, flags: RequestFlags, deps: CliDeps): Record<string, unknown> {
  if (file === undefined) return mergeRequest(undefined, flags);
  let contents: unknown;
  try {
    contents = JSON.parse(deps.readFile(file));
  } catch (error) {
    throw new UsageError(`cannot read the request file ${file}: ${error instanceof Error ? error.message : String(error)}`);
  }
  return mergeRequest(contents, flags);
}

const encode = encodeURIComponent;

/** Polls the stack until it settles; a live block on a terminal, one line per change otherwise. */
async function watchStack(id: string, options: WatchOptions, global: GlobalOptions, deps: CliDeps): Promise<StackView> {
  const client = deps.client();
  const deadline = deps.now().getTime() + options.timeoutSeconds * 1000;
  let previous: StackView | undefined;
  let drawnLines = 0;
  for (;;) {
    const stack = await client.request<StackView>('GET', `/v1/stacks/${encode(id)}`);
    const now = deps.now();
    const settled = isTerminal(stack.status);
    if (global.json) {
      if (settled) deps.out(JSON.stringify(stack, null, 2));
    } else if (deps.isTty) {
      // One live block, redrawn in place; once settled it gives way to the full picture.
      const block = settled ? formatStack(stack, now) : formatProgress(stack, now);
      deps.write(`${drawnLines > 0 ? `\u001b[${drawnLines}A\u001b[J` : ''}${block}\n`);
      drawnLines = block.split('\n').length;
    } else {
      for (const line of progressChanges(previous, stack, now)) deps.out(line);
      if (settled) deps.out(`\n${formatStack(stack, now)}`);
    }
    previous = stack;
    if (settled) {
      if (isFailed(stack.status)) {
        throw new StackFailedError(`stack ${stack.id} ended ${stack.status}${stack.statusReason ? `: ${stack.statusReason}` : ''}`);
      }
      return stack;
    }
    if (now.getTime() >= deadline) {
      throw new CliError(`stack ${id} is still ${stack.status} after ${options.timeoutSeconds} s; \`groundwork stacks watch ${id}\` to keep watching`);
    }
    await deps.sleep(options.intervalMs);
  }
}

export async function runCommand(command: Command, global: GlobalOptions, deps: CliDeps): Promise<void> {
  const print = <T>(value: T, human: (value: T) => string) => deps.out(global.json ? JSON.stringify(value, null, 2) : human(value));
  switch (command.kind) {
    case 'help':
      deps.out(HELP);
      return;
    case 'token': {
      const minted = await deps.mintToken({
        tenant: command.tenant,
        ...(command.subject ? { subject: command.subject } : {}),
        ...(command.ttlSeconds ? { ttlSeconds: command.ttlSeconds } : {}),
      });
      deps.out(global.json ? JSON.stringify({ token: minted.token, tenant: command.tenant, expiresAt: minted.expiresAt }, null, 2) : minted.token);
      return;
    }
    case 'accounts create': {
      const body = { awsAccountId: command.awsAccountId, ...(command.name !== undefined ? { name: command.name } : {}), ...(command.regions !== undefined ? { regions: command.regions } : {}) };
      print(await deps.client().request<CreatedAccount>('POST', '/v1/accounts', { body }), formatCreatedAccount);
      return;
    }
    case 'accounts list':
      print(await everyPage<AccountView>(deps.client(), '/v1/accounts'), formatAccountList);
      return;
    case 'accounts get':
      print(await deps.client().request<AccountView>('GET', `/v1/accounts/${encode(command.id)}`), formatAccount);
      return;
    case 'accounts reconnect':
      print(await deps.client().request<CreatedAccount>('POST', `/v1/accounts/${encode(command.id)}/registration-link`), formatCreatedAccount);
      return;
    case 'accounts delete':
      await deps.client().request('DELETE', `/v1/accounts/${encode(command.id)}`);
      print({ id: command.id, deleted: true }, () => `Account ${command.id} forgotten.`);
      return;
    case 'stacks create': {
      const body = requestBody(command.file, command.flags, deps);
      const created = await deps.client().request<StackView>('POST', '/v1/stacks', {
        body,
        headers: { 'idempotency-key': command.idempotencyKey ?? randomUUID() },
      });
      if (command.watch) {
        if (!global.json) deps.out(`Stack ${created.id} (${created.name}) accepted; VPC ${created.vpcCidr}.`);
        await watchStack(created.id, command.watch, global, deps);
        return;
      }
      print(created, (s) => `Stack ${s.id} (${s.name}): ${s.status}, VPC ${s.vpcCidr}.\nFollow it with \`groundwork stacks watch ${s.id}\`.`);
      return;
    }
    case 'stacks list':
      print(await everyPage<StackView>(deps.client(), '/v1/stacks'), formatStackList);
      return;
    case 'stacks get':
      print(await deps.client().request<StackView>('GET', `/v1/stacks/${encode(command.id)}`), (s) => formatStack(s, deps.now()));
      return;
    case 'stacks events':
      print(await everyPage<StackEventView>(deps.client(), `/v1/stacks/${encode(command.id)}/events`), formatStackEvents);
      return;
    case 'stacks watch':
      await watchStack(command.id, command.watch, global, deps);
      return;
    case 'stacks delete': {
      const deleting = await deps.client().request<StackView>('DELETE', `/v1/stacks/${encode(command.id)}`);
      if (command.watch) {
        if (!global.json) deps.out(`Deleting stack ${deleting.id} (${deleting.name}).`);
        await watchStack(deleting.id, command.watch, global, deps);
        return;
      }
      print(deleting, (s) => `Stack ${s.id} (${s.name}): ${s.status}.\nFollow it with \`groundwork stacks watch ${s.id}\`.`);
      return;
    }
    case 'plan': {
      const body = requestBody(command.file, command.flags, deps);
      print(await deps.client().request<StackPlan>('POST', '/v1/plans', { body }), formatPlan);
      return;
    }
  }
}
