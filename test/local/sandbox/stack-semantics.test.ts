import {
  CreateStackCommand,
  DeleteStackCommand,
  DescribeStackResourceCommand,
  DescribeStacksCommand,
  GetStackPolicyCommand,
  ListStacksCommand,
  SetStackPolicyCommand,
  SignalResourceCommand,
  UpdateTerminationProtectionCommand,
  ValidateTemplateCommand,
  type CloudFormationClient,
  type StackStatus,
} from '@aws-sdk/client-cloudformation';
import type { CfnTemplate } from '../../../src/cfn/template-types';
import { startSandboxEdge, type SandboxEdge } from './sandbox-http';
import { outputsOf, rejectionOf, stackEvents, waitForStack } from './stack-waits';

/**
 * CloudFormation's stack semantics in the sandbox account, each as AWS has it: Rules assertions,
 * wait conditions, exports in use, retained resources, stack policies, termination protection,
 * ListStacks' filter, the stack role, and Fn::Length outside its transform.
 */

const ACCOUNT = '131313131313';

let edge: SandboxEdge;
let cfn: CloudFormationClient;
beforeAll(async () => {
  edge = await startSandboxEdge({ speed: 0.001 });
  cfn = edge.cloudFormation(ACCOUNT);
});
afterAll(async () => edge.close());

const body = (template: CfnTemplate) => JSON.stringify(template);

async function stackExists(name: string): Promise<boolean> {
  const found = await cfn.send(new DescribeStacksCommand({ StackName: name })).then(
    () => true,
    () => false,
  );
  return found;
}

describe('Rules: assertions are evaluated at CreateStack', () => {
  const template: CfnTemplate = {
    Parameters: { Env: { Type: 'String' }, Size: { Type: 'String', Default: 'small' }, Zones: { Type: 'CommaDelimitedList', Default: 'a,b' } },
    Rules: {
      ProdOnly: { Assertions: [{ Assert: { 'Fn::Equals': [{ Ref: 'Env' }, 'prod'] }, AssertDescription: 'Env must be prod' }] },
      BigInProd: {
        RuleCondition: { 'Fn::Equals': [{ Ref: 'Env' }, 'prod'] },
        Assertions: [{ Assert: { 'Fn::Contains': [['large', 'xlarge'], { Ref: 'Size' }] }, AssertDescription: 'In prod, Size must be large or xlarge' }],
      },
      KnownZones: { Assertions: [{ Assert: { 'Fn::EachMemberIn': [{ Ref: 'Zones' }, ['a', 'b', 'c']] }, AssertDescription: 'Zones must be among a, b, c' }] },
    },
    Resources: { Topic: { Type: 'AWS::SNS::Topic' } },
  } as CfnTemplate;
  const create = (name: string, parameters: Record<string, string>) =>
    cfn.send(new CreateStackCommand({ StackName: name, TemplateBody: body(template), Parameters: Object.entries(parameters).map(([ParameterKey, ParameterValue]) => ({ ParameterKey, ParameterValue })) }));

  it('refuses a stack whose assertion fails, with its AssertDescription, and creates nothing', async () => {
    const refused = await rejectionOf(create('rules-dev', { Env: 'dev' }));
    expect(refused).toMatchObject({ name: 'ValidationError', message: 'Env must be prod' });
    expect(await stackExists('rules-dev')).toBe(false);
  });

  it('checks a rule only when its RuleCondition holds, and list parameters member by member', async () => {
    expect(await rejectionOf(create('rules-small', { Env: 'prod' }))).toMatchObject({ message: 'In prod, Size must be large or xlarge' });
    expect(await rejectionOf(create('rules-zones', { Env: 'prod', Size: 'large', Zones: 'a,d' }))).toMatchObject({ message: 'Zones must be among a, b, c' });
    await create('rules-ok', { Env: 'prod', Size: 'large' });
    expect((await waitForStack(cfn, 'rules-ok')).StackStatus).toBe('CREATE_COMPLETE');
  });

  it('has ValidateTemplate check only the shape: assertions pass unevaluated, other functions are refused', async () => {
    await cfn.send(new ValidateTemplateCommand({ TemplateBody: body(template) }));
    const bad = { Parameters: { Env: { Type: 'String' } }, Rules: { Bad: { Assertions: [{ Assert: { 'Fn::Join': ['', [{ Ref: 'Env' }]] } }] } }, Resources: template.Resources } as CfnTemplate;
    expect(await rejectionOf(cfn.send(new ValidateTemplateCommand({ TemplateBody: body(bad) })))).toMatchObject({ name: 'ValidationError', message: expect.stringMatching(/^Template format error: Rule Bad: Fn::Join is not a rule function/) });
  });
});

describe('WaitCondition and WaitConditionHandle', () => {
  const waiting = (timeout: string, count = 1): CfnTemplate =>
    ({
      Resources: {
        Handle: { Type: 'AWS::CloudFormation::WaitConditionHandle' },
        Ready: { Type: 'AWS::CloudFormation::WaitCondition', Properties: { Handle: { Ref: 'Handle' }, Timeout: timeout, Count: count } },
        After: { Type: 'AWS::SNS::Topic', DependsOn: 'Ready' },
      },
      Outputs: { Data: { Value: { 'Fn::GetAtt': ['Ready', 'Data'] } } },
    }) as CfnTemplate;

  /** The handle's URL (its Ref), once CloudFormation has made it. */
  async function handleUrl(stackName: string): Promise<string> {
    for (;;) {
      const { StackResourceDetail } = await cfn.send(new DescribeStackResourceCommand({ StackName: stackName, LogicalResourceId: 'Handle' })).catch(() => ({ StackResourceDetail: undefined }));
      if (StackResourceDetail?.ResourceStatus === 'CREATE_COMPLETE') return StackResourceDetail.PhysicalResourceId ?? '';
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
  const put = (url: string, signal: object | string) => fetch(url, { method: 'PUT', body: typeof signal === 'string' ? signal : JSON.stringify(signal) });
  const reasonsOf = async (name: string) => (await stackEvents(cfn, name)).filter((event) => event.LogicalResourceId === 'Ready').map((event) => [event.ResourceStatus, event.ResourceStatusReason]);

  it('waits for Count SUCCESS signals PUT to the handle (a repeated UniqueId counts once); Data is their Data by UniqueId', async () => {
    // Act
    await cfn.send(new CreateStackCommand({ StackName: 'wait-ok', TemplateBody: body(waiting('43200', 2)) }));
    const url = await handleUrl('wait-ok');
    expect(url).toMatch(new RegExp(`^${edge.url}/_sandbox/wait-conditions/`));
    expect((await put(url, { Status: 'SUCCESS', UniqueId: 'first', Data: 'one', Reason: 'done' })).status).toBe(200);
    await put(url, { Status: 'SUCCESS', UniqueId: 'first', Data: 'again', Reason: 'done' });
    const early = await cfn.send(new DescribeStacksCommand({ StackName: 'wait-ok' }));
    await put(url, { Status: 'SUCCESS', UniqueId: 'second', Data: 'two', Reason: 'done' });
    const stack = await waitForStack(cfn, 'wait-ok');

    // Assess
    expect(early.Stacks?.[0]?.StackStatus).toBe('CREATE_IN_PROGRESS');
    expect(stack.StackStatus).toBe('CREATE_COMPLETE');
    expect(JSON.parse(outputsOf(stack)['Data'] ?? '')).toEqual({ first: 'one', second: 'two' });
  });

  it('fails on a FAILURE signal with its Reason, and rolls back', async () => {
    await cfn.send(new CreateStackCommand({ StackName: 'wait-failure', TemplateBody: body(waiting('43200')) }));
    await put(await handleUrl('wait-failure'), { Status: 'FAILURE', UniqueId: 'i-0abc', Data: '', Reason: 'configuration failed' });
    expect((await waitForStack(cfn, 'wait-failure')).StackStatus).toBe('ROLLBACK_COMPLETE');
    expect(await reasonsOf('wait-failure')).toContainEqual(['CREATE_FAILED', "WaitCondition received failed message: 'configuration failed' for uniqueId: i-0abc"]);
  });

  it('fails at its Timeout (scaled like every duration) in CloudFormation\'s words', async () => {
    await cfn.send(new CreateStackCommand({ StackName: 'wait-timeout', TemplateBody: body(waiting('60')) }));
    expect((await waitForStack(cfn, 'wait-timeout')).StackStatus).toBe('ROLLBACK_COMPLETE');
    expect(await reasonsOf('wait-timeout')).toContainEqual(['CREATE_FAILED', 'WaitCondition timed out. Received 0 conditions when expecting 1']);
  });

  it('refuses a URL it did not issue, and fails the condition on a body that is no signal', async () => {
    await cfn.send(new CreateStackCommand({ StackName: 'wait-garbled', TemplateBody: body(waiting('43200')) }));
    const url = await handleUrl('wait-garbled');
    expect((await put(`${url.slice(0, -4)}0000`, { Status: 'SUCCESS', UniqueId: 'x' })).status).toBe(403);
    await put(url, 'not json');
    expect((await waitForStack(cfn, 'wait-garbled')).StackStatus).toBe('ROLLBACK_COMPLETE');
    expect(await reasonsOf('wait-garbled')).toContainEqual(['CREATE_FAILED', 'Unparsable WaitCondition data']);
  });

  it('waits, with a CreationPolicy, for SignalResource as other signalled resources do', async () => {
    const template = { Resources: { Ready: { Type: 'AWS::CloudFormation::WaitCondition', CreationPolicy: { ResourceSignal: { Count: 1, Timeout: 'PT12H' } } } } } as CfnTemplate;
    await cfn.send(new CreateStackCommand({ StackName: 'wait-policy', TemplateBody: body(template) }));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect((await cfn.send(new DescribeStacksCommand({ StackName: 'wait-policy' }))).Stacks?.[0]?.StackStatus).toBe('CREATE_IN_PROGRESS');
    await cfn.send(new SignalResourceCommand({ StackName: 'wait-policy', LogicalResourceId: 'Ready', UniqueId: 'u-1', Status: 'SUCCESS' }));
    expect((await waitForStack(cfn, 'wait-policy')).StackStatus).toBe('CREATE_COMPLETE');
  });
});

describe('An export another stack imports holds its stack', () => {
  it('answers DeleteStack, then ends it where it was with CloudFormation\'s reason; once the importers are gone it deletes', async () => {
    // Prepare
    const exporter = { Resources: { Topic: { Type: 'AWS::SNS::Topic' } }, Outputs: { Arn: { Value: { Ref: 'Topic' }, Export: { Name: 'shared-topic' } } } } as CfnTemplate;
    const importer = (name: string) => ({ Resources: { Queue: { Type: 'AWS::SQS::Queue', Properties: { QueueName: name } } }, Outputs: { Topic: { Value: { 'Fn::ImportValue': { 'Fn::Join': ['-', ['shared', 'topic']] } } } } }) as CfnTemplate;
    await cfn.send(new CreateStackCommand({ StackName: 'exports-producer', TemplateBody: body(exporter) }));
    await waitForStack(cfn, 'exports-producer');
    for (const name of ['exports-user-a', 'exports-user-b']) await cfn.send(new CreateStackCommand({ StackName: name, TemplateBody: body(importer(name)) }));
    const users = [await waitForStack(cfn, 'exports-user-a'), await waitForStack(cfn, 'exports-user-b')];
    expect(users.map((user) => user.StackStatus)).toEqual(['CREATE_COMPLETE', 'CREATE_COMPLETE']);

    // Act
    await cfn.send(new DeleteStackCommand({ StackName: 'exports-producer' }));
    const held = await waitForStack(cfn, 'exports-producer');

    // Assess
    expect(held).toMatchObject({ StackStatus: 'CREATE_COMPLETE', StackStatusReason: 'Export shared-topic cannot be deleted as it is in use by exports-user-a and exports-user-b' });
    const stackStatuses = (await stackEvents(cfn, 'exports-producer')).filter((event) => event.LogicalResourceId === 'exports-producer').map((event) => event.ResourceStatus);
    expect(stackStatuses.slice(-2)).toEqual(['DELETE_IN_PROGRESS', 'CREATE_COMPLETE']);
    const topic = await cfn.send(new DescribeStackResourceCommand({ StackName: 'exports-producer', LogicalResourceId: 'Topic' }));
    expect(topic.StackResourceDetail?.ResourceStatus).toBe('CREATE_COMPLETE');

    // Act: the importers go, then the exporter can
    for (const user of users) await cfn.send(new DeleteStackCommand({ StackName: user.StackId }));
    for (const user of users) await waitForStack(cfn, user.StackId ?? '');
    await cfn.send(new DeleteStackCommand({ StackName: 'exports-producer' }));
    expect((await waitForStack(cfn, held.StackId ?? '')).StackStatus).toBe('DELETE_COMPLETE');
  });
});

describe('DeletionPolicy Retain: a retained resource stays in the account with its name', () => {
  const logGroups = (names: { kept?: string; dropped?: string }): CfnTemplate =>
    ({
      Resources: {
        ...(names.kept === undefined ? {} : { Kept: { Type: 'AWS::Logs::LogGroup', DeletionPolicy: 'Retain', Properties: { LogGroupName: names.kept } } }),
        ...(names.dropped === undefined ? {} : { Dropped: { Type: 'AWS::Logs::LogGroup', Properties: { LogGroupName: names.dropped } } }),
      },
    }) as CfnTemplate;

  it('skips it at DeleteStack, and a new resource of its name fails as already existing; a deleted one frees its name', async () => {
    // Prepare
    await cfn.send(new CreateStackCommand({ StackName: 'retain-first', TemplateBody: body(logGroups({ kept: '/kept/logs', dropped: '/dropped/logs' })) }));
    const first = await waitForStack(cfn, 'retain-first');
    await cfn.send(new DeleteStackCommand({ StackName: 'retain-first' }));
    expect((await waitForStack(cfn, first.StackId ?? '')).StackStatus).toBe('DELETE_COMPLETE');
    const kept = await cfn.send(new DescribeStackResourceCommand({ StackName: first.StackId, LogicalResourceId: 'Kept' }));
    expect(kept.StackResourceDetail?.ResourceStatus).toBe('DELETE_SKIPPED');

    // Act
    await cfn.send(new CreateStackCommand({ StackName: 'retain-again', TemplateBody: body(logGroups({ kept: '/kept/logs' })) }));
    await cfn.send(new CreateStackCommand({ StackName: 'retain-reuse', TemplateBody: body(logGroups({ dropped: '/dropped/logs' })) }));

    // Assess
    expect((await waitForStack(cfn, 'retain-again')).StackStatus).toBe('ROLLBACK_COMPLETE');
    const failed = (await stackEvents(cfn, 'retain-again')).find((event) => event.ResourceStatus === 'CREATE_FAILED');
    expect(failed?.ResourceStatusReason).toBe("Resource of type 'AWS::Logs::LogGroup' with identifier '/kept/logs' already exists.");
    expect((await waitForStack(cfn, 'retain-reuse')).StackStatus).toBe('CREATE_COMPLETE');
  });
});

describe('Stack policies: StackPolicyBody is checked and kept; GetStackPolicy and SetStackPolicy', () => {
  const topic = body({ Resources: { Topic: { Type: 'AWS::SNS::Topic' } } } as CfnTemplate);
  const protectTopic = JSON.stringify({ Statement: [{ Effect: 'Allow', Action: 'Update:*', Principal: '*', Resource: '*' }, { Effect: 'Deny', Action: ['Update:Replace', 'Update:Delete'], Principal: '*', Resource: 'LogicalResourceId/Topic' }] });

  it('refuses a body that is no JSON policy, and creates nothing', async () => {
    const notJson = await rejectionOf(cfn.send(new CreateStackCommand({ StackName: 'policy-not-json', TemplateBody: topic, StackPolicyBody: 'not json' })));
    expect(notJson).toMatchObject({ name: 'ValidationError', message: expect.stringMatching(/^Invalid stack policy: the stack policy is not a JSON document/) });
    const badAction = await rejectionOf(cfn.send(new CreateStackCommand({ StackName: 'policy-bad-action', TemplateBody: topic, StackPolicyBody: JSON.stringify({ Statement: [{ Effect: 'Deny', Action: 's3:*', Principal: '*', Resource: '*' }] }) })));
    expect(badAction.message).toBe('Invalid stack policy: Statement 1: unknown actions [s3:*]; a stack policy allows Update:Modify, Update:Replace, Update:Delete, Update:*');
    expect(await stackExists('policy-not-json')).toBe(false);
  });

  it('keeps the policy CreateStack set, answers it at GetStackPolicy, and replaces it at SetStackPolicy', async () => {
    // Act
    await cfn.send(new CreateStackCommand({ StackName: 'policy-kept', TemplateBody: topic, StackPolicyBody: protectTopic }));
    await cfn.send(new CreateStackCommand({ StackName: 'policy-none', TemplateBody: topic }));
    const kept = await cfn.send(new GetStackPolicyCommand({ StackName: 'policy-kept' }));
    const refused = await rejectionOf(cfn.send(new SetStackPolicyCommand({ StackName: 'policy-kept', StackPolicyBody: '{"Statement": [{"Effect": "Maybe"}]}' })));
    const open = JSON.stringify({ Statement: { Effect: 'Allow', NotAction: 'Update:Delete', Principal: '*', Resource: '*' } });
    await cfn.send(new SetStackPolicyCommand({ StackName: 'policy-kept', StackPolicyBody: open }));

    // Assess
    expect(kept.StackPolicyBody).toBe(protectTopic);
    expect(refused.message).toBe('Invalid stack policy: Statement 1: Effect must be Allow or Deny');
    expect((await cfn.send(new GetStackPolicyCommand({ StackName: 'policy-kept' }))).StackPolicyBody).toBe(open);
    expect((await cfn.send(new GetStackPolicyCommand({ StackName: 'policy-none' }))).StackPolicyBody).toBeUndefined();
  });
});

describe('UpdateTerminationProtection', () => {
  it('releases a protected stack, which can then be deleted', async () => {
    // Prepare
    await cfn.send(new CreateStackCommand({ StackName: 'protected', TemplateBody: body({ Resources: { Topic: { Type: 'AWS::SNS::Topic' } } } as CfnTemplate), EnableTerminationProtection: true }));
    const stack = await waitForStack(cfn, 'protected');
    const refused = await rejectionOf(cfn.send(new DeleteStackCommand({ StackName: 'protected' })));

    // Act
    const answer = await cfn.send(new UpdateTerminationProtectionCommand({ StackName: 'protected', EnableTerminationProtection: false }));
    const released = (await cfn.send(new DescribeStacksCommand({ StackName: 'protected' }))).Stacks?.[0];
    await cfn.send(new DeleteStackCommand({ StackName: 'protected' }));

    // Assess
    expect(refused).toMatchObject({ name: 'ValidationError', message: 'Stack [protected] cannot be deleted while TerminationProtection is enabled' });
    expect(answer.StackId).toBe(stack.StackId);
    expect(released?.EnableTerminationProtection).toBe(false);
    expect((await waitForStack(cfn, stack.StackId ?? '')).StackStatus).toBe('DELETE_COMPLETE');
  });
});

describe('ListStacks validates its StackStatusFilter', () => {
  it('answers an unknown status with the enum ValidationError, and filters by known ones', async () => {
    const refused = await rejectionOf(cfn.send(new ListStacksCommand({ StackStatusFilter: ['CREATE_COMPLETE', 'BOGUS_STATUS' as StackStatus] })));
    expect(refused).toMatchObject({ name: 'ValidationError', message: expect.stringMatching(/^1 validation error detected: Value '\[CREATE_COMPLETE, BOGUS_STATUS\]' at 'stackStatusFilter' failed to satisfy constraint: Member must satisfy constraint: \[Member must satisfy enum value set: \[.*ROLLBACK_COMPLETE.*\]\]$/) });
    await cfn.send(new CreateStackCommand({ StackName: 'listed', TemplateBody: body({ Resources: { Topic: { Type: 'AWS::SNS::Topic' } } } as CfnTemplate) }));
    await waitForStack(cfn, 'listed');
    const { StackSummaries = [] } = await cfn.send(new ListStacksCommand({ StackStatusFilter: ['CREATE_COMPLETE'] }));
    expect(StackSummaries.map((summary) => summary.StackName)).toContain('listed');
    expect(StackSummaries.every((summary) => summary.StackStatus === 'CREATE_COMPLETE')).toBe(true);
  });
});

describe('The stack role must be one the account holds', () => {
  it('refuses a RoleARN of a role that does not exist in the account, as one CloudFormation cannot assume', async () => {
    const roleArn = `arn:aws:iam::${ACCOUNT}:role/NeverCreated`;
    const refused = await rejectionOf(cfn.send(new CreateStackCommand({ StackName: 'role-missing', TemplateBody: body({ Resources: { Topic: { Type: 'AWS::SNS::Topic' } } } as CfnTemplate), RoleARN: roleArn })));
    expect(refused).toMatchObject({ name: 'ValidationError', message: `Role ${roleArn} is invalid or cannot be assumed` });
    expect(await stackExists('role-missing')).toBe(false);
  });
});

describe('Fn::Length without the AWS::LanguageExtensions transform', () => {
  it('is a template error at CreateStack and ValidateTemplate, and creates nothing', async () => {
    const template = body({ Parameters: { Zones: { Type: 'CommaDelimitedList', Default: 'a,b' } }, Resources: { Topic: { Type: 'AWS::SNS::Topic' } }, Outputs: { Count: { Value: { 'Fn::Length': { Ref: 'Zones' } } } } } as CfnTemplate);
    const expected = { name: 'ValidationError', message: expect.stringMatching(/^Template error: Encountered unsupported function: Fn::Length Supported functions are: \[Fn::Base64, /) };
    expect(await rejectionOf(cfn.send(new CreateStackCommand({ StackName: 'length-plain', TemplateBody: template })))).toMatchObject(expected);
    expect(await rejectionOf(cfn.send(new ValidateTemplateCommand({ TemplateBody: template })))).toMatchObject(expected);
    expect(await stackExists('length-plain')).toBe(false);
  });
});
