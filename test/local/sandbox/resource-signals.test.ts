import { CreateStackCommand, DeleteStackCommand, DescribeStackResourcesCommand, SignalResourceCommand, type CloudFormationClient } from '@aws-sdk/client-cloudformation';
import type { CfnResource, CfnTemplate } from '../../../src/cfn/template-types';
import { INSTANCE_SIGNAL_SECONDS } from '../../../src/cfn/resource-timing';
import { startSandboxEdge, type SandboxEdge } from './sandbox-http';
import { rejectionOf, stackEvents, waitForStack } from './stack-waits';
import { publicParameterValue } from '../../../local/sandbox/data/ssm-public-parameters';

/** An AMI that exists in us-east-1: Amazon Linux 2023, as the sandbox's public parameter names it. */
const AMAZON_AMI = publicParameterValue('us-east-1', '/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64') ?? '';

/**
 * CreationPolicy signals in the sandbox account: a resource waits for its signals, which come from
 * SignalResource or from the instances the sandbox plays (by their user data); it fails on a
 * FAILURE signal or at its Timeout, in CloudFormation's words, and the stack rolls back. Also what
 * DeleteStack answers while a rollback runs.
 */

const ACCOUNT = '121212121212';
const SPEED = 0.001;

let edge: SandboxEdge;
let cfn: CloudFormationClient;
beforeAll(async () => {
  edge = await startSandboxEdge({ speed: SPEED });
  cfn = edge.cloudFormation(ACCOUNT);
});
afterAll(async () => edge.close());
afterEach(() => edge.sandbox.faults.clear());

const base64 = (text: string) => ({ 'Fn::Base64': text });
const signalling = (logicalId: string) => base64(`#!/bin/bash\naws cloudformation signal-resource --stack-name x --logical-resource-id ${logicalId} --unique-id i-1 --status SUCCESS\n`);
const creationPolicy = { ResourceSignal: { Count: 1, Timeout: 'PT15M' } };

/** An auto-scaling group of one from a launch template, waiting for one signal. */
function groupTemplate(userData: CfnResource['Properties'] | object, profile?: string): CfnTemplate {
  return {
    Resources: {
      Vpc: { Type: 'AWS::EC2::VPC', Properties: { CidrBlock: '10.3.0.0/16' } },
      Subnet: { Type: 'AWS::EC2::Subnet', Properties: { VpcId: { Ref: 'Vpc' }, CidrBlock: '10.3.0.0/24' } },
      Launch: {
        Type: 'AWS::EC2::LaunchTemplate',
        Properties: { LaunchTemplateData: { ImageId: AMAZON_AMI, InstanceType: 't4g.nano', UserData: userData, ...(profile === undefined ? {} : { IamInstanceProfile: { Arn: profile } }) } },
      },
      Group: {
        Type: 'AWS::AutoScaling::AutoScalingGroup',
        CreationPolicy: creationPolicy,
        Properties: { MinSize: '1', MaxSize: '1', DesiredCapacity: '1', VPCZoneIdentifier: [{ Ref: 'Subnet' }], LaunchTemplate: { LaunchTemplateId: { Ref: 'Launch' }, Version: { 'Fn::GetAtt': ['Launch', 'LatestVersionNumber'] } } },
      },
    },
  } as CfnTemplate;
}

/** A lone instance waiting for one signal, with user data that does not signal. */
const instanceTemplate: CfnTemplate = {
  Resources: { Server: { Type: 'AWS::EC2::Instance', CreationPolicy: creationPolicy, Properties: { ImageId: AMAZON_AMI, InstanceType: 't4g.nano', UserData: base64('#!/bin/bash\necho hello\n') } } },
};

async function create(name: string, template: CfnTemplate): Promise<void> {
  await cfn.send(new CreateStackCommand({ StackName: name, TemplateBody: JSON.stringify(template), Capabilities: ['CAPABILITY_IAM'] }));
}

async function live(name: string): Promise<string[]> {
  const stack = await waitForStack(cfn, name);
  const { StackResources = [] } = await cfn.send(new DescribeStackResourcesCommand({ StackName: stack.StackId ?? name }));
  return StackResources.filter((resource) => !['DELETE_COMPLETE', 'CREATE_FAILED'].includes(resource.ResourceStatus ?? '')).map((resource) => resource.LogicalResourceId ?? '');
}

async function eventsOf(name: string, logicalId: string) {
  return (await stackEvents(cfn, name)).filter((event) => event.LogicalResourceId === logicalId).map((event) => [event.ResourceStatus, event.ResourceStatusReason]);
}

describe('CreationPolicy signals in the sandbox account', () => {
  it('completes a group once the instance it launches signals SUCCESS, as its user data says, not before', async () => {
    // Act
    const started = Date.now();
    await create('signals-ok', groupTemplate(signalling('Group')));
    const stack = await waitForStack(cfn, 'signals-ok');

    // Assess
    expect(stack.StackStatus).toBe('CREATE_COMPLETE');
    const group = await eventsOf('signals-ok', 'Group');
    expect(group.map(([status]) => status)).toEqual(['CREATE_IN_PROGRESS', 'CREATE_IN_PROGRESS', 'CREATE_IN_PROGRESS', 'CREATE_COMPLETE']);
    expect(group[2]?.[1]).toMatch(/^Received SUCCESS signal with UniqueId i-0[0-9a-f]{16}$/);
    // It waited for the instance (launch, boot, user data), at the sandbox's speed.
    expect(Date.now() - started).toBeGreaterThanOrEqual(INSTANCE_SIGNAL_SECONDS * 1000 * SPEED);
  });

  it('fails a group whose instance never signals at its Timeout, in CloudFormation\'s words, and rolls back with nothing left', async () => {
    // Prepare
    edge.sandbox.faults.failSignals('signals-never', { signal: 'never' });

    // Act
    await create('signals-never', groupTemplate(signalling('Group')));
    const stack = await waitForStack(cfn, 'signals-never');

    // Assess
    expect(stack.StackStatus).toBe('ROLLBACK_COMPLETE');
    expect(await eventsOf('signals-never', 'Group')).toContainEqual(['CREATE_FAILED', 'Received 0 SUCCESS signal(s) out of 1.  Unable to satisfy 100% MinSuccessfulInstancesPercent requirement']);
    expect(await live('signals-never')).toEqual([]);
  });

  it('fails a group at once when its instance signals FAILURE', async () => {
    edge.sandbox.faults.failSignals('signals-failure', { signal: 'FAILURE', logicalId: 'Group' });
    await create('signals-failure', groupTemplate(signalling('Group')));
    const stack = await waitForStack(cfn, 'signals-failure');
    expect(stack.StackStatus).toBe('ROLLBACK_COMPLETE');
    const group = await eventsOf('signals-failure', 'Group');
    expect(group.find(([status]) => status === 'CREATE_FAILED')).toEqual(['CREATE_FAILED', 'Received 1 FAILURE signal(s) out of 1. Unable to satisfy 100% MinSuccessfulInstancesPercent requirement']);
    expect(group.some(([, reason]) => /^Received FAILURE signal with UniqueId i-0/.test(reason ?? ''))).toBe(true);
  });

  it('waits in vain for user data that does not signal: an instance fails at its Timeout', async () => {
    await create('signals-none', instanceTemplate);
    const stack = await waitForStack(cfn, 'signals-none');
    expect(stack.StackStatus).toBe('ROLLBACK_COMPLETE');
    expect(await eventsOf('signals-none', 'Server')).toContainEqual(['CREATE_FAILED', 'Failed to receive 1 resource signal(s) within the specified duration']);
  });

  it('takes signals from SignalResource: SUCCESS completes the resource, FAILURE fails it with the UniqueId', async () => {
    // Act
    await create('signals-api-ok', instanceTemplate);
    await create('signals-api-failure', instanceTemplate);
    await cfn.send(new SignalResourceCommand({ StackName: 'signals-api-ok', LogicalResourceId: 'Server', UniqueId: 'i-0aaaaaaaaaaaaaaaa', Status: 'SUCCESS' }));
    await cfn.send(new SignalResourceCommand({ StackName: 'signals-api-failure', LogicalResourceId: 'Server', UniqueId: 'i-0bbbbbbbbbbbbbbbb', Status: 'FAILURE' }));

    // Assess
    expect((await waitForStack(cfn, 'signals-api-ok')).StackStatus).toBe('CREATE_COMPLETE');
    expect((await waitForStack(cfn, 'signals-api-failure')).StackStatus).toBe('ROLLBACK_COMPLETE');
    expect(await eventsOf('signals-api-failure', 'Server')).toContainEqual(['CREATE_FAILED', 'Received FAILURE signal with UniqueId i-0bbbbbbbbbbbbbbbb']);
  });

  it('refuses SignalResource for a stack or resource that is not waiting, and a status that is neither', async () => {
    // Prepare: a completed stack.
    await create('signals-done', groupTemplate(signalling('Group')));
    await waitForStack(cfn, 'signals-done');
    const signal = (StackName: string, LogicalResourceId: string, Status = 'SUCCESS') =>
      rejectionOf(cfn.send(new SignalResourceCommand({ StackName, LogicalResourceId, UniqueId: 'i-1', Status: Status as 'SUCCESS' })));

    // Act
    const missing = await signal('signals-nothing', 'Group');
    const done = await signal('signals-done', 'Group');
    const wrongStatus = await signal('signals-done', 'Group', 'MAYBE');

    // Assess
    expect(missing).toMatchObject({ name: 'ValidationError', message: 'Stack with id signals-nothing does not exist' });
    expect(done.name).toBe('ValidationError');
    expect(done.message).toMatch(/is in CREATE_COMPLETE state and cannot be signaled$/);
    expect(wrongStatus.message).toBe("1 validation error detected: Value 'MAYBE' at 'status' failed to satisfy constraint: Member must satisfy enum value set: [SUCCESS, FAILURE]");
  });

  it('lets an instance signal only if its role may: the AWS CLI signs with the instance profile\'s role', async () => {
    // Prepare: a role (and profile) this account made, with no cloudformation:SignalResource.
    const roles: CfnTemplate = {
      Resources: {
        Role: {
          Type: 'AWS::IAM::Role',
          Properties: {
            RoleName: 'no-signal',
            AssumeRolePolicyDocument: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }] },
            Policies: [{ PolicyName: 'attach', PolicyDocument: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'ec2:AttachNetworkInterface', Resource: '*' }] } }],
          },
        },
        Profile: { Type: 'AWS::IAM::InstanceProfile', Properties: { InstanceProfileName: 'no-signal', Roles: [{ Ref: 'Role' }] } },
      },
    };
    await cfn.send(new CreateStackCommand({ StackName: 'signals-roles', TemplateBody: JSON.stringify(roles), Capabilities: ['CAPABILITY_NAMED_IAM'] }));
    expect((await waitForStack(cfn, 'signals-roles')).StackStatus).toBe('CREATE_COMPLETE');

    // Act
    await create('signals-denied', groupTemplate(signalling('Group'), `arn:aws:iam::${ACCOUNT}:instance-profile/no-signal`));
    const stack = await waitForStack(cfn, 'signals-denied');

    // Assess: the instance's call was refused, so nothing signalled and the group timed out.
    expect(stack.StackStatus).toBe('ROLLBACK_COMPLETE');
    expect(await eventsOf('signals-denied', 'Group')).toContainEqual(['CREATE_FAILED', 'Received 0 SUCCESS signal(s) out of 1.  Unable to satisfy 100% MinSuccessfulInstancesPercent requirement']);
  });

  it('refuses DeleteStack while a rollback runs, as CloudFormation refuses it during other operations, and deletes once it ended', async () => {
    // Prepare: a stack rolling back (its instance signals FAILURE; the rollback then deletes the VPC).
    edge.sandbox.faults.failSignals('signals-rolling', { signal: 'FAILURE' });
    await create('signals-rolling', groupTemplate(signalling('Group')));
    let status: string | undefined;
    for (let i = 0; i < 2000 && status !== 'ROLLBACK_IN_PROGRESS'; i += 1) {
      status = edge.sandbox.liveStacks(ACCOUNT).find((stack) => stack.stackName === 'signals-rolling')?.status;
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    expect(status).toBe('ROLLBACK_IN_PROGRESS');

    // Act
    const refused = await rejectionOf(cfn.send(new DeleteStackCommand({ StackName: 'signals-rolling' })));
    const rolledBack = await waitForStack(cfn, 'signals-rolling');
    await cfn.send(new DeleteStackCommand({ StackName: 'signals-rolling' }));
    const deleted = await waitForStack(cfn, rolledBack.StackId ?? 'signals-rolling');

    // Assess
    expect(refused).toMatchObject({ name: 'ValidationError', message: 'Stack [signals-rolling] cannot be deleted while in status ROLLBACK_IN_PROGRESS' });
    expect(rolledBack.StackStatus).toBe('ROLLBACK_COMPLETE');
    expect(deleted.StackStatus).toBe('DELETE_COMPLETE');
  });
});
