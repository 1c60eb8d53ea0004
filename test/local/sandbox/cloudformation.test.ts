import {
  CreateStackCommand,
  DeleteStackCommand,
  DescribeStackResourcesCommand,
  DescribeStacksCommand,
  GetTemplateCommand,
  ListStacksCommand,
  ValidateTemplateCommand,
} from '@aws-sdk/client-cloudformation';
import type { CfnTemplate } from '../../../src/cfn/template-types';
import { startSandboxEdge, type SandboxEdge } from './sandbox-http';
import { outputsOf, rejectionOf, stackEvents, waitForStack } from './stack-waits';

/**
 * The sandbox account's CloudFormation, driven by the plain SDK client over HTTP as a customer's
 * tooling would: the stack life cycle, template checks, dependency order, the errors CloudFormation
 * answers, and injected faults.
 */

const ACCOUNT = '111111111111';

/** A VPC, two subnets, a route table associated with one of them, and an unrelated topic. */
const networkTemplate: CfnTemplate = {
  AWSTemplateFormatVersion: '2010-09-09',
  Description: 'sandbox test network',
  Parameters: { VpcCidr: { Type: 'String', Default: '10.0.0.0/16' } },
  Resources: {
    Vpc: { Type: 'AWS::EC2::VPC', Properties: { CidrBlock: { Ref: 'VpcCidr' } } },
    SubnetA: { Type: 'AWS::EC2::Subnet', Properties: { VpcId: { Ref: 'Vpc' }, CidrBlock: { 'Fn::Select': [0, { 'Fn::Cidr': [{ Ref: 'VpcCidr' }, 2, 8] }] } } },
    SubnetB: { Type: 'AWS::EC2::Subnet', Properties: { VpcId: { Ref: 'Vpc' }, CidrBlock: { 'Fn::Select': [1, { 'Fn::Cidr': [{ Ref: 'VpcCidr' }, 2, 8] }] } } },
    RouteTable: { Type: 'AWS::EC2::RouteTable', Properties: { VpcId: { Ref: 'Vpc' } } },
    Association: { Type: 'AWS::EC2::SubnetRouteTableAssociation', DependsOn: 'SubnetB', Properties: { SubnetId: { Ref: 'SubnetA' }, RouteTableId: { Ref: 'RouteTable' } } },
    Alerts: { Type: 'AWS::SNS::Topic', Properties: { DisplayName: { 'Fn::Sub': '${AWS::StackName} alerts' } } },
  },
  Outputs: {
    VpcId: { Value: { Ref: 'Vpc' }, Description: 'the VPC' },
    VpcCidr: { Value: { 'Fn::GetAtt': ['Vpc', 'CidrBlock'] } },
    SubnetIds: { Value: { 'Fn::Join': [',', [{ Ref: 'SubnetA' }, { Ref: 'SubnetB' }]] } },
    SecondSubnetCidr: { Value: { 'Fn::GetAtt': ['SubnetB', 'CidrBlock'] } },
    TopicArn: { Value: { Ref: 'Alerts' } },
    Where: { Value: { 'Fn::Sub': '${AWS::Region}/${AWS::AccountId}' } },
  },
};
const networkBody = JSON.stringify(networkTemplate);

let edge: SandboxEdge;

beforeAll(async () => {
  edge = await startSandboxEdge();
});

afterAll(async () => {
  await edge.close();
});

afterEach(() => {
  edge.sandbox.faults.clear();
});

describe('the sandbox CloudFormation endpoint', () => {
  it('creates a stack, shows it in progress, completes it with outputs, and deletes it', async () => {
    // Prepare
    const cfn = edge.cloudFormation(ACCOUNT);

    // Act
    const { StackId } = await cfn.send(new CreateStackCommand({ StackName: 'life-cycle', TemplateBody: networkBody, Tags: [{ Key: 'team', Value: 'core' }] }));
    const { Stacks: justCreated } = await cfn.send(new DescribeStacksCommand({ StackName: 'life-cycle' }));
    const created = await waitForStack(cfn, 'life-cycle');
    const { StackResources } = await cfn.send(new DescribeStackResourcesCommand({ StackName: 'life-cycle' }));
    const { TemplateBody } = await cfn.send(new GetTemplateCommand({ StackName: 'life-cycle' }));
    await cfn.send(new DeleteStackCommand({ StackName: 'life-cycle' }));
    const deleted = await waitForStack(cfn, StackId ?? '');
    const byName = await rejectionOf(cfn.send(new DescribeStacksCommand({ StackName: 'life-cycle' })));
    const { StackSummaries } = await cfn.send(new ListStacksCommand({ StackStatusFilter: ['DELETE_COMPLETE'] }));

    // Assess
    expect(StackId).toMatch(new RegExp(`^arn:aws:cloudformation:us-east-1:${ACCOUNT}:stack/life-cycle/[0-9a-f-]{36}$`));
    expect(justCreated?.[0]?.StackStatus).toBe('CREATE_IN_PROGRESS');
    expect(created).toMatchObject({ StackStatus: 'CREATE_COMPLETE', Description: 'sandbox test network', Tags: [{ Key: 'team', Value: 'core' }] });
    expect(created.CreationTime).toBeInstanceOf(Date);
    expect(outputsOf(created)).toEqual({
      VpcId: expect.stringMatching(/^vpc-0[0-9a-f]{16}$/),
      VpcCidr: '10.0.0.0/16',
      SubnetIds: expect.stringMatching(/^subnet-0[0-9a-f]{16},subnet-0[0-9a-f]{16}$/),
      SecondSubnetCidr: '10.0.1.0/24',
      TopicArn: expect.stringMatching(new RegExp(`^arn:aws:sns:us-east-1:${ACCOUNT}:life-cycle-Alerts-[A-Z0-9]+$`)),
      Where: `us-east-1/${ACCOUNT}`,
    });
    expect(created.Outputs?.find((output) => output.OutputKey === 'VpcId')?.Description).toBe('the VPC');
    expect(StackResources?.map((resource) => [resource.LogicalResourceId, resource.ResourceStatus])).toEqual(
      ['Vpc', 'SubnetA', 'SubnetB', 'RouteTable', 'Association', 'Alerts'].map((id) => [id, 'CREATE_COMPLETE']),
    );
    expect(StackResources?.find((resource) => resource.LogicalResourceId === 'Vpc')?.PhysicalResourceId).toBe(outputsOf(created)['VpcId']);
    expect(TemplateBody).toBe(networkBody);
    expect(deleted).toMatchObject({ StackStatus: 'DELETE_COMPLETE', StackId });
    expect(deleted.DeletionTime).toBeInstanceOf(Date);
    expect(byName).toMatchObject({ name: 'ValidationError', message: 'Stack with id life-cycle does not exist', $metadata: { httpStatusCode: 400 } });
    expect(StackSummaries?.map((summary) => summary.StackId)).toContain(StackId);
    expect(edge.sandbox.liveStacks(ACCOUNT).map((stack) => stack.stackName)).not.toContain('life-cycle');
  });

  it('refuses a template with an unknown property or resource type, and creates nothing', async () => {
    // Prepare
    const cfn = edge.cloudFormation(ACCOUNT);
    const misspelt = { Resources: { Vpc: { Type: 'AWS::EC2::VPC', Properties: { CidrBlok: '10.0.0.0/16' } } } };
    const madeUp = { Resources: { Thing: { Type: 'AWS::EC2::Teleporter', Properties: {} } } };

    // Act
    const property = await rejectionOf(cfn.send(new CreateStackCommand({ StackName: 'misspelt', TemplateBody: JSON.stringify(misspelt) })));
    const type = await rejectionOf(cfn.send(new CreateStackCommand({ StackName: 'made-up', TemplateBody: JSON.stringify(madeUp) })));
    const validated = await rejectionOf(cfn.send(new ValidateTemplateCommand({ TemplateBody: JSON.stringify(misspelt) })));
    const valid = await cfn.send(new ValidateTemplateCommand({ TemplateBody: networkBody }));

    // Assess
    expect(property).toMatchObject({ name: 'ValidationError', $metadata: { httpStatusCode: 400 } });
    expect(property.message).toMatch(/^Template format error: .*unknown property "CidrBlok"/);
    expect(type.message).toMatch(/unknown resource type "AWS::EC2::Teleporter"/);
    expect(validated.name).toBe('ValidationError');
    expect(valid).toMatchObject({ Description: 'sandbox test network', Parameters: [{ ParameterKey: 'VpcCidr', DefaultValue: '10.0.0.0/16', NoEcho: false }] });
    expect(edge.sandbox.liveStacks(ACCOUNT).map((stack) => stack.stackName)).not.toEqual(expect.arrayContaining(['misspelt', 'made-up']));
  });

  it('creates each resource after those it depends on, and independent ones side by side', async () => {
    // Prepare
    const cfn = edge.cloudFormation(ACCOUNT);

    // Act
    await cfn.send(new CreateStackCommand({ StackName: 'ordering', TemplateBody: networkBody }));
    await waitForStack(cfn, 'ordering');
    const events = (await stackEvents(cfn, 'ordering')).map((event) => `${event.LogicalResourceId} ${event.ResourceStatus}`);

    // Assess
    const at = (entry: string) => {
      const index = events.indexOf(entry);
      if (index < 0) throw new Error(`no event "${entry}" in ${events.join(' | ')}`);
      return index;
    };
    const dependsOn: Array<[string, string[]]> = [
      ['SubnetA', ['Vpc']],
      ['SubnetB', ['Vpc']],
      ['RouteTable', ['Vpc']],
      ['Association', ['SubnetA', 'SubnetB', 'RouteTable']],
    ];
    for (const [resource, dependencies] of dependsOn) {
      for (const dependency of dependencies) expect(at(`${resource} CREATE_IN_PROGRESS`)).toBeGreaterThan(at(`${dependency} CREATE_COMPLETE`));
    }
    // Side by side: both subnets start before either ends; the topic starts with the VPC.
    expect(at('SubnetB CREATE_IN_PROGRESS')).toBeLessThan(at('SubnetA CREATE_COMPLETE'));
    expect(at('Alerts CREATE_IN_PROGRESS')).toBeLessThan(at('Vpc CREATE_COMPLETE'));
    expect(events[0]).toBe('ordering CREATE_IN_PROGRESS');
    expect(events.at(-1)).toBe('ordering CREATE_COMPLETE');
  });

  it('answers as CloudFormation does: capabilities, names in use, retried tokens, missing stacks', async () => {
    // Prepare
    const cfn = edge.cloudFormation(ACCOUNT);
    const roleTemplate = JSON.stringify({
      Resources: {
        Role: {
          Type: 'AWS::IAM::Role',
          Properties: { AssumeRolePolicyDocument: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }] } },
        },
      },
    });
    const namedRole = roleTemplate.replace('"Properties":{', '"Properties":{"RoleName":"named",');

    // Act
    const noCapability = await rejectionOf(cfn.send(new CreateStackCommand({ StackName: 'roles', TemplateBody: roleTemplate })));
    const onlyIam = await rejectionOf(cfn.send(new CreateStackCommand({ StackName: 'roles', TemplateBody: namedRole, Capabilities: ['CAPABILITY_IAM'] })));
    const first = await cfn.send(new CreateStackCommand({ StackName: 'roles', TemplateBody: roleTemplate, Capabilities: ['CAPABILITY_IAM'], ClientRequestToken: 'token-1' }));
    const retried = await cfn.send(new CreateStackCommand({ StackName: 'roles', TemplateBody: roleTemplate, Capabilities: ['CAPABILITY_IAM'], ClientRequestToken: 'token-1' }));
    const taken = await rejectionOf(cfn.send(new CreateStackCommand({ StackName: 'roles', TemplateBody: roleTemplate, Capabilities: ['CAPABILITY_IAM'] })));
    const missing = await rejectionOf(cfn.send(new DescribeStacksCommand({ StackName: 'never-was' })));
    const deleteMissing = await cfn.send(new DeleteStackCommand({ StackName: 'never-was' }));
    const badName = await rejectionOf(cfn.send(new CreateStackCommand({ StackName: '1-bad_name', TemplateBody: networkBody })));
    const stranger = await rejectionOf(edge.cloudFormation('not-an-account').send(new DescribeStacksCommand({})));
    const completed = await waitForStack(cfn, 'roles');

    // Assess
    expect(noCapability).toMatchObject({ name: 'InsufficientCapabilitiesException', message: 'Requires capabilities : [CAPABILITY_IAM]' });
    expect(onlyIam.message).toBe('Requires capabilities : [CAPABILITY_NAMED_IAM]');
    expect(retried.StackId).toBe(first.StackId);
    expect(taken).toMatchObject({ name: 'AlreadyExistsException', message: 'Stack [roles] already exists' });
    expect(missing).toMatchObject({ name: 'ValidationError', message: 'Stack with id never-was does not exist' });
    expect(deleteMissing.$metadata.httpStatusCode).toBe(200);
    expect(badName.message).toMatch(/at 'stackName' failed to satisfy constraint/);
    expect(stranger).toMatchObject({ name: 'InvalidClientTokenId', $metadata: { httpStatusCode: 403 } });
    expect(completed).toMatchObject({ StackStatus: 'CREATE_COMPLETE', Capabilities: ['CAPABILITY_IAM'] });
  });

  it('rolls back a stack when an injected fault fails a resource type, and only in matching stacks', async () => {
    // Prepare
    const cfn = edge.cloudFormation(ACCOUNT);
    edge.sandbox.faults.failCreate('AWS::EC2::RouteTable', { stackName: 'faulty-*', reason: 'The maximum number of route tables has been reached.' });

    // Act
    await cfn.send(new CreateStackCommand({ StackName: 'faulty-network', TemplateBody: networkBody }));
    await cfn.send(new CreateStackCommand({ StackName: 'healthy-network', TemplateBody: networkBody }));
    const faulty = await waitForStack(cfn, 'faulty-network');
    const healthy = await waitForStack(cfn, 'healthy-network');
    const events = await stackEvents(cfn, 'faulty-network');
    const { StackResources } = await cfn.send(new DescribeStackResourcesCommand({ StackName: 'faulty-network' }));

    // Assess
    expect(faulty.StackStatus).toBe('ROLLBACK_COMPLETE');
    expect(healthy.StackStatus).toBe('CREATE_COMPLETE');
    const failed = events.filter((event) => event.ResourceStatus === 'CREATE_FAILED');
    expect(failed.find((event) => event.LogicalResourceId === 'RouteTable')?.ResourceStatusReason).toBe('The maximum number of route tables has been reached.');
    const stackStatuses = events.filter((event) => event.ResourceType === 'AWS::CloudFormation::Stack').map((event) => event.ResourceStatus);
    expect(stackStatuses).toEqual(['CREATE_IN_PROGRESS', 'ROLLBACK_IN_PROGRESS', 'ROLLBACK_COMPLETE']);
    expect(events.find((event) => event.ResourceStatus === 'ROLLBACK_IN_PROGRESS')?.ResourceStatusReason).toMatch(/^The following resource\(s\) failed to create: \[.*RouteTable.*\]\. Rollback requested by user\.$/);
    // Everything that was created is deleted again; the VPC last, after what stood on it.
    const created = events.filter((event) => event.ResourceStatus === 'CREATE_COMPLETE').map((event) => event.LogicalResourceId);
    expect(created).toContain('Vpc');
    expect(StackResources?.filter((resource) => created.includes(resource.LogicalResourceId)).every((resource) => resource.ResourceStatus === 'DELETE_COMPLETE')).toBe(true);
    const order = events.map((event) => `${event.LogicalResourceId} ${event.ResourceStatus}`);
    expect(order.indexOf('Vpc DELETE_IN_PROGRESS')).toBeGreaterThan(Math.max(...['SubnetA', 'SubnetB'].map((id) => order.indexOf(`${id} DELETE_COMPLETE`))));
  });

  it('fails deletes of matching stacks until the fault is spent, then deletes on retry', async () => {
    // Prepare
    const cfn = edge.cloudFormation(ACCOUNT);
    await cfn.send(new CreateStackCommand({ StackName: 'sticky', TemplateBody: networkBody }));
    await waitForStack(cfn, 'sticky');
    const response = await edge.sandbox.handleRoute({ method: 'PUT', path: '/_sandbox/faults', body: JSON.stringify({ deleteFailures: [{ stackName: 'sticky', times: 1 }] }) });

    // Act
    await cfn.send(new DeleteStackCommand({ StackName: 'sticky' }));
    const firstTry = await waitForStack(cfn, 'sticky');
    await cfn.send(new DeleteStackCommand({ StackName: 'sticky' }));
    const { Stacks } = await cfn.send(new DescribeStacksCommand({ StackName: firstTry.StackId }));
    const secondTry = await waitForStack(cfn, firstTry.StackId ?? '');

    // Assess
    expect(response?.status).toBe(200);
    expect(JSON.parse(response?.body ?? '{}')).toMatchObject({ deleteFailures: [{ stackName: 'sticky', times: 1 }], throttle: 0 });
    expect(firstTry.StackStatus).toBe('DELETE_FAILED');
    expect(firstTry.StackStatusReason).toMatch(/^The following resource\(s\) failed to delete: \[\w+\]\. $/);
    expect(Stacks?.[0]?.StackStatus).toBe('DELETE_IN_PROGRESS');
    expect(secondTry.StackStatus).toBe('DELETE_COMPLETE');
  });

  it('deletes a stack asked to go while it is still creating, and one left failed by OnFailure DO_NOTHING', async () => {
    // Prepare: a NAT gateway takes ~100 s; the topic waits for it. Its subnet is another stack's.
    const cfn = edge.cloudFormation(ACCOUNT);
    await cfn.send(new CreateStackCommand({ StackName: 'nat-subnet', TemplateBody: networkBody }));
    const { StackResources: subnets } = await cfn.send(new DescribeStackResourcesCommand({ StackName: (await waitForStack(cfn, 'nat-subnet')).StackId ?? '', LogicalResourceId: 'SubnetA' }));
    const slow = JSON.stringify({
      Resources: {
        Nat: { Type: 'AWS::EC2::NatGateway', Properties: { SubnetId: subnets?.[0]?.PhysicalResourceId ?? '' } },
        Topic: { Type: 'AWS::SNS::Topic', DependsOn: 'Nat' },
      },
    });
    edge.sandbox.faults.failCreate('AWS::EC2::RouteTable', { stackName: 'kept-failed' });
    await cfn.send(new CreateStackCommand({ StackName: 'kept-failed', TemplateBody: networkBody, OnFailure: 'DO_NOTHING' }));
    const failed = await waitForStack(cfn, 'kept-failed');
    const creating = await cfn.send(new CreateStackCommand({ StackName: 'short-notice', TemplateBody: slow }));
    await new Promise((resolve) => setTimeout(resolve, 20));
    const { Stacks: whileCreating } = await cfn.send(new DescribeStacksCommand({ StackName: 'short-notice' }));

    // Act
    await cfn.send(new DeleteStackCommand({ StackName: 'short-notice' }));
    await cfn.send(new DeleteStackCommand({ StackName: 'kept-failed' }));
    const shortNotice = await waitForStack(cfn, creating.StackId ?? '');
    const cleanedUp = await waitForStack(cfn, failed.StackId ?? '');
    const events = (await stackEvents(cfn, creating.StackId ?? '')).map((event) => `${event.LogicalResourceId} ${event.ResourceStatus}`);

    // Assess
    expect(failed).toMatchObject({ StackStatus: 'CREATE_FAILED', DisableRollback: true, StackStatusReason: expect.stringMatching(/failed to create: \[RouteTable\]/) });
    expect(whileCreating?.[0]?.StackStatus).toBe('CREATE_IN_PROGRESS');
    expect(shortNotice.StackStatus).toBe('DELETE_COMPLETE');
    expect(cleanedUp.StackStatus).toBe('DELETE_COMPLETE');
    // The NAT gateway under way was finished, then deleted; the topic never started.
    expect(events.filter((event) => event.startsWith('Nat '))).toEqual(['Nat CREATE_IN_PROGRESS', 'Nat CREATE_IN_PROGRESS', 'Nat CREATE_COMPLETE', 'Nat DELETE_IN_PROGRESS', 'Nat DELETE_COMPLETE']);
    expect(events.filter((event) => event.startsWith('Topic '))).toEqual([]);
    expect(edge.sandbox.liveStacks(ACCOUNT).map((stack) => stack.stackName)).not.toEqual(expect.arrayContaining(['short-notice', 'kept-failed']));
  });

  it('throttles the injected share of calls with Throttling (400)', async () => {
    // Prepare
    const cfn = edge.cloudFormation(ACCOUNT);

    // Act
    edge.sandbox.faults.throttle(1);
    const throttled = await rejectionOf(cfn.send(new ListStacksCommand({})));
    edge.sandbox.faults.throttle(0.5);
    const outcomes: string[] = [];
    for (let call = 0; call < 4; call += 1) {
      outcomes.push(await cfn.send(new ListStacksCommand({})).then(() => 'ok', (error: Error) => error.name));
    }
    const faults = await edge.sandbox.handleRoute({ method: 'GET', path: '/_sandbox/faults', body: '' });

    // Assess
    expect(throttled).toMatchObject({ name: 'Throttling', message: 'Rate exceeded', $metadata: { httpStatusCode: 400 } });
    expect(outcomes.filter((outcome) => outcome === 'Throttling')).toHaveLength(2);
    expect(outcomes.filter((outcome) => outcome === 'ok')).toHaveLength(2);
    expect(JSON.parse(faults?.body ?? '{}')).toMatchObject({ throttle: 0.5 });
  });
});
