import { AlreadyExistsException, CloudFormationClient, CreateStackCommand, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { mockClient } from 'aws-sdk-client-mock';
import type { Account } from '../../../src/accounts/account';
import type { AccountStore } from '../../../src/accounts/account-store';
import { createLogger } from '../../../src/log/logger';
import type { Stack, StackStep } from '../../../src/stacks/stack';
import { classifyCustomerError, CustomerStacks } from '../../../src/stacks/workflow/customer-stacks';

/**
 * The workflow's one door to a customer's CloudFormation: what the state machine does about each
 * AWS error (retry, stop, tell the customer), and which existing stack a retried deploy may adopt.
 * No network: the customer's CloudFormation is an SDK mock.
 */
const awsError = (name: string, httpStatusCode = 400) => Object.assign(new Error(`${name} happened`), { name, $metadata: { httpStatusCode } });

describe('an AWS error from a customer account', () => {
  it.each([
    ['Throttling', 400, 'CustomerApiThrottledError'],
    ['RequestLimitExceeded', 400, 'CustomerApiThrottledError'],
    ['SomethingBroke', 503, 'CustomerApiThrottledError'],
    ['AccessDenied', 403, 'CustomerAccessDeniedError'],
    ['ExpiredToken', 400, 'CustomerAccessDeniedError'],
    ['Forbidden', 403, 'CustomerAccessDeniedError'],
    ['ValidationError', 400, 'ComponentFailedError'],
    ['LimitExceededException', 400, 'LimitExceededException'],
  ])('%s (HTTP %d) becomes %s', (name, status, expected) => {
    // Act
    const classified = classifyCustomerError(awsError(name, status), 'CreateStack of groundwork-s-network');
    // Assess
    expect(classified.name).toBe(expected);
  });

  it('that is not an Error fails the component, saying what was attempted', () => {
    const classified = classifyCustomerError('socket hang up', 'DescribeStacks of groundwork-s-nat');
    expect([classified.name, classified.message]).toEqual(['ComponentFailedError', 'DescribeStacks of groundwork-s-nat failed: socket hang up']);
  });
});

const STACK = { id: 'stk0000000000000001', tenantId: 'ten_a', accountId: 'acc_a', region: 'us-east-1', executionName: 'stk0000000000000001-1', deleteCount: 0 } as Stack;
const STEP: StackStep = { component: 'network', status: 'IN_PROGRESS', cloudFormationStackName: 'groundwork-stk0000000000000001-network' };
const CONNECTED = { id: 'acc_a', status: 'CONNECTED', externalId: 'x', accessRoleArn: 'arn:aws:iam::123456789012:role/access', executionRoleArn: 'arn:aws:iam::123456789012:role/exec' } as Account;

function customerStacks(account: Account | undefined) {
  const client = new CloudFormationClient({ region: 'us-east-1' });
  const cloudFormation = mockClient(client);
  const accounts = { get: async () => account } as unknown as AccountStore;
  const stacks = new CustomerStacks({ accounts, cloudFormation: async () => client, logger: createLogger({ level: 'error', write: () => undefined }) });
  return { stacks, cloudFormation };
}

describe('reaching a customer account', () => {
  it('is refused for an account whose access role is not connected, before any AWS call', async () => {
    // Prepare
    const { stacks, cloudFormation } = customerStacks({ ...CONNECTED, status: 'AWAITING_CONNECTION', accessRoleArn: undefined });
    // Act + Assess
    await expect(stacks.connect(STACK)).rejects.toMatchObject({ name: 'CustomerAccessDeniedError' });
    expect(cloudFormation.calls()).toHaveLength(0);
  });
});

describe('creating a component stack whose name is taken', () => {
  const alreadyExists = new AlreadyExistsException({ message: 'Stack already exists', $metadata: {} });

  it('adopts the stack an earlier attempt of this step created', async () => {
    // Prepare
    const { stacks, cloudFormation } = customerStacks(CONNECTED);
    cloudFormation.on(CreateStackCommand).rejects(alreadyExists);
    cloudFormation.on(DescribeStacksCommand).resolves({ Stacks: [{ StackName: STEP.cloudFormationStackName, StackId: 'arn:ours', StackStatus: 'CREATE_IN_PROGRESS', CreationTime: new Date(), Tags: [{ Key: 'groundwork:stack', Value: STACK.id }] }] });
    // Act
    const stackId = await (await stacks.connect(STACK)).create('network', STEP, { Resources: {} }, []);
    // Assess
    expect(stackId).toBe('arn:ours');
  });

  it('fails the component when another owner created it', async () => {
    // Prepare
    const { stacks, cloudFormation } = customerStacks(CONNECTED);
    cloudFormation.on(CreateStackCommand).rejects(alreadyExists);
    cloudFormation.on(DescribeStacksCommand).resolves({ Stacks: [{ StackName: STEP.cloudFormationStackName, StackId: 'arn:theirs', StackStatus: 'CREATE_COMPLETE', CreationTime: new Date(), Tags: [{ Key: 'groundwork:stack', Value: 'stk-someone-else' }] }] });
    // Act
    const created = (await stacks.connect(STACK)).create('network', STEP, { Resources: {} }, []);
    // Assess
    await expect(created).rejects.toMatchObject({ name: 'ComponentFailedError', message: expect.stringContaining('did not create') });
  });
});
