import { DEFAULT_TENANT_LIMITS } from '../../../src/model/tenant-limits';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { DescribeExecutionCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Account } from '../../../src/accounts/account';
import { AccountService } from '../../../src/accounts/account-service';
import { DynamoDbAccountStore } from '../../../src/accounts/account-store';
import { executionArn } from '../../../src/aws/workflow-client';
import { hashRegistrationToken, newAccountId, newExternalId } from '../../../src/accounts/onboarding-credentials';
import { customerCloudFormationFactory } from '../../../src/aws/customer-clients';
import { createEventPublisher } from '../../../src/events/event-publisher';
import { createLogger } from '../../../src/log/logger';
import { StackRecorder } from '../../../src/stacks/stack-recorder';
import type { StackRequestInput } from '../../../src/model/stack-request';
import { stackRequestSchema } from '../../../src/model/stack-request';
import { StackService } from '../../../src/stacks/stack-service';
import { DynamoDbStackStore } from '../../../src/stacks/stack-store';
import { createStackWorkflow, type StackWorkflowDeps } from '../../../src/stacks/workflow/stack-workflow';
import type { ComponentName } from '../../../src/model/components';
import { runLocalStateMachine, substitutePlaceholders } from '../../../local/stepfunctions/local-state-machine';
import { CloudFormationDouble } from '../../support/cloudformation-double';
import { createTestTable } from '../../support/dynamodb';
import { testOnboardingSettings } from '../../support/onboarding-settings';
import { sandboxRegionOffers } from '../../support/sandbox-region-offers';

/**
 * Everything a workflow test needs, real except the customer's CloudFormation (the double) and
 * the AWS edges that are mocked at the SDK: the real ASL files run by aws-local-stepfunctions,
 * the real step handlers, the real StackService and stores on DynamoDB Local.
 *
 * With `customerCloudFormation: 'endpoint'` the customer's CloudFormation is whatever
 * AWS_ENDPOINT_URL_CLOUDFORMATION points at (a sandbox account), reached as that account's root
 * (the access key id is the account); the double then sees nothing.
 */
export const CUSTOMER = '123456789012';
export const PROVISION_ARN = 'arn:aws:states:us-east-1:999999999999:stateMachine:groundwork-test-provision-stack';
export const DELETE_ARN = 'arn:aws:states:us-east-1:999999999999:stateMachine:groundwork-test-delete-stack';

export const WORKFLOW_FUNCTION_ARN = 'arn:aws:lambda:us-east-1:999999999999:function:groundwork-test-stackWorkflow';
const readDefinition = (file: string) =>
  substitutePlaceholders(JSON.parse(readFileSync(new URL(`../../../statemachines/${file}`, import.meta.url), 'utf8')) as object, { StackWorkflowFunctionArn: WORKFLOW_FUNCTION_ARN });
const definitions: Record<string, object> = {
  [PROVISION_ARN]: readDefinition('provision-stack.asl.json'),
  [DELETE_ARN]: readDefinition('delete-stack.asl.json'),
};

export interface Execution {
  name: string;
  stateMachineArn: string;
  input: string;
  done: Promise<'SUCCEEDED' | 'FAILED' | 'ABORTED'>;
  status: 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'ABORTED';
  error?: unknown;
  /** StopExecution: the run stops where it is (a step already running finishes, as in AWS). */
  abort: () => void;
}

export type Harness = Awaited<ReturnType<typeof createWorkflowHarness>>;

/** Faults the double cannot inject because they are ours: a crash right after the AWS call. */
export interface CrashFault {
  /** The workflow dies after CreateStack of this component, before recording it. */
  component?: ComponentName;
  /** How many times (default: every time). */
  times?: number;
}

export async function createWorkflowHarness(options: { now?: () => Date; maxLiveStacksPerTenant?: number; customerCloudFormation?: 'double' | 'endpoint' } = {}) {
  const endpoint = options.customerCloudFormation === 'endpoint';
  const table = await createTestTable();
  const logLines: string[] = [];
  const logger = createLogger({ level: 'debug', write: (line) => logLines.push(line) });
  const now = options.now ?? (() => new Date());

  const sts = new STSClient({ region: 'us-east-1' });
  mockClient(sts)
    .on(AssumeRoleCommand)
    .resolves({
      Credentials: endpoint
        ? { AccessKeyId: CUSTOMER, SecretAccessKey: 'secret', SessionToken: '', Expiration: new Date(Date.now() + 3600_000) }
        : { AccessKeyId: 'ASIATEST', SecretAccessKey: 'secret', SessionToken: 'token', Expiration: new Date(Date.now() + 3600_000) },
    });
  const double = new CloudFormationDouble({ account: CUSTOMER, region: 'us-east-1' });
  const cloudFormationStub = endpoint ? undefined : mockClient(CloudFormationClient);
  if (cloudFormationStub) double.attach(cloudFormationStub);

  const eventBridge = new EventBridgeClient({ region: 'us-east-1' });
  const eventBridgeStub = mockClient(eventBridge);
  eventBridgeStub.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e' }] });

  const stackStore = new DynamoDbStackStore(table.dynamo, table.tableName);
  const accountStore = new DynamoDbAccountStore(table.dynamo, table.tableName);
  const recorder = new StackRecorder(stackStore, createEventPublisher(eventBridge, 'groundwork-test'), logger, now);
  const crash: CrashFault = {};
  // The step handlers see a recorder that dies, when asked, on the write after CreateStack.
  const crashingRecorder = Object.create(recorder) as StackRecorder;
  crashingRecorder.recordStep = async (stackId, component, change, options) => {
    // The write that records CreateStack's answer (the step's CloudFormation stack id).
    if (crash.component === component && change.set?.cloudFormationStackId !== undefined && (crash.times ?? Number.POSITIVE_INFINITY) > 0) {
      crash.times = (crash.times ?? Number.POSITIVE_INFINITY) - 1;
      throw new Error(`injected crash after CreateStack of ${component}`);
    }
    return recorder.recordStep(stackId, component, change, options);
  };
  const deps: StackWorkflowDeps = { recorder: crashingRecorder, accounts: accountStore, cloudFormation: customerCloudFormationFactory(sts), logger, now };
  const workflow = createStackWorkflow(deps);

  // Steps still running: a stopped execution's step runs on (as a Lambda does), and settle() waits for it.
  const inFlight = new Set<Promise<unknown>>();
  const step = (input: unknown) => {
    const running = workflow(input);
    inFlight.add(running);
    void running.then(
      () => inFlight.delete(running),
      () => inFlight.delete(running),
    );
    return running;
  };

  // A local Step Functions: executions by name, a second start of the same name is a no-op.
  const executions = new Map<string, Execution>();
  const sfn = new SFNClient({ region: 'us-east-1' });
  const sfnStub = mockClient(sfn);
  /** StartExecution calls that fail (throttled) before the local Step Functions accepts one. */
  const startFaults = { failures: 0 };
  sfnStub.on(StartExecutionCommand).callsFake((input: { stateMachineArn: string; name: string; input: string }) => {
    if (startFaults.failures > 0) {
      startFaults.failures -= 1;
      return Promise.reject(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
    }
    const existing = executions.get(input.name);
    if (existing) {
      if (existing.input === input.input && existing.stateMachineArn === input.stateMachineArn) return Promise.resolve({ executionArn: `${input.stateMachineArn}:${input.name}`, startDate: new Date() });
      return Promise.reject(Object.assign(new Error(`Execution Already Exists: ${input.name}`), { name: 'ExecutionAlreadyExists' }));
    }
    const definition = definitions[input.stateMachineArn];
    if (!definition) return Promise.reject(Object.assign(new Error('State Machine Does Not Exist'), { name: 'StateMachineDoesNotExist' }));
    const run = runLocalStateMachine(definition, JSON.parse(input.input), {
      functions: { [WORKFLOW_FUNCTION_ARN]: step },
      waitMs: 0,
      retryIntervalMs: 0,
      context: { Execution: { Id: executionArn(input.stateMachineArn, input.name), Name: input.name } },
    });
    let aborted = false;
    const execution: Execution = {
      status: 'RUNNING',
      name: input.name,
      stateMachineArn: input.stateMachineArn,
      input: input.input,
      done: run.result.then(
        () => (execution.status = 'SUCCEEDED'),
        (error: unknown) => {
          execution.error = error;
          return (execution.status = aborted ? 'ABORTED' : 'FAILED');
        },
      ),
      abort: () => {
        aborted = true;
        run.abort();
      },
    };
    executions.set(input.name, execution);
    return Promise.resolve({ executionArn: `${input.stateMachineArn}:${input.name}`, startDate: new Date() });
  });
  sfnStub.on(DescribeExecutionCommand).callsFake((input: { executionArn: string }) => {
    const execution = executions.get(input.executionArn.split(':').at(-1) ?? '');
    if (!execution || !input.executionArn.includes(':execution:')) {
      return Promise.reject(Object.assign(new Error(`Execution Does Not Exist: '${input.executionArn}'`), { name: 'ExecutionDoesNotExist' }));
    }
    return Promise.resolve({ executionArn: input.executionArn, name: execution.name, status: execution.status, input: execution.input });
  });

  const accounts = new AccountService({
    store: accountStore,
    events: createEventPublisher(eventBridge, 'groundwork-test'),
    onboarding: testOnboardingSettings,
    logger,
  });
  const stacks = new StackService({ store: stackStore, recorder, accounts, sfn, provisionStateMachineArn: PROVISION_ARN, deleteStateMachineArn: DELETE_ARN, logger, now, regions: sandboxRegionOffers(), ...(options.maxLiveStacksPerTenant ? { maxLiveStacksPerTenant: options.maxLiveStacksPerTenant } : {}) });

  /** `extra`: fields the account has besides (an account from before regions has none: every region). */
  async function connectedAccount(tenantId = `acme-${randomUUID()}`, status: Account['status'] = 'CONNECTED', extra: Partial<Account> = {}): Promise<Account> {
    const at = new Date().toISOString();
    const id = newAccountId();
    const account: Account = {
      id,
      tenantId,
      awsAccountId: CUSTOMER,
      name: 'prod',
      status,
      externalId: newExternalId(),
      registrationTokenHash: hashRegistrationToken('unused'),
      registrationTokenExpiresAt: at,
      createdAt: at,
      updatedAt: at,
      version: 1,
      ...(status === 'CONNECTED'
        ? {
            accessRoleArn: `arn:aws:iam::${CUSTOMER}:role/GroundworkAccess-${id}`,
            executionRoleArn: `arn:aws:iam::${CUSTOMER}:role/GroundworkExecution-${id}`,
            deployContext: {
              natInstanceProfileArn: `arn:aws:iam::${CUSTOMER}:instance-profile/GroundworkNatInstance-${id}`,
              containerInstanceProfileArn: `arn:aws:iam::${CUSTOMER}:instance-profile/GroundworkContainerInstance-${id}`,
              bastionInstanceProfileArn: `arn:aws:iam::${CUSTOMER}:instance-profile/GroundworkBastion-${id}`,
              taskExecutionRoleArn: `arn:aws:iam::${CUSTOMER}:role/GroundworkTaskExecution-${id}`,
            },
            registrationStackId: `arn:aws:cloudformation:us-east-1:${CUSTOMER}:stack/GroundworkOnboarding/x`,
          }
        : {}),
      ...extra,
    };
    await accountStore.create(account, { maxAccountsPerTenant: DEFAULT_TENANT_LIMITS.accounts });
    return account;
  }

  function request(account: Account, input: Partial<StackRequestInput> = {}) {
    return stackRequestSchema.parse({ name: `shop-${randomUUID().slice(0, 8)}`, accountId: account.id, ...input });
  }

  /** Waits for every execution started so far (and any they lead to) to end, and every step still running. */
  async function settle(): Promise<void> {
    for (;;) {
      const pending = [...executions.values()];
      await Promise.all(pending.map((e) => e.done));
      await Promise.allSettled([...inFlight]);
      if (executions.size === pending.length && inFlight.size === 0) return;
    }
  }

  /** The component stacks of one Groundwork stack that still exist in the double. */
  function liveComponentStacks(stackId: string): string[] {
    return double.liveStackNames().filter((name) => name.startsWith(`groundwork-${stackId}-`)).sort();
  }

  function publishedEvents() {
    return eventBridgeStub.commandCalls(PutEventsCommand).flatMap((call) =>
      (call.args[0].input.Entries ?? []).map((entry) => ({ type: entry.DetailType ?? '', detail: JSON.parse(entry.Detail ?? '{}') as Record<string, unknown> })),
    );
  }

  return {
    table,
    double,
    crash,
    stackStore,
    accountStore,
    sfn,
    recorder,
    workflow,
    stacks,
    accounts,
    executions,
    startFaults,
    eventBridgeStub,
    logLines,
    connectedAccount,
    request,
    settle,
    publishedEvents,
    liveComponentStacks,
    close: async () => {
      await settle();
      cloudFormationStub?.restore();
      await table.drop();
    },
  };
}
