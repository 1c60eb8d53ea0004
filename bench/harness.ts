import './local-environment';
import { CloudFormationClient, CreateStackCommand } from '@aws-sdk/client-cloudformation';
import { DescribeExecutionCommand, GetExecutionHistoryCommand, SFNClient, type HistoryEvent } from '@aws-sdk/client-sfn';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createApiClient, type ApiClient } from '../cli/api-client';
import type { StackRequestInput } from '../src/model/stack-request';
import { executionArn } from '../src/aws/workflow-client';
import { teardownExecutionName } from '../src/stacks/stack';
import { loadOrCreateSigningKey } from '../local/auth/local-signing-key';
import { arns, endpoints, REGION, SERVICE_ACCOUNT, statePaths } from '../local/config';
import { REPOSITORY_ROOT } from '../local/runtime/service-definition';
import type { SandboxCall } from '../local/sandbox/call-log';
import type { FaultsDocument } from '../local/sandbox/sandbox-faults';
import type { LiveStack } from '../local/sandbox/sandbox';
import { startGroundwork } from '../local/start';
import { BENCH_STATE_ROOT } from './local-environment';

/**
 * What the provisioning benchmarks share: the whole embedded default (`startGroundwork()`, the
 * unchanged handlers, the real ASL on the local Step Functions, the sandbox accounts) on free
 * loopback ports with a temporary state directory, and the ways to drive and observe it that a
 * customer or an operator has: the HTTP API with a token, the onboarding template launched in a
 * sandbox account, Step Functions' GetExecutionHistory, and the sandbox's /_sandbox/ routes
 * (its stacks, its faults, its request log).
 */
export interface StackView {
  id: string;
  name: string;
  accountId: string;
  status: string;
  statusReason?: string;
  createdAt: string;
  updatedAt: string;
  steps: Array<{ component: string; status: string; startedAt?: string; endedAt?: string }>;
}

export interface ConnectedAccount {
  tenant: string;
  api: ApiClient;
  /** Groundwork's account id (acc_…). */
  id: string;
  /** The sandbox AWS account it is connected to. */
  awsAccountId: string;
}

/** An execution, and the Step Functions that runs it. */
export interface ExecutionRef {
  sfn: SFNClient;
  arn: string;
}

export interface BenchGroundwork {
  speed: number;
  stateDir: string;
  sfn: SFNClient;
  connectAccount(tenant: string, awsAccountId: string): Promise<ConnectedAccount>;
  createStack(account: ConnectedAccount, request: Omit<StackRequestInput, 'accountId'>): Promise<StackView>;
  /** Waits for each execution to end (Step Functions, not the API: cheap to ask 200 times), then reads each stack once. */
  awaitStacks(account: (stack: StackView) => ConnectedAccount, stacks: StackView[], execution: (stack: StackView) => ExecutionRef, timeoutMs: number): Promise<StackView[]>;
  history(execution: ExecutionRef): Promise<HistoryEvent[]>;
  sandboxStacks(awsAccountId?: string): Promise<LiveStack[]>;
  sandboxCalls(awsAccountId?: string): Promise<SandboxCall[]>;
  setFaults(faults: Partial<FaultsDocument> | undefined): Promise<void>;
  stop(): Promise<void>;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export const provisionExecutionArn = (stackId: string) => executionArn(arns.provisionStateMachine, stackId);
export const deleteExecutionArn = (stackId: string, deleteCount = 1) => executionArn(arns.deleteStateMachine, teardownExecutionName(stackId, deleteCount));

async function sandboxGet<T>(path: string): Promise<T> {
  const response = await fetch(`${endpoints.edge}${path}`);
  if (!response.ok) throw new Error(`GET ${path}: HTTP ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

/** Groundwork as `npm start` runs it, at this speed, on this process's free ports and a fresh state directory. */
export async function startBenchGroundwork(options: { speed: number; label: string; log?: (line: string) => void }): Promise<BenchGroundwork> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const stateDir = join(BENCH_STATE_ROOT, options.label);
  const printed: string[] = [];
  const running = await startGroundwork({
    stateDir,
    speed: options.speed,
    // The banner is kept for a failure report; what the sandbox could not do is shown at once.
    print: (line) => (line.startsWith('sandbox:') || line.startsWith('groundwork:') ? log(`  ${line}`) : printed.push(line)),
  });
  // The workflow function's module is loaded now, as a warm container would have it: its
  // initialisation is the cold-start benchmark's subject, not the makespan's.
  await import(pathToFileURL(join(REPOSITORY_ROOT, 'functions/stack-workflow/handler.ts')).href);

  const signingKey = loadOrCreateSigningKey(statePaths(stateDir).signingKey);
  const sfn = new SFNClient({ region: REGION, endpoint: endpoints.edge, credentials: { accessKeyId: SERVICE_ACCOUNT, secretAccessKey: 'local' } });

  async function connectAccount(tenant: string, awsAccountId: string): Promise<ConnectedAccount> {
    const api = createApiClient({ baseUrl: endpoints.api, token: await signingKey.issueToken({ tenant }), timeoutMs: 120_000 });
    const created = await api.request<{ id: string; onboarding: { stackName: string; parameters: Record<string, string> } }>('POST', '/v1/accounts', {
      body: { awsAccountId, name: `bench-${awsAccountId}` },
    });
    // As the customer does: the real onboarding template, launched in their account.
    const customer = new CloudFormationClient({ region: REGION, endpoint: endpoints.edge, credentials: { accessKeyId: awsAccountId, secretAccessKey: 'bench' }, maxAttempts: 10 });
    try {
      await customer.send(
        new CreateStackCommand({
          StackName: created.onboarding.stackName,
          TemplateURL: endpoints.onboardingTemplate,
          Parameters: Object.entries(created.onboarding.parameters).map(([ParameterKey, ParameterValue]) => ({ ParameterKey, ParameterValue })),
          Capabilities: ['CAPABILITY_NAMED_IAM'],
        }),
      );
    } finally {
      customer.destroy();
    }
    const deadline = Date.now() + 180_000;
    for (;;) {
      const account = await api.request<{ status: string; statusReason?: string }>('GET', `/v1/accounts/${created.id}`);
      if (account.status === 'CONNECTED') return { tenant, api, id: created.id, awsAccountId };
      if (account.status !== 'AWAITING_CONNECTION' || Date.now() > deadline) {
        throw new Error(`sandbox account ${awsAccountId} ended ${account.status}${account.statusReason ? `: ${account.statusReason}` : ''}`);
      }
      await sleep(250);
    }
  }

  async function createStack(account: ConnectedAccount, request: Omit<StackRequestInput, 'accountId'>): Promise<StackView> {
    return account.api.request<StackView>('POST', '/v1/stacks', { body: { ...request, accountId: account.id } });
  }

  async function awaitStacks(
    accountOf: (stack: StackView) => ConnectedAccount,
    stacks: StackView[],
    execution: (stack: StackView) => ExecutionRef,
    timeoutMs: number,
  ): Promise<StackView[]> {
    const deadline = Date.now() + timeoutMs;
    const waiting = new Set(stacks.map((stack) => stack.id));
    while (waiting.size > 0) {
      for (const stack of stacks) {
        if (!waiting.has(stack.id)) continue;
        const { sfn: client, arn } = execution(stack);
        const described = await client.send(new DescribeExecutionCommand({ executionArn: arn }));
        if (described.status !== 'RUNNING') waiting.delete(stack.id);
      }
      if (waiting.size === 0) break;
      if (Date.now() > deadline) throw new Error(`${waiting.size} of ${stacks.length} executions still running after ${Math.round(timeoutMs / 1000)} s`);
      await sleep(500);
    }
    return Promise.all(stacks.map((stack) => accountOf(stack).api.request<StackView>('GET', `/v1/stacks/${stack.id}`)));
  }

  async function history({ sfn: client, arn: executionArn }: ExecutionRef): Promise<HistoryEvent[]> {
    const events: HistoryEvent[] = [];
    let nextToken: string | undefined;
    do {
      const page = await client.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000, ...(nextToken ? { nextToken } : {}) }));
      events.push(...(page.events ?? []));
      nextToken = page.nextToken;
    } while (nextToken);
    return events;
  }

  async function setFaults(faults: Partial<FaultsDocument> | undefined): Promise<void> {
    const response = await fetch(
      `${endpoints.edge}/_sandbox/faults`,
      faults ? { method: 'PUT', body: JSON.stringify({ createFailures: [], deleteFailures: [], throttle: 0, ...faults }) } : { method: 'DELETE' },
    );
    if (!response.ok) throw new Error(`the sandbox refused the faults: ${await response.text()}`);
  }

  let stopped = false;
  return {
    speed: running.speed,
    stateDir,
    sfn,
    connectAccount,
    createStack,
    awaitStacks,
    history,
    sandboxStacks: async (awsAccountId) => (await sandboxGet<{ stacks: LiveStack[] }>(`/_sandbox/stacks${awsAccountId ? `?account=${awsAccountId}` : ''}`)).stacks,
    sandboxCalls: async (awsAccountId) => (await sandboxGet<{ calls: SandboxCall[] }>(`/_sandbox/calls${awsAccountId ? `?account=${awsAccountId}` : ''}`)).calls,
    setFaults,
    async stop() {
      if (stopped) return;
      stopped = true;
      sfn.destroy();
      await running.stop();
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}

/** The component of a CloudFormation stack name or ARN `groundwork-<stackId>-<component>`, with its stack id. */
export function groundworkStackOf(stackNameOrArn: string | undefined): { stackId: string; component: string } | undefined {
  if (stackNameOrArn === undefined) return undefined;
  const name = stackNameOrArn.startsWith('arn:') ? (stackNameOrArn.split('/')[1] ?? '') : stackNameOrArn;
  const match = /^groundwork-(stk-[A-Za-z0-9]+)-([a-z]+)$/.exec(name);
  return match ? { stackId: match[1] ?? '', component: match[2] ?? '' } : undefined;
}

export function median(values: readonly number[]): number {
  return quantile(values, 0.5);
}

/** The q-quantile by the nearest-rank method (p99 of 200 values is the 198th smallest). */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? Number.NaN;
}

export const round = (value: number, digits = 2) => Math.round(value * 10 ** digits) / 10 ** digits;
