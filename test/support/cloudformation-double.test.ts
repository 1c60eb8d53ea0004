import {
  CloudFormationClient,
  CloudFormationServiceException,
  CreateStackCommand,
  DeleteStackCommand,
  DescribeStackEventsCommand,
  DescribeStacksCommand,
  UpdateStackCommand,
  type CreateStackCommandInput,
  type Stack,
} from '@aws-sdk/client-cloudformation';
import { mockClient } from 'aws-sdk-client-mock';
import type { CfnTemplate } from '../../src/cfn/template-types';
import { CloudFormationDouble, type CloudFormationDoubleOptions } from './cloudformation-double';

/**
 * The CloudFormation double, driven through the real SDK client whose `send` is mocked: what the
 * workflow will see of stacks it creates, waits on and deletes, and of the faults tests inject.
 */

const ACCOUNT = '111122223333';
const REGION = 'eu-west-1';

/** A VPC with two subnets: a parameter, Refs, GetAtt, Join and GetAZs in its outputs. */
const networkTemplate: CfnTemplate = {
  AWSTemplateFormatVersion: '2010-09-09',
  Description: 'double test network',
  Parameters: { VpcCidr: { Type: 'String', AllowedPattern: '\\d+\\.\\d+\\.\\d+\\.\\d+/\\d+' } },
  Resources: {
    Vpc: { Type: 'AWS::EC2::VPC', Properties: { CidrBlock: { Ref: 'VpcCidr' } } },
    SubnetA: {
      Type: 'AWS::EC2::Subnet',
      Properties: { VpcId: { Ref: 'Vpc' }, CidrBlock: '10.0.0.0/24', AvailabilityZone: { 'Fn::Select': [0, { 'Fn::GetAZs': '' }] } },
    },
    SubnetB: {
      Type: 'AWS::EC2::Subnet',
      Properties: { VpcId: { Ref: 'Vpc' }, CidrBlock: '10.0.1.0/24', AvailabilityZone: { 'Fn::Select': [1, { 'Fn::GetAZs': '' }] } },
    },
  },
  Outputs: {
    VpcId: { Value: { Ref: 'Vpc' } },
    VpcCidr: { Value: { Ref: 'VpcCidr' } },
    VpcCidrBlock: { Value: { 'Fn::GetAtt': ['Vpc', 'CidrBlock'] } },
    SubnetIds: { Value: { 'Fn::Join': [',', [{ Ref: 'SubnetA' }, { Ref: 'SubnetB' }]] } },
    SubnetAZone: { Value: { 'Fn::GetAtt': ['SubnetA', 'AvailabilityZone'] } },
  },
};

const topicTemplate: CfnTemplate = {
  Parameters: { TopicLabel: { Type: 'String', Default: 'alerts' } },
  Resources: { Topic: { Type: 'AWS::SNS::Topic', Properties: { DisplayName: { Ref: 'TopicLabel' } } } },
  Outputs: { TopicArn: { Value: { Ref: 'Topic' } }, Label: { Value: { 'Fn::Sub': '${TopicLabel}-${AWS::Region}' } } },
};

const roleTemplate: CfnTemplate = {
  Resources: {
    Role: {
      Type: 'AWS::IAM::Role',
      Properties: {
        AssumeRolePolicyDocument: {
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }],
        },
      },
    },
  },
};

function setUp(options: CloudFormationDoubleOptions = {}) {
  const double = new CloudFormationDouble({ account: ACCOUNT, region: REGION, ...options });
  const client = new CloudFormationClient({ region: REGION });
  double.attach(mockClient(client));
  return { double, client };
}

function networkInput(name: string, extra: Partial<CreateStackCommandInput> = {}): CreateStackCommandInput {
  return {
    StackName: name,
    TemplateBody: JSON.stringify(networkTemplate),
    Parameters: [{ ParameterKey: 'VpcCidr', ParameterValue: '10.0.0.0/16' }],
    ...extra,
  };
}

async function describe1(client: CloudFormationClient, name: string): Promise<Stack> {
  const { Stacks } = await client.send(new DescribeStacksCommand({ StackName: name }));
  const [stack] = Stacks ?? [];
  if (!stack) throw new Error(`DescribeStacks returned no stack for ${name}`);
  return stack;
}

/** Polls like the workflow does, up to a bound, and returns every status it saw. */
async function pollUntilSettled(client: CloudFormationClient, name: string, bound = 10): Promise<string[]> {
  const seen: string[] = [];
  for (let i = 0; i < bound; i += 1) {
    const status = (await describe1(client, name)).StackStatus ?? '';
    seen.push(status);
    if (!status.endsWith('_IN_PROGRESS')) break;
  }
  return seen;
}

/** The error a call rejects with (fails the test if it resolves). */
async function rejectionOf(promise: Promise<unknown>): Promise<CloudFormationServiceException> {
  try {
    await promise;
  } catch (error) {
    return error as CloudFormationServiceException;
  }
  throw new Error('expected the call to fail, and it succeeded');
}

describe('CloudFormationDouble behind the SDK client', () => {
  it('creates a stack that completes after the configured describes, with realistic outputs', async () => {
    // Prepare
    const { double, client } = setUp({ describesToComplete: 3 });

    // Act
    const { StackId } = await client.send(
      new CreateStackCommand(networkInput('groundwork-s1-network', {
        RoleARN: `arn:aws:iam::${ACCOUNT}:role/groundwork-execution`,
        Tags: [{ Key: 'groundwork:stack', Value: 's1' }],
        ClientRequestToken: 'exec-1-network',
      })),
    );
    const seen = await pollUntilSettled(client, 'groundwork-s1-network');
    const stack = await describe1(client, 'groundwork-s1-network');

    // Assess
    expect(StackId).toMatch(new RegExp(`^arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/groundwork-s1-network/[0-9a-f-]{36}$`));
    expect(seen).toEqual(['CREATE_IN_PROGRESS', 'CREATE_IN_PROGRESS', 'CREATE_COMPLETE']);
    const outputs = Object.fromEntries((stack.Outputs ?? []).map((o) => [o.OutputKey, o.OutputValue]));
    expect(outputs['VpcId']).toMatch(/^vpc-0[0-9a-f]{16}$/);
    expect(outputs['VpcCidr']).toBe('10.0.0.0/16');
    expect(outputs['VpcCidrBlock']).toBe('10.0.0.0/16');
    expect(outputs['SubnetIds']).toMatch(/^subnet-0[0-9a-f]{16},subnet-0[0-9a-f]{16}$/);
    expect(outputs['SubnetAZone']).toBe(`${REGION}a`);
    expect(stack).toMatchObject({
      StackId,
      StackName: 'groundwork-s1-network',
      Parameters: [{ ParameterKey: 'VpcCidr', ParameterValue: '10.0.0.0/16' }],
      Tags: [{ Key: 'groundwork:stack', Value: 's1' }],
      RoleARN: `arn:aws:iam::${ACCOUNT}:role/groundwork-execution`,
    });
    expect(stack.CreationTime).toBeInstanceOf(Date);
    expect(double.allStacks()[0]).toMatchObject({ clientRequestToken: 'exec-1-network', account: ACCOUNT, region: REGION, status: 'CREATE_COMPLETE' });
  });

  it('ends operations as soon as they start when describesToComplete is 0', async () => {
    // Prepare
    const { double, client } = setUp({ describesToComplete: 0 });

    // Act
    await client.send(new CreateStackCommand(networkInput('groundwork-s0-network')));
    const afterCreate = double.stack('groundwork-s0-network')?.status;
    await client.send(new DeleteStackCommand({ StackName: 'groundwork-s0-network' }));

    // Assess
    expect(afterCreate).toBe('CREATE_COMPLETE');
    expect(double.allStacks().map((s) => s.status)).toEqual(['DELETE_COMPLETE']);
    expect(double.calls.map((c) => c.command)).toEqual(['CreateStack', 'DeleteStack']);
  });

  it('gives the same ids and outputs for the same calls, run after run', async () => {
    // Prepare
    const first = setUp();
    const second = setUp();

    // Act
    for (const { client } of [first, second]) {
      await client.send(new CreateStackCommand(networkInput('groundwork-s1-network')));
      await client.send(new CreateStackCommand({ StackName: 'groundwork-s1-topic', TemplateBody: JSON.stringify(topicTemplate) }));
      await pollUntilSettled(client, 'groundwork-s1-network');
      await pollUntilSettled(client, 'groundwork-s1-topic');
    }

    // Assess
    const firstStacks = first.double.allStacks().map(({ stackId, outputs }) => ({ stackId, outputs }));
    expect(second.double.allStacks().map(({ stackId, outputs }) => ({ stackId, outputs }))).toEqual(firstStacks);
    expect(firstStacks[1]?.outputs).toEqual({
      TopicArn: expect.stringMatching(new RegExp(`^arn:aws:sns:${REGION}:${ACCOUNT}:groundwork-s1-topic-Topic-[A-Z0-9]+$`)),
      Label: `alerts-${REGION}`,
    });
  });

  it('answers a retried create with the same token with the same stack, and creates it once', async () => {
    // Prepare
    const { double, client } = setUp();
    const input = networkInput('groundwork-s2-network', { ClientRequestToken: 'exec-2-network' });
    const first = await client.send(new CreateStackCommand(input));

    // Act
    const retried = await client.send(new CreateStackCommand(input));

    // Assess
    expect(retried.StackId).toBe(first.StackId);
    expect(double.allStacks()).toHaveLength(1);
  });

  it('refuses a second stack of a live name with AlreadyExistsException', async () => {
    // Prepare
    const { double, client } = setUp();
    await client.send(new CreateStackCommand(networkInput('groundwork-s3-network', { ClientRequestToken: 'exec-3' })));

    // Act
    const error = await rejectionOf(client.send(new CreateStackCommand(networkInput('groundwork-s3-network', { ClientRequestToken: 'exec-4' }))));

    // Assess
    expect(error).toBeInstanceOf(CloudFormationServiceException);
    expect(error).toMatchObject({ name: 'AlreadyExistsException', message: 'Stack [groundwork-s3-network] already exists', $fault: 'client' });
    expect(double.allStacks()).toHaveLength(1);
  });

  it('refuses an invalid template, missing or unknown parameters and bad values with ValidationError', async () => {
    // Prepare
    const { double, client } = setUp();
    const broken: CfnTemplate = { Resources: { Vpc: { Type: 'AWS::EC2::VPC', Properties: { CidrBlok: '10.0.0.0/16' } } } };

    // Act
    const errors = await Promise.all([
      rejectionOf(client.send(new CreateStackCommand({ StackName: 'bad-template', TemplateBody: JSON.stringify(broken) }))),
      rejectionOf(client.send(new CreateStackCommand({ StackName: 'not-json', TemplateBody: '{"Resources": ' }))),
      rejectionOf(client.send(new CreateStackCommand(networkInput('no-params', { Parameters: [] })))),
      rejectionOf(
        client.send(new CreateStackCommand(networkInput('extra-param', {
          Parameters: [{ ParameterKey: 'VpcCidr', ParameterValue: '10.0.0.0/16' }, { ParameterKey: 'Colour', ParameterValue: 'blue' }],
        }))),
      ),
      rejectionOf(client.send(new CreateStackCommand(networkInput('bad-value', { Parameters: [{ ParameterKey: 'VpcCidr', ParameterValue: 'ten' }] })))),
      rejectionOf(client.send(new CreateStackCommand(networkInput('under_score')))),
    ]);

    // Assess
    expect(errors.map((e) => [e.name, e.$metadata.httpStatusCode])).toEqual(Array(6).fill(['ValidationError', 400]));
    const [template, notJson, missing, unknown, badValue, badName] = errors.map((e) => e.message);
    expect(template).toMatch(/^Template format error: .*CidrBlok/);
    expect(notJson).toMatch(/^Template format error: JSON not well-formed/);
    expect(missing).toBe('Parameters: [VpcCidr] must have values');
    expect(unknown).toBe('Parameters: [Colour] do not exist in the template');
    expect(badValue).toMatch(/^Parameter 'VpcCidr' must match pattern/);
    expect(badName).toMatch(/at 'stackName' failed to satisfy constraint/);
    expect(double.allStacks()).toEqual([]);
  });

  it('asks for CAPABILITY_IAM before creating IAM resources, as CloudFormation does', async () => {
    // Prepare
    const { client } = setUp();
    const input = { StackName: 'groundwork-s5-role', TemplateBody: JSON.stringify(roleTemplate) };

    // Act
    const error = await rejectionOf(client.send(new CreateStackCommand(input)));
    const created = await client.send(new CreateStackCommand({ ...input, Capabilities: ['CAPABILITY_IAM'] }));

    // Assess
    expect(error).toMatchObject({ name: 'InsufficientCapabilitiesException', message: 'Requires capabilities : [CAPABILITY_IAM]' });
    expect(created.StackId).toContain('stack/groundwork-s5-role/');
  });

  it('rolls a failing creation back to ROLLBACK_COMPLETE, with the reason on the stack and in a CREATE_FAILED event', async () => {
    // Prepare
    const { double, client } = setUp();
    double.failCreate('-network', 'The maximum number of VPCs has been reached.');

    // Act
    await client.send(new CreateStackCommand(networkInput('groundwork-s6-network')));
    const seen = await pollUntilSettled(client, 'groundwork-s6-network');
    const stack = await describe1(client, 'groundwork-s6-network');
    const { StackEvents = [] } = await client.send(new DescribeStackEventsCommand({ StackName: 'groundwork-s6-network' }));

    // Assess
    expect(seen).toEqual(['ROLLBACK_COMPLETE']);
    expect(stack.StackStatusReason).toBe('The maximum number of VPCs has been reached.');
    expect(stack.Outputs).toBeUndefined();
    const failed = StackEvents.filter((event) => event.ResourceStatus === 'CREATE_FAILED');
    expect(failed).toEqual([
      expect.objectContaining({ LogicalResourceId: 'Vpc', ResourceType: 'AWS::EC2::VPC', ResourceStatusReason: 'The maximum number of VPCs has been reached.' }),
    ]);
    // Newest first, as CloudFormation lists them: ROLLBACK_COMPLETE … CREATE_IN_PROGRESS.
    expect(StackEvents.filter((e) => e.ResourceType === 'AWS::CloudFormation::Stack').map((e) => e.ResourceStatus)).toEqual([
      'ROLLBACK_COMPLETE',
      'ROLLBACK_IN_PROGRESS',
      'CREATE_IN_PROGRESS',
    ]);
    expect(double.liveStackNames()).toEqual(['groundwork-s6-network']);
  });

  it('keeps a slow rollback ROLLBACK_IN_PROGRESS, refusing DeleteStack meanwhile as the sandbox does, then takes it', async () => {
    // Prepare
    const { double, client } = setUp();
    double.failCreate('-network', 'quota', { rollbackDescribes: 2 });
    await client.send(new CreateStackCommand(networkInput('groundwork-s9-network')));

    // Act
    const during = (await describe1(client, 'groundwork-s9-network')).StackStatus;
    const refused = await rejectionOf(client.send(new DeleteStackCommand({ StackName: 'groundwork-s9-network' })));
    const seen = await pollUntilSettled(client, 'groundwork-s9-network');
    await client.send(new DeleteStackCommand({ StackName: 'groundwork-s9-network' }));

    // Assess
    expect(during).toBe('ROLLBACK_IN_PROGRESS');
    expect(refused).toMatchObject({ name: 'ValidationError', message: 'Stack [groundwork-s9-network] cannot be deleted while in status ROLLBACK_IN_PROGRESS' });
    expect(seen.at(-1)).toBe('ROLLBACK_COMPLETE');
    expect(await pollUntilSettled(client, 'groundwork-s9-network')).toEqual(['DELETE_COMPLETE']);
    expect(double.liveStackNames()).toEqual([]);
  });

  it('lets a rolled-back name be created again once its stack is deleted', async () => {
    // Prepare
    const { double, client } = setUp();
    double.failCreate('groundwork-s7-network');
    await client.send(new CreateStackCommand(networkInput('groundwork-s7-network')));
    await pollUntilSettled(client, 'groundwork-s7-network');
    const whileRolledBack = await rejectionOf(client.send(new CreateStackCommand(networkInput('groundwork-s7-network'))));

    // Act
    await client.send(new DeleteStackCommand({ StackName: 'groundwork-s7-network' }));
    await pollUntilSettled(client, 'groundwork-s7-network');
    double.clearFaults();
    await client.send(new CreateStackCommand(networkInput('groundwork-s7-network')));
    const seen = await pollUntilSettled(client, 'groundwork-s7-network');

    // Assess
    expect(whileRolledBack.name).toBe('AlreadyExistsException');
    expect(seen).toEqual(['CREATE_COMPLETE']);
    expect(double.allStacks().map((s) => s.status)).toEqual(['DELETE_COMPLETE', 'CREATE_COMPLETE']);
  });

  it('deletes a stack: DELETE_COMPLETE, then unknown by name but still described by id', async () => {
    // Prepare
    const { double, client } = setUp({ describesToComplete: 2 });
    const { StackId = '' } = await client.send(new CreateStackCommand(networkInput('groundwork-s8-network')));
    await pollUntilSettled(client, 'groundwork-s8-network');

    // Act
    await client.send(new DeleteStackCommand({ StackName: 'groundwork-s8-network' }));
    await client.send(new DeleteStackCommand({ StackName: 'groundwork-s8-network' }));
    const seen = await pollUntilSettled(client, 'groundwork-s8-network');
    const byName = await rejectionOf(client.send(new DescribeStacksCommand({ StackName: 'groundwork-s8-network' })));
    const byId = await describe1(client, StackId);

    // Assess
    expect(seen).toEqual(['DELETE_IN_PROGRESS', 'DELETE_COMPLETE']);
    expect(byName).toMatchObject({ name: 'ValidationError', message: 'Stack with id groundwork-s8-network does not exist' });
    expect(byId.StackStatus).toBe('DELETE_COMPLETE');
    expect(byId.DeletionTime).toBeInstanceOf(Date);
    expect(double.liveStackNames()).toEqual([]);
    expect(double.allStacks()).toHaveLength(1);
  });

  it('succeeds, doing nothing, when asked to delete a stack that does not exist', async () => {
    // Prepare
    const { double, client } = setUp();

    // Act
    const deleted = await client.send(new DeleteStackCommand({ StackName: 'groundwork-never-network' }));
    const described = await rejectionOf(client.send(new DescribeStacksCommand({ StackName: 'groundwork-never-network' })));
    const events = await rejectionOf(client.send(new DescribeStackEventsCommand({ StackName: 'groundwork-never-network' })));

    // Assess
    expect(deleted.$metadata.httpStatusCode).toBe(200);
    expect(described.message).toBe('Stack with id groundwork-never-network does not exist');
    expect(events.message).toBe('Stack [groundwork-never-network] does not exist');
    expect(double.allStacks()).toEqual([]);
  });

  it('fails a deletion the given number of times, then lets it succeed', async () => {
    // Prepare
    const { double, client } = setUp();
    await client.send(new CreateStackCommand(networkInput('groundwork-s9-network')));
    await pollUntilSettled(client, 'groundwork-s9-network');
    double.failDelete(/-network$/, 1, 'Network vpc-0abc has dependencies and cannot be deleted.');

    // Act
    await client.send(new DeleteStackCommand({ StackName: 'groundwork-s9-network' }));
    const firstTry = await pollUntilSettled(client, 'groundwork-s9-network');
    const failed = await describe1(client, 'groundwork-s9-network');
    await client.send(new DeleteStackCommand({ StackName: 'groundwork-s9-network' }));
    const secondTry = await pollUntilSettled(client, 'groundwork-s9-network');

    // Assess
    expect(firstTry).toEqual(['DELETE_FAILED']);
    expect(failed.StackStatusReason).toBe('Network vpc-0abc has dependencies and cannot be deleted.');
    expect(secondTry).toEqual(['DELETE_COMPLETE']);
    expect(double.liveStackNames()).toEqual([]);
  });

  it('throttles exactly the given number of matching calls, which then succeed', async () => {
    // Prepare
    const { double, client } = setUp();
    double.throttle({ command: 'CreateStack', stackName: 'groundwork-s10' }, 3);
    const attempt = () => client.send(new CreateStackCommand(networkInput('groundwork-s10-network', { ClientRequestToken: 'exec-10' })));

    // Act
    const outcomes: string[] = [];
    for (let i = 0; i < 5; i += 1) {
      outcomes.push(await attempt().then(() => 'ok', (error: CloudFormationServiceException) => `${error.name}/${error.$metadata.httpStatusCode}`));
    }
    const otherStack = await client.send(new CreateStackCommand({ StackName: 'groundwork-s11-topic', TemplateBody: JSON.stringify(topicTemplate) }));

    // Assess
    expect(outcomes).toEqual(['Throttling/400', 'Throttling/400', 'Throttling/400', 'ok', 'ok']);
    expect(otherStack.StackId).toBeDefined();
    expect(double.allStacks().map((s) => s.stackName)).toEqual(['groundwork-s10-network', 'groundwork-s11-topic']);
  });

  it('denies matching calls with AccessDenied until the faults are cleared', async () => {
    // Prepare
    const { double, client } = setUp();
    double.denyAccess({ stackName: /-secrets$/ });

    // Act
    const denied = await rejectionOf(client.send(new CreateStackCommand({ StackName: 'groundwork-s12-secrets', TemplateBody: JSON.stringify(topicTemplate) })));
    const deniedDelete = await rejectionOf(client.send(new DeleteStackCommand({ StackName: 'groundwork-s12-secrets' })));
    const allowed = await client.send(new CreateStackCommand({ StackName: 'groundwork-s12-topic', TemplateBody: JSON.stringify(topicTemplate) }));
    double.clearFaults();
    const afterClearing = await client.send(new CreateStackCommand({ StackName: 'groundwork-s12-secrets', TemplateBody: JSON.stringify(topicTemplate) }));

    // Assess
    expect(denied).toMatchObject({ name: 'AccessDenied', $fault: 'client', $metadata: { httpStatusCode: 403 } });
    expect(denied.message).toContain('is not authorized to perform: cloudformation:CreateStack');
    expect(deniedDelete.name).toBe('AccessDenied');
    expect(allowed.StackId).toBeDefined();
    expect(afterClearing.StackId).toBeDefined();
  });

  it('keeps a hung stack CREATE_IN_PROGRESS however often it is described, yet lets it be deleted', async () => {
    // Prepare
    const { double, client } = setUp();
    double.hang('-cluster');
    await client.send(new CreateStackCommand({ StackName: 'groundwork-s13-cluster', TemplateBody: JSON.stringify(topicTemplate) }));

    // Act
    const seen = await pollUntilSettled(client, 'groundwork-s13-cluster', 25);
    await client.send(new DeleteStackCommand({ StackName: 'groundwork-s13-cluster' }));
    const afterDelete = await pollUntilSettled(client, 'groundwork-s13-cluster');

    // Assess
    expect(seen).toEqual(Array(25).fill('CREATE_IN_PROGRESS'));
    expect(afterDelete).toEqual(['DELETE_COMPLETE']);
    expect(double.liveStackNames()).toEqual([]);
  });

  it('carries out a call whose response is lost, so a retry with the same token finds the same stack', async () => {
    // Prepare
    const { double, client } = setUp();
    double.dropResponse({ command: 'CreateStack' }, 1);
    const input = networkInput('groundwork-s14-network', { ClientRequestToken: 'exec-14' });

    // Act
    const lost = await rejectionOf(client.send(new CreateStackCommand(input)));
    const retried = await client.send(new CreateStackCommand(input));

    // Assess
    expect(lost.name).toBe('TimeoutError');
    expect(double.allStacks()).toHaveLength(1);
    expect(retried.StackId).toBe(double.allStacks()[0]?.stackId);
  });

  it('lists the live stacks when DescribeStacks names none', async () => {
    // Prepare
    const { client } = setUp();
    await client.send(new CreateStackCommand(networkInput('groundwork-s15-network')));
    await client.send(new CreateStackCommand({ StackName: 'groundwork-s15-topic', TemplateBody: JSON.stringify(topicTemplate) }));
    await client.send(new DeleteStackCommand({ StackName: 'groundwork-s15-topic' }));
    await pollUntilSettled(client, 'groundwork-s15-topic');

    // Act
    const { Stacks = [] } = await client.send(new DescribeStacksCommand({}));

    // Assess
    expect(Stacks.map((s) => [s.StackName, s.StackStatus])).toEqual([['groundwork-s15-network', 'CREATE_COMPLETE']]);
  });

  it('refuses commands it does not model with UnsupportedOperation', async () => {
    // Prepare
    const { double, client } = setUp();

    // Act
    const error = await rejectionOf(client.send(new UpdateStackCommand({ StackName: 'groundwork-s16-network', UsePreviousTemplate: true })));

    // Assess
    expect(error.name).toBe('UnsupportedOperation');
    expect(double.calls).toEqual([{ command: 'UpdateStack', input: { StackName: 'groundwork-s16-network', UsePreviousTemplate: true }, stackName: 'groundwork-s16-network', outcome: 'UnsupportedOperation' }]);
  });

  it('records every call in order, with the stack it names and its outcome', async () => {
    // Prepare
    const { double, client } = setUp();
    double.throttle({ command: 'DescribeStacks' }, 1);

    // Act
    const { StackId = '' } = await client.send(new CreateStackCommand(networkInput('groundwork-s17-network')));
    await rejectionOf(client.send(new DescribeStacksCommand({ StackName: StackId })));
    await client.send(new DescribeStacksCommand({ StackName: StackId }));
    await client.send(new DescribeStackEventsCommand({ StackName: 'groundwork-s17-network' }));
    await client.send(new DeleteStackCommand({ StackName: 'groundwork-s17-network' }));

    // Assess
    expect(double.calls.map(({ command, stackName, outcome }) => ({ command, stackName, outcome }))).toEqual([
      { command: 'CreateStack', stackName: 'groundwork-s17-network', outcome: 'ok' },
      { command: 'DescribeStacks', stackName: 'groundwork-s17-network', outcome: 'Throttling' },
      { command: 'DescribeStacks', stackName: 'groundwork-s17-network', outcome: 'ok' },
      { command: 'DescribeStackEvents', stackName: 'groundwork-s17-network', outcome: 'ok' },
      { command: 'DeleteStack', stackName: 'groundwork-s17-network', outcome: 'ok' },
    ]);
    expect(double.calls[0]?.input).toMatchObject({ StackName: 'groundwork-s17-network', Parameters: [{ ParameterKey: 'VpcCidr', ParameterValue: '10.0.0.0/16' }] });
  });
});
