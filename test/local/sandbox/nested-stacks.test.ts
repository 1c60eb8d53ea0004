import { CreateStackCommand, DeleteStackCommand, DescribeStackResourcesCommand, DescribeStacksCommand, ListStacksCommand, SignalResourceCommand, type CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CfnTemplate } from '../../../src/cfn/template-types';
import { startSandboxEdge, type SandboxEdge } from './sandbox-http';
import { outputsOf, stackEvents, waitForStack } from './stack-waits';
import { publicParameterValue } from '../../../local/sandbox/data/ssm-public-parameters';

/** An AMI the sandbox knows: what AWS's public parameter for Amazon Linux 2023 (arm64) names in us-east-1. */
const AMAZON_AMI = publicParameterValue('us-east-1', '/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64') ?? '';

/**
 * Nested stacks (AWS::CloudFormation::Stack) in the sandbox account, driven by the SDK client as a
 * customer's tooling would: the child is created from its TemplateURL with the resource's
 * Parameters, GetAtt Outputs.X reads its outputs, its failure fails the parent, and deleting the
 * parent deletes it.
 */

const ACCOUNT = '222222222222';

const queueChild: CfnTemplate = {
  Parameters: { Prefix: { Type: 'String' }, Retention: { Type: 'Number', Default: 345600 } },
  Resources: { Queue: { Type: 'AWS::SQS::Queue', Properties: { QueueName: { 'Fn::Sub': '${Prefix}-jobs' }, MessageRetentionPeriod: { Ref: 'Retention' } } } },
  Outputs: { QueueArn: { Value: { 'Fn::GetAtt': ['Queue', 'Arn'] } }, QueueUrl: { Value: { Ref: 'Queue' } } },
};

/** A child that nests a grandchild, passing its own parameter on. */
function middleChild(grandchildUrl: string): CfnTemplate {
  return {
    Parameters: { Prefix: { Type: 'String' } },
    Resources: { Jobs: { Type: 'AWS::CloudFormation::Stack', Properties: { TemplateURL: grandchildUrl, Parameters: { Prefix: { Ref: 'Prefix' }, Retention: 60 } } } },
    Outputs: { QueueArn: { Value: { 'Fn::GetAtt': ['Jobs', 'Outputs.QueueArn'] } } },
  };
}

function parent(templateUrl: string, parameters: Record<string, unknown> = { Prefix: 'orders' }, extra: Partial<CfnTemplate> = {}): string {
  return JSON.stringify({
    Resources: {
      Child: { Type: 'AWS::CloudFormation::Stack', Properties: { TemplateURL: templateUrl, Parameters: parameters } },
      Topic: { Type: 'AWS::SNS::Topic', Properties: { DisplayName: { 'Fn::GetAtt': ['Child', 'Outputs.QueueArn'] } } },
    },
    Outputs: { ChildStackId: { Value: { Ref: 'Child' } }, ChildQueueArn: { Value: { 'Fn::GetAtt': ['Child', 'Outputs.QueueArn'] } } },
    ...extra,
  });
}

/** A child whose instance waits for a signal nobody sends (up to 12 h): it stays CREATE_IN_PROGRESS. */
const waitingChild: CfnTemplate = {
  Resources: {
    Server: { Type: 'AWS::EC2::Instance', CreationPolicy: { ResourceSignal: { Count: 1, Timeout: 'PT12H' } }, Properties: { ImageId: AMAZON_AMI, InstanceType: 't4g.nano' } },
  },
  Outputs: { ServerId: { Value: { Ref: 'Server' } } },
};

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

async function childOf(stackName: string, logicalId = 'Child', cfn: CloudFormationClient = edge.cloudFormation(ACCOUNT)) {
  const { StackResources } = await cfn.send(new DescribeStackResourcesCommand({ StackName: stackName, LogicalResourceId: logicalId }));
  return StackResources?.[0];
}

describe('nested stacks in the sandbox account', () => {
  test('the child is created from its TemplateURL with the Parameters, and GetAtt Outputs.X is its output', async () => {
    const cfn = edge.cloudFormation(ACCOUNT);
    await cfn.send(new CreateStackCommand({ StackName: 'shop', TemplateBody: parent(edge.templateUrl(JSON.stringify(queueChild))) }));
    const stack = await waitForStack(cfn, 'shop');
    expect(stack.StackStatus).toBe('CREATE_COMPLETE');

    const resource = await childOf('shop');
    expect(resource?.ResourceStatus).toBe('CREATE_COMPLETE');
    const childId = resource?.PhysicalResourceId ?? '';
    // Named as CloudFormation names nested stacks: <parent>-<LogicalId>-<random>; its Ref is the stack id.
    expect(childId).toMatch(/^arn:aws:cloudformation:us-east-1:222222222222:stack\/shop-Child-[A-Z0-9]{12,13}\/[0-9a-f-]{36}$/);
    const outputs = outputsOf(stack);
    expect(outputs['ChildStackId']).toBe(childId);
    expect(outputs['ChildQueueArn']).toBe('arn:aws:sqs:us-east-1:222222222222:orders-jobs');

    const { Stacks } = await cfn.send(new DescribeStacksCommand({ StackName: childId }));
    const child = Stacks?.[0];
    expect(child?.StackName).toBe(childId.split('/')[1]);
    expect(child?.StackStatus).toBe('CREATE_COMPLETE');
    expect(child?.ParentId).toBe(stack.StackId);
    expect(child?.RootId).toBe(stack.StackId);
    expect(child?.Parameters).toEqual(expect.arrayContaining([{ ParameterKey: 'Prefix', ParameterValue: 'orders' }]));
    expect(stack.ParentId).toBeUndefined();
    const { StackSummaries } = await cfn.send(new ListStacksCommand({ StackStatusFilter: ['CREATE_COMPLETE'] }));
    expect(StackSummaries?.find((summary) => summary.StackId === childId)?.ParentId).toBe(stack.StackId);

    await cfn.send(new DeleteStackCommand({ StackName: 'shop' }));
    expect((await waitForStack(cfn, stack.StackId ?? '')).StackStatus).toBe('DELETE_COMPLETE');
    expect((await waitForStack(cfn, childId)).StackStatus).toBe('DELETE_COMPLETE');
    const events = await stackEvents(cfn, stack.StackId ?? '');
    expect(events.filter((event) => event.LogicalResourceId === 'Child').map((event) => event.ResourceStatus)).toEqual([
      'CREATE_IN_PROGRESS', 'CREATE_IN_PROGRESS', 'CREATE_COMPLETE', 'DELETE_IN_PROGRESS', 'DELETE_COMPLETE',
    ]);
  });

  test('a grandchild knows its root; the outputs pass up two levels', async () => {
    const cfn = edge.cloudFormation(ACCOUNT);
    const middleUrl = edge.templateUrl(JSON.stringify(middleChild(edge.templateUrl(JSON.stringify(queueChild)))));
    await cfn.send(new CreateStackCommand({ StackName: 'tree', TemplateBody: parent(middleUrl, { Prefix: 'deep' }) }));
    const root = await waitForStack(cfn, 'tree');
    expect(root.StackStatus).toBe('CREATE_COMPLETE');
    expect(outputsOf(root)['ChildQueueArn']).toBe('arn:aws:sqs:us-east-1:222222222222:deep-jobs');
    const middleId = (await childOf('tree'))?.PhysicalResourceId ?? '';
    const grandchildId = (await childOf(middleId, 'Jobs'))?.PhysicalResourceId ?? '';
    const { Stacks } = await cfn.send(new DescribeStacksCommand({ StackName: grandchildId }));
    expect(Stacks?.[0]?.ParentId).toBe(middleId);
    expect(Stacks?.[0]?.RootId).toBe(root.StackId);
    expect(Stacks?.[0]?.StackName).toMatch(/^tree-Child-[A-Z0-9]{12,13}-Jobs-[A-Z0-9]{12,13}$/);

    await cfn.send(new DeleteStackCommand({ StackName: 'tree' }));
    expect((await waitForStack(cfn, root.StackId ?? '')).StackStatus).toBe('DELETE_COMPLETE');
    expect((await waitForStack(cfn, grandchildId)).StackStatus).toBe('DELETE_COMPLETE');
  });

  test("the child's failure fails the resource in CloudFormation's words; the parent rolls back and deletes the child", async () => {
    const cfn = edge.cloudFormation(ACCOUNT);
    edge.sandbox.faults.failCreate('AWS::SQS::Queue', { stackName: 'failing-Child-*', reason: 'Queue limit reached' });
    await cfn.send(new CreateStackCommand({ StackName: 'failing', TemplateBody: parent(edge.templateUrl(JSON.stringify(queueChild))) }));
    const stack = await waitForStack(cfn, 'failing');
    expect(stack.StackStatus).toBe('ROLLBACK_COMPLETE');
    const events = await stackEvents(cfn, 'failing');
    const failed = events.find((event) => event.LogicalResourceId === 'Child' && event.ResourceStatus === 'CREATE_FAILED');
    const childId = (await childOf('failing'))?.PhysicalResourceId ?? '';
    expect(failed?.ResourceStatusReason).toBe(`Embedded stack ${childId} was not successfully created: The following resource(s) failed to create: [Queue].`);
    const child = await waitForStack(cfn, childId);
    expect(child.StackStatus).toBe('DELETE_COMPLETE');
    expect((await stackEvents(cfn, childId)).map((event) => `${event.LogicalResourceId} ${event.ResourceStatus}`)).toEqual(
      expect.arrayContaining([`Queue CREATE_FAILED`, `${child.StackName} ROLLBACK_COMPLETE`, `${child.StackName} DELETE_COMPLETE`]),
    );
  });

  test.each([
    ['a local URL that serves nothing', () => `${edge.url}/_test/templates/999`, 'S3 error: Access Denied For more information check http://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html (HTTP 404)'],
    ['an S3 URL (another host)', () => 'https://my-bucket.s3.amazonaws.com/child.yaml', 'S3 error: Access Denied For more information check http://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html (the sandbox account reads templates served on 127.0.0.1 only, not my-bucket.s3.amazonaws.com)'],
    ['an s3:// location', () => 's3://my-bucket/child.yaml', 'TemplateURL must be a supported URL.'],
  ])('a TemplateURL that cannot be read fails the resource: %s', async (_, url, reason) => {
    const cfn = edge.cloudFormation(ACCOUNT);
    const name = `unreadable-${Math.random().toString(36).slice(2, 8)}`;
    await cfn.send(new CreateStackCommand({ StackName: name, TemplateBody: parent(url()) }));
    expect((await waitForStack(cfn, name)).StackStatus).toBe('ROLLBACK_COMPLETE');
    const failed = (await stackEvents(cfn, name)).find((event) => event.LogicalResourceId === 'Child' && event.ResourceStatus === 'CREATE_FAILED');
    expect(failed?.ResourceStatusReason).toBe(reason);
  });

  test("the child's CreateStack refusal (a parameter it does not declare) fails the resource", async () => {
    const cfn = edge.cloudFormation(ACCOUNT);
    await cfn.send(new CreateStackCommand({ StackName: 'wrongparams', TemplateBody: parent(edge.templateUrl(JSON.stringify(queueChild)), { Prefix: 'x', Nope: 'y' }) }));
    expect((await waitForStack(cfn, 'wrongparams')).StackStatus).toBe('ROLLBACK_COMPLETE');
    const failed = (await stackEvents(cfn, 'wrongparams')).find((event) => event.LogicalResourceId === 'Child' && event.ResourceStatus === 'CREATE_FAILED');
    expect(failed?.ResourceStatusReason).toBe('Parameters: [Nope] do not exist in the template');
  });

  test('a GetAtt of an output the child does not have rolls the parent back', async () => {
    const cfn = edge.cloudFormation(ACCOUNT);
    const body = JSON.stringify({
      Resources: { Child: { Type: 'AWS::CloudFormation::Stack', Properties: { TemplateURL: edge.templateUrl(JSON.stringify(queueChild)), Parameters: { Prefix: 'p' } } } },
      Outputs: { Missing: { Value: { 'Fn::GetAtt': ['Child', 'Outputs.NoSuchOutput'] } } },
    });
    await cfn.send(new CreateStackCommand({ StackName: 'nooutput', TemplateBody: body }));
    const stack = await waitForStack(cfn, 'nooutput');
    expect(stack.StackStatus).toBe('ROLLBACK_COMPLETE');
    const rollback = (await stackEvents(cfn, 'nooutput')).find((event) => event.ResourceStatus === 'ROLLBACK_IN_PROGRESS');
    expect(rollback?.ResourceStatusReason).toContain('Template error: resource Child does not support attribute type Outputs.NoSuchOutput in Fn::GetAtt');
  });

  test("the parent's failure while the child is still creating cancels the resource and deletes the child", async () => {
    const cfn = edge.cloudFormation(ACCOUNT);
    const body = JSON.stringify({
      Resources: {
        Child: { Type: 'AWS::CloudFormation::Stack', Properties: { TemplateURL: edge.templateUrl(JSON.stringify(waitingChild)) } },
        Waiter: waitingChild.Resources['Server'],
      },
    });
    await cfn.send(new CreateStackCommand({ StackName: 'cancelling', TemplateBody: body }));
    const childId = await until(async () => (await childOf('cancelling', 'Child', cfn))?.PhysicalResourceId);
    await cfn.send(new SignalResourceCommand({ StackName: 'cancelling', LogicalResourceId: 'Waiter', UniqueId: 'i-1', Status: 'FAILURE' }));
    expect((await waitForStack(cfn, 'cancelling')).StackStatus).toBe('ROLLBACK_COMPLETE');
    const child = await waitForStack(cfn, childId);
    expect(child.StackStatus).toBe('DELETE_COMPLETE');
    const parentEvents = (await stackEvents(cfn, 'cancelling')).filter((event) => event.LogicalResourceId === 'Child').map((event) => `${event.ResourceStatus} ${event.ResourceStatusReason ?? ''}`.trim());
    expect(parentEvents).toEqual(expect.arrayContaining(['CREATE_FAILED Resource creation cancelled', 'DELETE_COMPLETE']));
    expect((await stackEvents(cfn, childId)).filter((event) => event.LogicalResourceId === child.StackName).map((event) => event.ResourceStatus)).toEqual([
      'CREATE_IN_PROGRESS', 'DELETE_IN_PROGRESS', 'DELETE_COMPLETE',
    ]);
  });
});

describe('nested stacks across a sandbox restart', () => {
  let directory: string;
  beforeAll(() => {
    directory = mkdtempSync(join(tmpdir(), 'groundwork-nested-'));
  });
  afterAll(() => rmSync(directory, { recursive: true, force: true }));

  test('a parent whose child was still creating completes after the restart, with the child\'s outputs', async () => {
    const stateFile = join(directory, 'sandbox.json');
    const first = await startSandboxEdge({ stateFile });
    const before = first.cloudFormation(ACCOUNT);
    const body = JSON.stringify({
      Resources: { Child: { Type: 'AWS::CloudFormation::Stack', Properties: { TemplateURL: first.templateUrl(JSON.stringify(waitingChild)) } } },
      Outputs: { ServerId: { Value: { 'Fn::GetAtt': ['Child', 'Outputs.ServerId'] } } },
    });
    await before.send(new CreateStackCommand({ StackName: 'restarted', TemplateBody: body }));
    const childId = await until(async () => (await childOf('restarted', 'Child', before))?.PhysicalResourceId);
    await first.close();

    const second = await startSandboxEdge({ stateFile });
    try {
      const after = second.cloudFormation(ACCOUNT);
      await after.send(new SignalResourceCommand({ StackName: childId, LogicalResourceId: 'Server', UniqueId: 'i-1', Status: 'SUCCESS' }));
      const parent = await waitForStack(after, 'restarted');
      expect(parent.StackStatus).toBe('CREATE_COMPLETE');
      expect(outputsOf(parent)['ServerId']).toMatch(/^i-0[0-9a-f]{16}$/);
    } finally {
      await second.close();
    }
  });
});

/** Polls until the lookup gives a value (what a user's tooling does while a stack creates). */
async function until(lookup: () => Promise<string | undefined>, timeoutMs = 30_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await lookup();
    if (value !== undefined && value !== '') return value;
    if (Date.now() > deadline) throw new Error('the value never came');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
