import { CreateStackCommand, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { AssumeRoleCommand, GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SandboxHooks } from '../../../local/contracts';
import { startSandboxEdge, type SandboxEdge } from './sandbox-http';
import { outputsOf, stackEvents, waitForStack } from './stack-waits';
import { publicParameterValue } from '../../../local/sandbox/data/ssm-public-parameters';

/** An AMI that exists in us-east-1: Amazon Linux 2023, as the sandbox's public parameter names it. */
const AMAZON_AMI = publicParameterValue('us-east-1', '/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64') ?? '';

/**
 * The sandbox keeps its accounts in the state file: a restarted sandbox still has every stack,
 * role and event, carries on the operations that were in progress, and asks again the custom
 * resources it was waiting on.
 */

const ACCOUNT = '777777777777';
const TOPIC = 'arn:aws:sns:us-east-1:000000000000:registrations';

const keptTemplate = JSON.stringify({
  Resources: {
    Topic: { Type: 'AWS::SNS::Topic' },
    Role: {
      Type: 'AWS::IAM::Role',
      Properties: {
        RoleName: 'kept-role',
        AssumeRolePolicyDocument: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: ACCOUNT }, Action: 'sts:AssumeRole' }] },
      },
    },
  },
  Outputs: { TopicArn: { Value: { Ref: 'Topic' } }, RoleArn: { Value: { 'Fn::GetAtt': ['Role', 'Arn'] } } },
});
const waitingTemplate = JSON.stringify({
  Resources: { Registration: { Type: 'Custom::Registration', Properties: { ServiceToken: TOPIC, Colour: 'blue' } } },
  Outputs: { Answer: { Value: { 'Fn::GetAtt': ['Registration', 'Answer'] } } },
});
/** An instance whose CreationPolicy waits for the signal its user data sends ~90 s after it starts. */
const signalledTemplate = JSON.stringify({
  Resources: {
    Server: {
      Type: 'AWS::EC2::Instance',
      CreationPolicy: { ResourceSignal: { Count: 1, Timeout: 'PT15M' } },
      Properties: { ImageId: AMAZON_AMI, InstanceType: 't4g.nano', UserData: { 'Fn::Base64': '#!/bin/bash\ncfn-signal --success true --stack x --resource Server\n' } },
    },
  },
});
/** A NAT gateway takes ~100 s: still creating when the first sandbox stops. */
const slowTemplate = JSON.stringify({
  Resources: {
    Vpc: { Type: 'AWS::EC2::VPC', Properties: { CidrBlock: '10.5.0.0/16' } },
    Subnet: { Type: 'AWS::EC2::Subnet', Properties: { VpcId: { Ref: 'Vpc' }, CidrBlock: '10.5.0.0/24' } },
    Nat: { Type: 'AWS::EC2::NatGateway', Properties: { SubnetId: { Ref: 'Subnet' } } },
  },
});

let directory: string;
let stateFile: string;
const edges: SandboxEdge[] = [];

beforeAll(() => {
  directory = mkdtempSync(join(tmpdir(), 'groundwork-sandbox-'));
  stateFile = join(directory, 'sandbox.json');
});

afterAll(async () => {
  for (const edge of edges) await edge.close();
  rmSync(directory, { recursive: true, force: true });
});

/** Records each custom-resource request; answers it SUCCESS when `answer` is set. */
function customResourceHooks(answer: boolean, seen: string[], onPublish: () => void = () => undefined): SandboxHooks {
  return {
    async publishToTopic(_topic, message) {
      const request = JSON.parse(message) as { ResponseURL: string; StackId: string; RequestId: string; LogicalResourceId: string; RequestType: string };
      seen.push(`${request.RequestType} ${request.RequestId}`);
      onPublish();
      if (!answer) return;
      setTimeout(() => {
        void fetch(request.ResponseURL, {
          method: 'PUT',
          body: JSON.stringify({ Status: 'SUCCESS', PhysicalResourceId: 'registration-1', StackId: request.StackId, RequestId: request.RequestId, LogicalResourceId: request.LogicalResourceId, Data: { Answer: '42' } }),
        });
      }, 5);
    },
    putEvent: async () => undefined,
  };
}

/** Resolves as `promise` does, or fails with `message` after `ms`. */
async function within(promise: Promise<void>, ms: number, message: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_resolve, reject) => (timer = setTimeout(() => reject(new Error(message)), ms)));
  try {
    await Promise.race([promise, expired]);
  } finally {
    clearTimeout(timer);
  }
}

describe('the sandbox across a restart', () => {
  it('keeps stacks, roles and sessions, finishes what was in progress, asks waiting custom resources again, and still waits for signals', async () => {
    // Prepare: one stack complete, one waiting on its custom resource, one still creating.
    const firstSeen: string[] = [];
    let published = (): void => undefined;
    const firstPublished = new Promise<void>((resolve) => (published = resolve));
    const first = await startSandboxEdge({ stateFile, speed: 0.01, hooks: customResourceHooks(false, firstSeen, () => published()) });
    edges.push(first);
    const cfn = first.cloudFormation(ACCOUNT);
    await cfn.send(new CreateStackCommand({ StackName: 'kept', TemplateBody: keptTemplate, Capabilities: ['CAPABILITY_NAMED_IAM'] }));
    const kept = await waitForStack(cfn, 'kept');
    const { Credentials } = await first.sts(ACCOUNT).send(new AssumeRoleCommand({ RoleArn: outputsOf(kept)['RoleArn'], RoleSessionName: 'before-restart' }));
    await cfn.send(new CreateStackCommand({ StackName: 'waiting', TemplateBody: waitingTemplate }));
    await cfn.send(new CreateStackCommand({ StackName: 'slow', TemplateBody: slowTemplate }));
    await cfn.send(new CreateStackCommand({ StackName: 'signalled', TemplateBody: signalledTemplate }));
    // The request goes out after the custom resource's scaled time (well under a second); the
    // bound only turns a request that never comes into a failure that says so.
    await within(firstPublished, 30_000, 'the first sandbox never published the custom resource request');
    const { Stacks: beforeStop } = await cfn.send(new DescribeStacksCommand({}));
    const keptEvents = await stackEvents(cfn, 'kept');

    // Act
    await first.close();
    const written = JSON.parse(readFileSync(stateFile, 'utf8')) as { format: string };
    const secondSeen: string[] = [];
    const second = await startSandboxEdge({ stateFile, speed: 0.01, hooks: customResourceHooks(true, secondSeen) });
    edges.push(second);
    const again = second.cloudFormation(ACCOUNT);
    const waiting = await waitForStack(again, 'waiting');
    const slow = await waitForStack(again, 'slow');
    const signalled = await waitForStack(again, 'signalled');
    const keptAfter = await waitForStack(again, 'kept');
    const identity = await second
      .sts(ACCOUNT, { accessKeyId: Credentials?.AccessKeyId ?? '', secretAccessKey: Credentials?.SecretAccessKey ?? '', sessionToken: Credentials?.SessionToken ?? '' })
      .send(new GetCallerIdentityCommand({}));
    const assumedAgain = await second.sts(ACCOUNT).send(new AssumeRoleCommand({ RoleArn: outputsOf(kept)['RoleArn'], RoleSessionName: 'after-restart' }));

    // Assess
    expect(written.format).toBe('groundwork-sandbox/1');
    expect(Object.fromEntries(beforeStop?.map((stack) => [stack.StackName, stack.StackStatus]) ?? [])).toEqual({
      kept: 'CREATE_COMPLETE',
      waiting: 'CREATE_IN_PROGRESS',
      slow: 'CREATE_IN_PROGRESS',
      signalled: 'CREATE_IN_PROGRESS',
    });
    expect(keptAfter).toMatchObject({ StackId: kept.StackId, StackStatus: 'CREATE_COMPLETE', Outputs: kept.Outputs });
    expect(await stackEvents(again, 'kept')).toEqual(keptEvents);
    // The request the first sandbox published is published again, with the same RequestId.
    expect(secondSeen).toEqual(firstSeen);
    expect(waiting.StackStatus).toBe('CREATE_COMPLETE');
    expect(outputsOf(waiting)).toEqual({ Answer: '42' });
    expect(slow.StackStatus).toBe('CREATE_COMPLETE');
    // The instance the first sandbox played had not signalled yet: it does after the restart.
    expect(signalled.StackStatus).toBe('CREATE_COMPLETE');
    expect((await stackEvents(again, 'signalled')).filter((event) => /^Received SUCCESS signal with UniqueId i-0/.test(event.ResourceStatusReason ?? ''))).toHaveLength(1);
    expect(identity.Arn).toBe(`arn:aws:sts::${ACCOUNT}:assumed-role/kept-role/before-restart`);
    expect(assumedAgain.AssumedRoleUser?.Arn).toBe(`arn:aws:sts::${ACCOUNT}:assumed-role/kept-role/after-restart`);
  });
});
