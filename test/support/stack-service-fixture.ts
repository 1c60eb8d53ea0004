import { DescribeExecutionCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { randomUUID } from 'node:crypto';
import type { Account } from '../../src/accounts/account';
import { accountLookup } from '../../src/accounts/account-lookup';
import { newAccountId, newExternalId } from '../../src/accounts/onboarding-credentials';
import type { EventPublisher } from '../../src/events/event-publisher';
import { createLogger } from '../../src/log/logger';
import { stackRequestSchema, type StackRequestInput } from '../../src/model/stack-request';
import { StackRecorder } from '../../src/stacks/stack-recorder';
import { StackService } from '../../src/stacks/stack-service';
import { InMemoryAccounts, InMemoryStackStore } from './in-memory-stack-store';
import { sandboxRegionOffers } from './sandbox-region-offers';

/**
 * A StackService and StackRecorder over the in-memory stores, with Step Functions mocked at the
 * SDK and an event publisher that records what it sends (and fails when told to): no DynamoDB
 * Local, no network.
 */
export const PROVISION_ARN = 'arn:aws:states:us-east-1:999999999999:stateMachine:groundwork-test-provision-stack';
export const DELETE_ARN = 'arn:aws:states:us-east-1:999999999999:stateMachine:groundwork-test-delete-stack';

export interface Published {
  type: string;
  detail: Record<string, unknown>;
}

export function stackServiceFixture(options: { maxLiveStacksPerTenant?: number } = {}) {
  const accounts = new InMemoryAccounts();
  const store = new InMemoryStackStore(accounts);
  const published: Published[] = [];
  const publishFaults = { failures: 0 };
  const events: EventPublisher = {
    publish: async (type, detail) => {
      if (publishFaults.failures > 0) {
        publishFaults.failures -= 1;
        throw new Error('EventBridge unavailable');
      }
      published.push({ type, detail: { ...detail } });
    },
  };
  /** What the service logged at warn and above (message and fields), for the tests that check a warning. */
  const logged: Array<{ message: string }> = [];
  const logger = createLogger({ level: 'warn', write: (line: string) => logged.push(JSON.parse(line) as { message: string }) });
  const recorder = new StackRecorder(store, events, logger);
  const sfn = new SFNClient({ region: 'us-east-1' });
  const sfnStub = mockClient(sfn);
  sfnStub.on(StartExecutionCommand).resolves({ executionArn: 'arn', startDate: new Date() });
  sfnStub.on(DescribeExecutionCommand).resolves({ status: 'RUNNING' });
  const regions = sandboxRegionOffers();
  const deps = { store, recorder, accounts: accountLookup(accounts), sfn, provisionStateMachineArn: PROVISION_ARN, deleteStateMachineArn: DELETE_ARN, logger, regions, ...options };
  const service = new StackService(deps);

  async function connectedAccount(tenantId = `acme-${randomUUID()}`, status: Account['status'] = 'CONNECTED'): Promise<Account> {
    const at = new Date().toISOString();
    const id = newAccountId();
    const account: Account = {
      id,
      tenantId,
      awsAccountId: '123456789012',
      name: 'prod',
      status,
      externalId: newExternalId(),
      // A connected account has its roles (the region checks go through the access role).
      ...(status === 'CONNECTED' ? { accessRoleArn: `arn:aws:iam::123456789012:role/GroundworkAccess-${id}`, executionRoleArn: `arn:aws:iam::123456789012:role/GroundworkExecution-${id}` } : {}),
      registrationTokenHash: 'unused',
      registrationTokenExpiresAt: at,
      createdAt: at,
      updatedAt: at,
      version: 1,
    };
    await accounts.create(account);
    return account;
  }

  function request(account: Account, input: Partial<StackRequestInput> = {}) {
    return stackRequestSchema.parse({ name: `shop-${randomUUID().slice(0, 8)}`, accountId: account.id, ...input });
  }

  /** The executions started so far: state machine, name and input. */
  function started() {
    return sfnStub.commandCalls(StartExecutionCommand).map((call) => ({ ...call.args[0].input }));
  }

  return { accounts, store, recorder, service, deps, sfnStub, published, publishFaults, connectedAccount, request, started, regions, logged };
}
