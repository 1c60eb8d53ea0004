import {
  CreateChangeSetCommand,
  CreateStackCommand,
  DeleteChangeSetCommand,
  DescribeChangeSetCommand,
  DescribeStacksCommand,
  ExecuteChangeSetCommand,
  ListChangeSetsCommand,
  ListStackResourcesCommand,
  UpdateStackCommand,
  type CloudFormationClient,
  type DescribeChangeSetCommandOutput,
  type Parameter,
  type ResourceChange,
} from '@aws-sdk/client-cloudformation';
import { AssumeRoleCommand } from '@aws-sdk/client-sts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CfnTemplate } from '../../../src/cfn/template-types';
import { sandboxForFile, startSandboxEdge } from './sandbox-http';
import { outputsOf, rejectionOf, stackEvents, waitForStack } from './stack-waits';

/**
 * Change sets in the sandbox account, as CloudFormation makes them: CreateChangeSet works out the
 * plan UpdateStack would run and DescribeChangeSet shows it as ResourceChanges (Modify in place or
 * by replacement, with the values before and after; Add; Remove; what depends on a replaced
 * resource as Conditional); a request that changes nothing FAILS in AWS's words; ExecuteChangeSet
 * runs the update; another update makes a change set OBSOLETE; DeleteChangeSet; IAM of a role session.
 * The SDK names the errors by its model's shapes: the wire codes ChangeSetNotFound and
 * InvalidChangeSetStatus (API Reference, Errors) arrive as ChangeSetNotFoundException and
 * InvalidChangeSetStatusException.
 */

const ACCOUNT = '151515151515';
const NO_CHANGES = "The submitted information didn't contain changes. Submit different information to create a change set.";

const sandbox = sandboxForFile(ACCOUNT, { speed: 0.01 });

const body = (template: CfnTemplate) => JSON.stringify(template);
const parameters = (values: Record<string, string>): Parameter[] => Object.entries(values).map(([ParameterKey, ParameterValue]) => ({ ParameterKey, ParameterValue }));

async function created(name: string, template: CfnTemplate, values: Record<string, string> = {}, client = sandbox.cfn) {
  await client.send(new CreateStackCommand({ StackName: name, TemplateBody: body(template), Parameters: parameters(values), Capabilities: ['CAPABILITY_NAMED_IAM'] }));
  const stack = await waitForStack(client, name);
  expect(stack.StackStatus).toBe('CREATE_COMPLETE');
  return stack;
}

/** Polls DescribeChangeSet until the change set is worked out; the statuses seen on the way, in order. */
async function waitForChangeSet(client: CloudFormationClient, stackName: string, changeSetName: string, includePropertyValues = true): Promise<DescribeChangeSetCommandOutput & { seen: string[] }> {
  const seen: string[] = [];
  const deadline = Date.now() + 30_000;
  for (;;) {
    const answer = await client.send(new DescribeChangeSetCommand({ StackName: stackName, ChangeSetName: changeSetName, IncludePropertyValues: includePropertyValues }));
    if (seen.at(-1) !== answer.Status) seen.push(answer.Status ?? '');
    if (answer.Status !== 'CREATE_PENDING' && answer.Status !== 'CREATE_IN_PROGRESS') return { ...answer, seen };
    if (Date.now() > deadline) throw new Error(`${changeSetName} still ${answer.Status}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const change = (answer: DescribeChangeSetCommandOutput, logicalId: string): ResourceChange | undefined =>
  answer.Changes?.find((candidate) => candidate.ResourceChange?.LogicalResourceId === logicalId)?.ResourceChange;

/** A subnet (CidrBlock create-only) with a route table association that names it, and a log group whose retention is a parameter. */
const network = (cidr: string): CfnTemplate =>
  ({
    Parameters: { Retention: { Type: 'Number', Default: '7' } },
    Resources: {
      Vpc: { Type: 'AWS::EC2::VPC', Properties: { CidrBlock: '10.8.0.0/16' } },
      Subnet: { Type: 'AWS::EC2::Subnet', Properties: { VpcId: { Ref: 'Vpc' }, CidrBlock: cidr } },
      Routes: { Type: 'AWS::EC2::RouteTable', Properties: { VpcId: { Ref: 'Vpc' } } },
      Association: { Type: 'AWS::EC2::SubnetRouteTableAssociation', Properties: { SubnetId: { Ref: 'Subnet' }, RouteTableId: { Ref: 'Routes' } } },
      Logs: { Type: 'AWS::Logs::LogGroup', Properties: { RetentionInDays: { Ref: 'Retention' } } },
    },
    Outputs: { SubnetId: { Value: { Ref: 'Subnet' } }, Retention: { Value: { Ref: 'Retention' } } },
  }) as CfnTemplate;

describe('CreateChangeSet and DescribeChangeSet', () => {
  it('describes an in-place Modify, a replacement (create-only property) with its values, and what refers to the replaced resource as Conditional', async () => {
    const stack = await created('cs-network', network('10.8.1.0/24'), { Retention: '7' });
    const resources = (await sandbox.cfn.send(new ListStackResourcesCommand({ StackName: 'cs-network' }))).StackResourceSummaries ?? [];
    const physical = (logicalId: string) => resources.find((resource) => resource.LogicalResourceId === logicalId)?.PhysicalResourceId;

    const { Id, StackId } = await sandbox.cfn.send(
      new CreateChangeSetCommand({ StackName: 'cs-network', ChangeSetName: 'move-subnet', TemplateBody: body(network('10.8.2.0/24')), Parameters: parameters({ Retention: '30' }), Description: 'new subnet' }),
    );
    expect(StackId).toBe(stack.StackId);
    expect(Id).toMatch(new RegExp(`^arn:aws:cloudformation:us-east-1:${ACCOUNT}:changeSet/move-subnet/[0-9a-f-]{36}$`));
    const answer = await waitForChangeSet(sandbox.cfn, 'cs-network', 'move-subnet');
    expect(answer).toMatchObject({ Status: 'CREATE_COMPLETE', ExecutionStatus: 'AVAILABLE', ChangeSetId: Id, ChangeSetName: 'move-subnet', Description: 'new subnet', StackName: 'cs-network' });
    expect(answer.Parameters).toEqual([{ ParameterKey: 'Retention', ParameterValue: '30' }]);
    expect(answer.Changes?.map((entry) => `${entry.ResourceChange?.Action} ${entry.ResourceChange?.LogicalResourceId} ${entry.ResourceChange?.Replacement}`).sort()).toEqual([
      'Modify Association Conditional',
      'Modify Logs False',
      'Modify Subnet True',
    ]);

    expect(change(answer, 'Logs')).toMatchObject({
      PhysicalResourceId: physical('Logs'),
      ResourceType: 'AWS::Logs::LogGroup',
      Scope: ['Properties'],
      Details: [
        {
          Target: { Attribute: 'Properties', Name: 'RetentionInDays', Path: '/Properties/RetentionInDays', RequiresRecreation: 'Never', BeforeValue: '7', AfterValue: '30', AttributeChangeType: 'Modify' },
          Evaluation: 'Static',
          ChangeSource: 'ParameterReference',
          CausingEntity: 'Retention',
        },
      ],
    });
    const subnet = change(answer, 'Subnet');
    expect(subnet).toMatchObject({
      PhysicalResourceId: physical('Subnet'),
      PolicyAction: 'ReplaceAndDelete',
      Details: [
        {
          Target: { Attribute: 'Properties', Name: 'CidrBlock', RequiresRecreation: 'Always', BeforeValue: '10.8.1.0/24', AfterValue: '10.8.2.0/24' },
          Evaluation: 'Static',
          ChangeSource: 'DirectModification',
        },
      ],
    });
    expect(JSON.parse(subnet?.BeforeContext ?? '{}')).toEqual({ Properties: { VpcId: physical('Vpc'), CidrBlock: '10.8.1.0/24' } });
    expect(JSON.parse(subnet?.AfterContext ?? '{}')).toEqual({ Properties: { VpcId: physical('Vpc'), CidrBlock: '10.8.2.0/24' } });
    // The association names the subnet, whose id changes only if it is replaced: known when the update runs.
    expect(change(answer, 'Association')?.Details).toEqual([
      { Target: { Attribute: 'Properties', Name: 'SubnetId', Path: '/Properties/SubnetId', RequiresRecreation: 'Always' }, Evaluation: 'Dynamic', ChangeSource: 'ResourceReference', CausingEntity: 'Subnet' },
    ]);

    // Without IncludePropertyValues: the same changes, no values.
    const plain = await sandbox.cfn.send(new DescribeChangeSetCommand({ StackName: 'cs-network', ChangeSetName: 'move-subnet' }));
    expect(change(plain, 'Subnet')?.BeforeContext).toBeUndefined();
    expect(change(plain, 'Subnet')?.Details?.[0]?.Target).toEqual({ Attribute: 'Properties', Name: 'CidrBlock', Path: '/Properties/CidrBlock', RequiresRecreation: 'Always' });
    // The stack is untouched until the change set runs.
    expect((await sandbox.cfn.send(new DescribeStacksCommand({ StackName: 'cs-network' }))).Stacks?.[0]?.StackStatus).toBe('CREATE_COMPLETE');
  });

  it('describes what the template adds (Add), drops (Remove, with its DeletionPolicy), and a value naming an added resource (Dynamic)', async () => {
    const param = (value: unknown) => ({ Type: 'AWS::SSM::Parameter', Properties: { Type: 'String', Value: value } });
    const v1 = { Resources: { Keep: { Type: 'AWS::Logs::LogGroup' }, Gone: { Type: 'AWS::Logs::LogGroup' }, Kept: { Type: 'AWS::SNS::Topic', DeletionPolicy: 'Retain' }, Param: param('none') } } as CfnTemplate;
    const v2 = { Resources: { Keep: { Type: 'AWS::Logs::LogGroup' }, Topic: { Type: 'AWS::SNS::Topic', Properties: { DisplayName: 'alerts' } }, Param: param({ Ref: 'Topic' }) } } as CfnTemplate;
    await created('cs-addremove', v1);
    await sandbox.cfn.send(new CreateChangeSetCommand({ StackName: 'cs-addremove', ChangeSetName: 'swap', TemplateBody: body(v2) }));
    const answer = await waitForChangeSet(sandbox.cfn, 'cs-addremove', 'swap');
    expect(answer.Changes?.map((entry) => `${entry.ResourceChange?.Action} ${entry.ResourceChange?.LogicalResourceId} ${entry.ResourceChange?.PolicyAction ?? '-'}`)).toEqual([
      'Remove Gone Delete',
      'Remove Kept Retain',
      'Modify Param -',
      'Add Topic -',
    ]);
    // The topic's ARN is known only once it is made: no AfterValue, not a guess.
    expect(change(answer, 'Param')).toMatchObject({
      Replacement: 'False',
      Details: [{ Target: { Attribute: 'Properties', Name: 'Value', Path: '/Properties/Value', RequiresRecreation: 'Never' }, Evaluation: 'Dynamic', ChangeSource: 'ResourceReference', CausingEntity: 'Topic' }],
    });
    expect(change(answer, 'Param')?.Details).toHaveLength(1);
    const added = change(answer, 'Topic');
    expect(added).toMatchObject({ ResourceType: 'AWS::SNS::Topic', Details: [], Scope: [] });
    expect(added?.PhysicalResourceId).toBeUndefined();
    expect(JSON.parse(added?.AfterContext ?? '{}')).toEqual({ Properties: { DisplayName: 'alerts' } });
  });

  it('goes CREATE_PENDING, CREATE_IN_PROGRESS, then FAILED in AWS words when the request changes nothing, and cannot be executed', async () => {
    const slow = await startSandboxEdge({ speed: 1 });
    try {
      const client = slow.cloudFormation(ACCOUNT);
      await created('cs-same', { Resources: { Topic: { Type: 'AWS::SNS::Topic' } } } as CfnTemplate, {}, client);
      await client.send(new CreateChangeSetCommand({ StackName: 'cs-same', ChangeSetName: 'nothing', UsePreviousTemplate: true }));
      const answer = await waitForChangeSet(client, 'cs-same', 'nothing');
      expect(answer.seen).toEqual(['CREATE_PENDING', 'CREATE_IN_PROGRESS', 'FAILED']);
      expect(answer).toMatchObject({ Status: 'FAILED', StatusReason: NO_CHANGES, ExecutionStatus: 'UNAVAILABLE', Changes: [] });
      const refused = await rejectionOf(client.send(new ExecuteChangeSetCommand({ StackName: 'cs-same', ChangeSetName: 'nothing' })));
      expect(refused).toMatchObject({ name: 'InvalidChangeSetStatusException', message: `ChangeSet [${answer.ChangeSetId}] cannot be executed in its current execution status of [UNAVAILABLE]` });
    } finally {
      await slow.close();
    }
  });

  it('refuses a change set of a stack that does not exist, a name outside the pattern, and a name used twice', async () => {
    const missing = await rejectionOf(sandbox.cfn.send(new CreateChangeSetCommand({ StackName: 'cs-nowhere', ChangeSetName: 'a', TemplateBody: body(network('10.8.1.0/24')) })));
    expect(missing).toMatchObject({ name: 'ValidationError', message: 'Stack [cs-nowhere] does not exist' });
    await created('cs-names', { Resources: { Topic: { Type: 'AWS::SNS::Topic' } } } as CfnTemplate);
    const badName = await rejectionOf(sandbox.cfn.send(new CreateChangeSetCommand({ StackName: 'cs-names', ChangeSetName: '1st', UsePreviousTemplate: true })));
    expect(badName.message).toBe("1 validation error detected: Value '1st' at 'changeSetName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z][-a-zA-Z0-9]*");
    await sandbox.cfn.send(new CreateChangeSetCommand({ StackName: 'cs-names', ChangeSetName: 'twice', UsePreviousTemplate: true }));
    expect((await rejectionOf(sandbox.cfn.send(new CreateChangeSetCommand({ StackName: 'cs-names', ChangeSetName: 'twice', UsePreviousTemplate: true })))).name).toBe('AlreadyExistsException');
  });
});

describe('ExecuteChangeSet, OBSOLETE and DeleteChangeSet', () => {
  it('runs the update the change set describes (the replaced subnet gets a new id), EXECUTE_COMPLETE, and deletes the stack\'s other change sets', async () => {
    const before = await created('cs-exec', network('10.8.1.0/24'), { Retention: '7' });
    await sandbox.cfn.send(new CreateChangeSetCommand({ StackName: 'cs-exec', ChangeSetName: 'go', TemplateBody: body(network('10.8.3.0/24')), Parameters: [{ ParameterKey: 'Retention', UsePreviousValue: true }] }));
    await sandbox.cfn.send(new CreateChangeSetCommand({ StackName: 'cs-exec', ChangeSetName: 'other', UsePreviousTemplate: true, Parameters: parameters({ Retention: '14' }) }));
    const go = await waitForChangeSet(sandbox.cfn, 'cs-exec', 'go');
    await waitForChangeSet(sandbox.cfn, 'cs-exec', 'other');
    expect(go.Parameters).toEqual([{ ParameterKey: 'Retention', ParameterValue: '7' }]);

    await sandbox.cfn.send(new ExecuteChangeSetCommand({ ChangeSetName: go.ChangeSetId }));
    const after = await waitForStack(sandbox.cfn, 'cs-exec');
    expect(after.StackStatus).toBe('UPDATE_COMPLETE');
    expect(outputsOf(after)['SubnetId']).not.toBe(outputsOf(before)['SubnetId']);
    expect(outputsOf(after)['Retention']).toBe('7');
    const events = (await stackEvents(sandbox.cfn, 'cs-exec')).map((event) => `${event.LogicalResourceId} ${event.ResourceStatus} ${event.ResourceStatusReason ?? ''}`.trim());
    expect(events).toContain('Subnet UPDATE_IN_PROGRESS Requested update requires the creation of a new physical resource; hence creating one.');
    expect(events).not.toContain('Logs UPDATE_IN_PROGRESS');

    const executed = await sandbox.cfn.send(new DescribeChangeSetCommand({ StackName: 'cs-exec', ChangeSetName: 'go' }));
    expect(executed).toMatchObject({ Status: 'CREATE_COMPLETE', ExecutionStatus: 'EXECUTE_COMPLETE' });
    const { Summaries } = await sandbox.cfn.send(new ListChangeSetsCommand({ StackName: 'cs-exec' }));
    expect(Summaries?.map((summary) => `${summary.ChangeSetName} ${summary.ExecutionStatus}`)).toEqual(['go EXECUTE_COMPLETE']);
  });

  it('makes a change set OBSOLETE when the stack is updated another way, and refuses to execute it in AWS words', async () => {
    await created('cs-obsolete', network('10.8.1.0/24'), { Retention: '7' });
    await sandbox.cfn.send(new CreateChangeSetCommand({ StackName: 'cs-obsolete', ChangeSetName: 'stale', UsePreviousTemplate: true, Parameters: parameters({ Retention: '14' }) }));
    const stale = await waitForChangeSet(sandbox.cfn, 'cs-obsolete', 'stale');
    expect(stale.ExecutionStatus).toBe('AVAILABLE');
    await sandbox.cfn.send(new UpdateStackCommand({ StackName: 'cs-obsolete', UsePreviousTemplate: true, Parameters: parameters({ Retention: '30' }) }));
    expect((await waitForStack(sandbox.cfn, 'cs-obsolete')).StackStatus).toBe('UPDATE_COMPLETE');
    const { Summaries } = await sandbox.cfn.send(new ListChangeSetsCommand({ StackName: 'cs-obsolete' }));
    expect(Summaries?.map((summary) => `${summary.ChangeSetName} ${summary.Status} ${summary.ExecutionStatus}`)).toEqual(['stale CREATE_COMPLETE OBSOLETE']);
    const refused = await rejectionOf(sandbox.cfn.send(new ExecuteChangeSetCommand({ StackName: 'cs-obsolete', ChangeSetName: 'stale' })));
    expect(refused).toMatchObject({ name: 'InvalidChangeSetStatusException', message: `ChangeSet [${stale.ChangeSetId}] cannot be executed in its current execution status of [OBSOLETE]` });
    expect(outputsOf((await sandbox.cfn.send(new DescribeStacksCommand({ StackName: 'cs-obsolete' }))).Stacks?.[0])['Retention']).toBe('30');
  });

  it('holds the execution to the stack policy: an update it denies rolls back and the change set is EXECUTE_FAILED', async () => {
    const policy = { Statement: [{ Effect: 'Allow', Action: 'Update:*', Principal: '*', Resource: '*' }, { Effect: 'Deny', Action: 'Update:Modify', Principal: '*', Resource: 'LogicalResourceId/Logs' }] };
    await sandbox.cfn.send(new CreateStackCommand({ StackName: 'cs-policy', TemplateBody: body(network('10.8.1.0/24')), StackPolicyBody: JSON.stringify(policy) }));
    expect((await waitForStack(sandbox.cfn, 'cs-policy')).StackStatus).toBe('CREATE_COMPLETE');
    await sandbox.cfn.send(new CreateChangeSetCommand({ StackName: 'cs-policy', ChangeSetName: 'denied', UsePreviousTemplate: true, Parameters: parameters({ Retention: '14' }) }));
    await waitForChangeSet(sandbox.cfn, 'cs-policy', 'denied');
    await sandbox.cfn.send(new ExecuteChangeSetCommand({ StackName: 'cs-policy', ChangeSetName: 'denied' }));
    expect((await waitForStack(sandbox.cfn, 'cs-policy')).StackStatus).toBe('UPDATE_ROLLBACK_COMPLETE');
    const failed = (await stackEvents(sandbox.cfn, 'cs-policy')).find((event) => event.ResourceStatus === 'UPDATE_FAILED');
    expect(failed?.ResourceStatusReason).toBe('Action denied by stack policy: Statement [#1] does not allow [Update:Modify] for resource [LogicalResourceId/Logs]');
    expect(await sandbox.cfn.send(new DescribeChangeSetCommand({ StackName: 'cs-policy', ChangeSetName: 'denied' }))).toMatchObject({ Status: 'CREATE_COMPLETE', ExecutionStatus: 'EXECUTE_FAILED' });
  });

  it('deletes a change set: it no longer exists (ChangeSetNotFound, 404)', async () => {
    await created('cs-delete', network('10.8.1.0/24'));
    await sandbox.cfn.send(new CreateChangeSetCommand({ StackName: 'cs-delete', ChangeSetName: 'drop', UsePreviousTemplate: true, Parameters: parameters({ Retention: '14' }) }));
    await waitForChangeSet(sandbox.cfn, 'cs-delete', 'drop');
    await sandbox.cfn.send(new DeleteChangeSetCommand({ StackName: 'cs-delete', ChangeSetName: 'drop' }));
    const gone = await rejectionOf(sandbox.cfn.send(new DescribeChangeSetCommand({ StackName: 'cs-delete', ChangeSetName: 'drop' })));
    expect(gone).toMatchObject({ name: 'ChangeSetNotFoundException', message: 'ChangeSet [drop] does not exist' });
    expect(gone.$metadata?.httpStatusCode).toBe(404);
    expect((await sandbox.cfn.send(new ListChangeSetsCommand({ StackName: 'cs-delete' }))).Summaries).toEqual([]);
  });
});

describe('change sets across a restart', () => {
  it('keeps a change set in the state file: the restarted sandbox describes and executes it', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'change-sets-'));
    const stateFile = join(directory, 'sandbox.json');
    try {
      const first = await startSandboxEdge({ stateFile, speed: 0.01 });
      const before = first.cloudFormation(ACCOUNT);
      await created('cs-kept', network('10.8.1.0/24'), { Retention: '7' }, before);
      await before.send(new CreateChangeSetCommand({ StackName: 'cs-kept', ChangeSetName: 'later', UsePreviousTemplate: true, Parameters: parameters({ Retention: '90' }) }));
      const made = await waitForChangeSet(before, 'cs-kept', 'later');
      await first.close();

      const second = await startSandboxEdge({ stateFile, speed: 0.01 });
      try {
        const after = second.cloudFormation(ACCOUNT);
        const again = await after.send(new DescribeChangeSetCommand({ StackName: 'cs-kept', ChangeSetName: 'later', IncludePropertyValues: true }));
        expect(again).toMatchObject({ ChangeSetId: made.ChangeSetId, Status: 'CREATE_COMPLETE', ExecutionStatus: 'AVAILABLE' });
        expect(change(again, 'Logs')?.Details?.[0]?.Target).toMatchObject({ BeforeValue: '7', AfterValue: '90' });
        await after.send(new ExecuteChangeSetCommand({ StackName: 'cs-kept', ChangeSetName: 'later' }));
        const stack = await waitForStack(after, 'cs-kept');
        expect(stack.StackStatus).toBe('UPDATE_COMPLETE');
        expect(outputsOf(stack)['Retention']).toBe('90');
      } finally {
        await second.close();
      }
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});

describe('IAM of change sets', () => {
  it("evaluates a role session's CreateChangeSet against its role, with cloudformation:ChangeSetName, and its ExecuteChangeSet", async () => {
    const deployer = {
      Resources: {
        Role: {
          Type: 'AWS::IAM::Role',
          Properties: {
            RoleName: 'cs-deployer',
            AssumeRolePolicyDocument: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: ACCOUNT }, Action: 'sts:AssumeRole' }] },
            Policies: [
              {
                PolicyName: 'review-only',
                PolicyDocument: {
                  Version: '2012-10-17',
                  Statement: [
                    { Effect: 'Allow', NotAction: ['cloudformation:CreateChangeSet', 'cloudformation:ExecuteChangeSet'], Resource: '*' },
                    { Effect: 'Allow', Action: 'cloudformation:CreateChangeSet', Resource: '*', Condition: { StringLike: { 'cloudformation:ChangeSetName': 'review-*' } } },
                  ],
                },
              },
            ],
          },
        },
      },
      Outputs: { RoleArn: { Value: { 'Fn::GetAtt': ['Role', 'Arn'] } } },
    } as CfnTemplate;
    const roleArn = outputsOf(await created('cs-deployer', deployer))['RoleArn'] ?? '';
    const { Credentials } = await sandbox.edge.sts(ACCOUNT).send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: 'ci' }));
    const session = sandbox.edge.cloudFormation(ACCOUNT, { accessKeyId: Credentials?.AccessKeyId ?? '', secretAccessKey: Credentials?.SecretAccessKey ?? '', sessionToken: Credentials?.SessionToken ?? '' });
    await created('cs-session', network('10.8.1.0/24'), {}, session);
    const principal = `arn:aws:sts::${ACCOUNT}:assumed-role/cs-deployer/ci`;
    const stackArn = new RegExp(`on resource: arn:aws:cloudformation:us-east-1:${ACCOUNT}:stack/cs-session/`);

    const refused = await rejectionOf(session.send(new CreateChangeSetCommand({ StackName: 'cs-session', ChangeSetName: 'sneaky', UsePreviousTemplate: true, Parameters: parameters({ Retention: '14' }) })));
    expect(refused.name).toBe('AccessDenied');
    expect(refused.$metadata?.httpStatusCode).toBe(403);
    expect(refused.message).toMatch(new RegExp(`^User: ${principal} is not authorized to perform: cloudformation:CreateChangeSet ${stackArn.source}`));

    await session.send(new CreateChangeSetCommand({ StackName: 'cs-session', ChangeSetName: 'review-1', UsePreviousTemplate: true, Parameters: parameters({ Retention: '14' }) }));
    expect((await waitForChangeSet(session, 'cs-session', 'review-1')).ExecutionStatus).toBe('AVAILABLE');
    const notExecuted = await rejectionOf(session.send(new ExecuteChangeSetCommand({ StackName: 'cs-session', ChangeSetName: 'review-1' })));
    expect(notExecuted.message).toMatch(new RegExp(`^User: ${principal} is not authorized to perform: cloudformation:ExecuteChangeSet ${stackArn.source}`));
    expect((await sandbox.cfn.send(new DescribeStacksCommand({ StackName: 'cs-session' }))).Stacks?.[0]?.StackStatus).toBe('CREATE_COMPLETE');
  });
});
