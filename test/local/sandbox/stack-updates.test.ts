import {
  CancelUpdateStackCommand,
  ContinueUpdateRollbackCommand,
  CreateStackCommand,
  DeleteStackCommand,
  DescribeStacksCommand,
  ListStackResourcesCommand,
  UpdateStackCommand,
  type CloudFormationClient,
  type Parameter,
  type StackEvent,
} from '@aws-sdk/client-cloudformation';
import { AssumeRoleCommand } from '@aws-sdk/client-sts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CfnTemplate } from '../../../src/cfn/template-types';
import { sandboxForFile, startSandboxEdge, type SandboxEdge } from './sandbox-http';
import { allButOneRoleTemplate } from './stack-role-template';
import { outputsOf, rejectionOf, stackEvents, waitForStack } from './stack-waits';

/**
 * UpdateStack in the sandbox account, as CloudFormation runs it: resources updated in place, added,
 * removed and replaced in dependency order; the stack policy and the stack role's IAM policies
 * asked; a failure rolled back to the previous properties and outputs; a rollback that fails, and
 * ContinueUpdateRollback; CancelUpdateStack; a restart in the middle of an update.
 */

const ACCOUNT = '141414141414';

const sandbox = sandboxForFile(ACCOUNT, { speed: 0.01 });
afterEach(() => sandbox.edge.sandbox.faults.clear());

const body = (template: CfnTemplate) => JSON.stringify(template);
const parameters = (values: Record<string, string>): Parameter[] => Object.entries(values).map(([ParameterKey, ParameterValue]) => ({ ParameterKey, ParameterValue }));

/** A log group whose retention is a parameter, echoed as an output. */
const logsTemplate: CfnTemplate = {
  Parameters: { Retention: { Type: 'Number', Default: '7' }, Owner: { Type: 'String', Default: 'ops' } },
  Resources: { Logs: { Type: 'AWS::Logs::LogGroup', Properties: { RetentionInDays: { Ref: 'Retention' } } } },
  Outputs: { Retention: { Value: { Ref: 'Retention' } }, Owner: { Value: { Ref: 'Owner' } }, Name: { Value: { Ref: 'Logs' } } },
} as CfnTemplate;

async function created(name: string, template: CfnTemplate, values: Record<string, string> = {}, extra: Partial<ConstructorParameters<typeof CreateStackCommand>[0]> = {}) {
  await sandbox.cfn.send(new CreateStackCommand({ StackName: name, TemplateBody: body(template), Parameters: parameters(values), ...extra }));
  const stack = await waitForStack(sandbox.cfn, name);
  expect(stack.StackStatus).toBe('CREATE_COMPLETE');
  return stack;
}

/** The events since the last UpdateStack began (oldest first), as `Logical STATUS` lines. */
async function updateEvents(name: string): Promise<StackEvent[]> {
  const events = await stackEvents(sandbox.cfn, name);
  const start = events.map((event) => event.ResourceStatus === 'UPDATE_IN_PROGRESS' && event.ResourceType === 'AWS::CloudFormation::Stack').lastIndexOf(true);
  return events.slice(start);
}
const lines = (events: StackEvent[]) => events.map((event) => `${event.LogicalResourceId} ${event.ResourceStatus}`);

describe('UpdateStack', () => {
  it('updates a changed resource in place, in the update statuses, and shows LastUpdatedTime', async () => {
    const before = await created('upd-inplace', logsTemplate, { Retention: '7' });
    expect(before.LastUpdatedTime).toBeUndefined();
    const physical = outputsOf(before)['Name'];

    const answer = await sandbox.cfn.send(new UpdateStackCommand({ StackName: 'upd-inplace', TemplateBody: body(logsTemplate), Parameters: parameters({ Retention: '14' }) }));
    expect(answer.StackId).toBe(before.StackId);
    const after = await waitForStack(sandbox.cfn, 'upd-inplace');
    expect(after.StackStatus).toBe('UPDATE_COMPLETE');
    expect(after.LastUpdatedTime).toBeInstanceOf(Date);
    expect(outputsOf(after)).toEqual({ Retention: '14', Owner: 'ops', Name: physical });
    expect(lines(await updateEvents('upd-inplace'))).toEqual([
      'upd-inplace UPDATE_IN_PROGRESS',
      'Logs UPDATE_IN_PROGRESS',
      'Logs UPDATE_COMPLETE',
      'upd-inplace UPDATE_COMPLETE_CLEANUP_IN_PROGRESS',
      'upd-inplace UPDATE_COMPLETE',
    ]);
  });

  it('takes the previous template and previous values (UsePreviousTemplate, UsePreviousValue), and refuses an update that changes nothing', async () => {
    await created('upd-params', logsTemplate, { Retention: '7', Owner: 'web' });
    await sandbox.cfn.send(
      new UpdateStackCommand({ StackName: 'upd-params', UsePreviousTemplate: true, Parameters: [{ ParameterKey: 'Retention', ParameterValue: '30' }, { ParameterKey: 'Owner', UsePreviousValue: true }] }),
    );
    const after = await waitForStack(sandbox.cfn, 'upd-params');
    expect(after.StackStatus).toBe('UPDATE_COMPLETE');
    expect(outputsOf(after)).toMatchObject({ Retention: '30', Owner: 'web' });

    const same = { StackName: 'upd-params', UsePreviousTemplate: true, Parameters: [{ ParameterKey: 'Retention', UsePreviousValue: true }, { ParameterKey: 'Owner', UsePreviousValue: true }] };
    expect(await rejectionOf(sandbox.cfn.send(new UpdateStackCommand(same)))).toMatchObject({ name: 'ValidationError', message: 'No updates are to be performed.' });
    const unknown = await rejectionOf(sandbox.cfn.send(new UpdateStackCommand({ ...same, Parameters: [{ ParameterKey: 'Nope', UsePreviousValue: true }] })));
    expect(unknown.message).toBe('Invalid input for parameter key Nope. Cannot specify usePreviousValue as true for a parameter key not in the previous template');
  });

  it('refuses an update, and DeleteStack, while an update is in progress, in CloudFormation words', async () => {
    // In real time, so that the update (a log group's, about 3 s) is surely still running when the
    // next calls arrive, however loaded the machine.
    const realTime = await startSandboxEdge({ speed: 1 });
    try {
      const slow = realTime.cloudFormation(ACCOUNT);
      await slow.send(new CreateStackCommand({ StackName: 'upd-busy', TemplateBody: body(logsTemplate), Parameters: parameters({}) }));
      const stack = await waitForStack(slow, 'upd-busy');
      await slow.send(new UpdateStackCommand({ StackName: 'upd-busy', TemplateBody: body(logsTemplate), Parameters: parameters({ Retention: '14' }) }));
      const refused = await rejectionOf(slow.send(new UpdateStackCommand({ StackName: 'upd-busy', TemplateBody: body(logsTemplate), Parameters: parameters({ Retention: '30' }) })));
      expect(refused).toMatchObject({ name: 'ValidationError', message: `Stack:${stack.StackId} is in UPDATE_IN_PROGRESS state and can not be updated.` });
      const deleteRefused = await rejectionOf(slow.send(new DeleteStackCommand({ StackName: 'upd-busy' })));
      expect(deleteRefused).toMatchObject({ name: 'ValidationError', message: 'Stack [upd-busy] cannot be deleted while in status UPDATE_IN_PROGRESS' });
      expect((await waitForStack(slow, 'upd-busy')).StackStatus).toBe('UPDATE_COMPLETE');
    } finally {
      await realTime.close();
    }
  }, 60_000);

  it('creates what the template adds and, in the cleanup, deletes what it drops (a Retain one is skipped)', async () => {
    const v1 = {
      Resources: {
        Keep: { Type: 'AWS::Logs::LogGroup' },
        Gone: { Type: 'AWS::Logs::LogGroup' },
        Kept: { Type: 'AWS::Logs::LogGroup', DeletionPolicy: 'Retain' },
      },
    } as CfnTemplate;
    const v2 = { Resources: { Keep: { Type: 'AWS::Logs::LogGroup' }, Topic: { Type: 'AWS::SNS::Topic' } } } as CfnTemplate;
    await created('upd-addremove', v1);
    await sandbox.cfn.send(new UpdateStackCommand({ StackName: 'upd-addremove', TemplateBody: body(v2) }));
    expect((await waitForStack(sandbox.cfn, 'upd-addremove')).StackStatus).toBe('UPDATE_COMPLETE');
    const events = lines(await updateEvents('upd-addremove'));
    expect(events).toEqual(expect.arrayContaining(['Topic CREATE_IN_PROGRESS', 'Topic CREATE_COMPLETE', 'Gone DELETE_COMPLETE', 'Kept DELETE_SKIPPED']));
    // The dropped resources go only in the cleanup, after the new one is made.
    expect(events.indexOf('Gone DELETE_IN_PROGRESS')).toBeGreaterThan(events.indexOf('upd-addremove UPDATE_COMPLETE_CLEANUP_IN_PROGRESS'));
    expect(events.indexOf('Topic CREATE_COMPLETE')).toBeLessThan(events.indexOf('upd-addremove UPDATE_COMPLETE_CLEANUP_IN_PROGRESS'));
    expect(events).not.toContain('Keep UPDATE_IN_PROGRESS');
    const { StackResourceSummaries } = await sandbox.cfn.send(new ListStackResourcesCommand({ StackName: 'upd-addremove' }));
    expect(StackResourceSummaries?.map((resource) => resource.LogicalResourceId).sort()).toEqual(['Keep', 'Topic']);
  });

  const network = (cidr: string, description = 'web'): CfnTemplate =>
    ({
      Resources: {
        Vpc: { Type: 'AWS::EC2::VPC', Properties: { CidrBlock: '10.7.0.0/16' } },
        Subnet: { Type: 'AWS::EC2::Subnet', Properties: { VpcId: { Ref: 'Vpc' }, CidrBlock: cidr } },
        Sg: { Type: 'AWS::EC2::SecurityGroup', Properties: { GroupName: 'web-sg', GroupDescription: description, VpcId: { Ref: 'Vpc' } } },
      },
      Outputs: { SubnetId: { Value: { Ref: 'Subnet' } } },
    }) as CfnTemplate;

  it('replaces a resource whose create-only property changes: the new one first, the old one deleted in the cleanup', async () => {
    const before = await created('upd-replace', network('10.7.1.0/24'));
    const oldSubnet = outputsOf(before)['SubnetId'];
    await sandbox.cfn.send(new UpdateStackCommand({ StackName: 'upd-replace', TemplateBody: body(network('10.7.2.0/24')) }));
    const after = await waitForStack(sandbox.cfn, 'upd-replace');
    expect(after.StackStatus).toBe('UPDATE_COMPLETE');
    const newSubnet = outputsOf(after)['SubnetId'];
    expect(newSubnet).toMatch(/^subnet-0[0-9a-f]{16}$/);
    expect(newSubnet).not.toBe(oldSubnet);
    const events = await updateEvents('upd-replace');
    const subnet = events.filter((event) => event.LogicalResourceId === 'Subnet').map((event) => `${event.ResourceStatus} ${event.PhysicalResourceId} ${event.ResourceStatusReason ?? ''}`.trim());
    expect(subnet).toEqual([
      `UPDATE_IN_PROGRESS ${oldSubnet} Requested update requires the creation of a new physical resource; hence creating one.`,
      `UPDATE_IN_PROGRESS ${newSubnet} Resource creation Initiated`,
      `UPDATE_COMPLETE ${newSubnet}`,
      `DELETE_IN_PROGRESS ${oldSubnet}`,
      `DELETE_COMPLETE ${oldSubnet}`,
    ]);
    const { StackResourceSummaries } = await sandbox.cfn.send(new ListStackResourcesCommand({ StackName: 'upd-replace' }));
    expect(StackResourceSummaries?.find((resource) => resource.LogicalResourceId === 'Subnet')).toMatchObject({ PhysicalResourceId: newSubnet, ResourceStatus: 'UPDATE_COMPLETE' });
  });

  it('checks a replacement as a create: the new subnet may not overlap a live one', async () => {
    const withOther = (cidr: string) => {
      const template = network(cidr);
      delete template.Resources['Sg'];
      template.Resources['Other'] = { Type: 'AWS::EC2::Subnet', Properties: { VpcId: { Ref: 'Vpc' }, CidrBlock: '10.7.3.0/24' } };
      return template;
    };
    await created('upd-overlap', withOther('10.7.1.0/24'));
    await sandbox.cfn.send(new UpdateStackCommand({ StackName: 'upd-overlap', TemplateBody: body(withOther('10.7.3.0/25')) }));
    expect((await waitForStack(sandbox.cfn, 'upd-overlap')).StackStatus).toBe('UPDATE_ROLLBACK_COMPLETE');
    const failed = (await updateEvents('upd-overlap')).find((event) => event.ResourceStatus === 'UPDATE_FAILED');
    expect(failed).toMatchObject({ LogicalResourceId: 'Subnet', ResourceStatusReason: expect.stringContaining("The CIDR '10.7.3.0/25' conflicts with another subnet") });
  });

  it('refuses to replace a custom-named resource, and rolls back', async () => {
    await created('upd-named', network('10.7.1.0/24'));
    await sandbox.cfn.send(new UpdateStackCommand({ StackName: 'upd-named', TemplateBody: body(network('10.7.1.0/24', 'web servers')) }));
    const after = await waitForStack(sandbox.cfn, 'upd-named');
    expect(after.StackStatus).toBe('UPDATE_ROLLBACK_COMPLETE');
    const failed = (await updateEvents('upd-named')).find((event) => event.ResourceStatus === 'UPDATE_FAILED');
    expect(failed).toMatchObject({
      LogicalResourceId: 'Sg',
      ResourceStatusReason: 'CloudFormation cannot update a stack when a custom-named resource requires replacing. Rename web-sg and update the stack again.',
    });
    const rollback = (await updateEvents('upd-named')).find((event) => event.ResourceStatus === 'UPDATE_ROLLBACK_IN_PROGRESS');
    expect(rollback?.ResourceStatusReason).toBe('The following resource(s) failed to update: [Sg]. ');
  });

  it('rolls a failed update back to the previous properties, parameters and outputs', async () => {
    await created('upd-fails', logsTemplate, { Retention: '7' });
    sandbox.edge.sandbox.faults.failUpdate('AWS::Logs::LogGroup', { stackName: 'upd-fails' });
    await sandbox.cfn.send(new UpdateStackCommand({ StackName: 'upd-fails', TemplateBody: body(logsTemplate), Parameters: parameters({ Retention: '14', Owner: 'web' }) }));
    const after = await waitForStack(sandbox.cfn, 'upd-fails');
    expect(after.StackStatus).toBe('UPDATE_ROLLBACK_COMPLETE');
    expect(outputsOf(after)).toMatchObject({ Retention: '7', Owner: 'ops' });
    expect(after.Parameters?.find((parameter) => parameter.ParameterKey === 'Retention')?.ParameterValue).toBe('7');
    expect(lines(await updateEvents('upd-fails'))).toEqual([
      'upd-fails UPDATE_IN_PROGRESS',
      'Logs UPDATE_IN_PROGRESS',
      'Logs UPDATE_FAILED',
      'upd-fails UPDATE_ROLLBACK_IN_PROGRESS',
      'Logs UPDATE_IN_PROGRESS',
      'Logs UPDATE_COMPLETE',
      'upd-fails UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS',
      'upd-fails UPDATE_ROLLBACK_COMPLETE',
    ]);
    // The log group is back as it was: the original template and values change nothing.
    sandbox.edge.sandbox.faults.clear();
    const same = await rejectionOf(sandbox.cfn.send(new UpdateStackCommand({ StackName: 'upd-fails', TemplateBody: body(logsTemplate), Parameters: parameters({ Retention: '7' }) })));
    expect(same.message).toBe('No updates are to be performed.');
    // And UPDATE_ROLLBACK_COMPLETE may be updated again.
    await sandbox.cfn.send(new UpdateStackCommand({ StackName: 'upd-fails', TemplateBody: body(logsTemplate), Parameters: parameters({ Retention: '14' }) }));
    expect((await waitForStack(sandbox.cfn, 'upd-fails')).StackStatus).toBe('UPDATE_COMPLETE');
  });

  it('deletes in the rollback what a failed update added', async () => {
    const v1 = { Resources: { Logs: { Type: 'AWS::Logs::LogGroup' } } } as CfnTemplate;
    const v2 = { Resources: { Logs: { Type: 'AWS::Logs::LogGroup' }, Topic: { Type: 'AWS::SNS::Topic' }, Queue: { Type: 'AWS::SQS::Queue' } } } as CfnTemplate;
    await created('upd-addfail', v1);
    sandbox.edge.sandbox.faults.failCreate('AWS::SQS::Queue', { stackName: 'upd-addfail' });
    await sandbox.cfn.send(new UpdateStackCommand({ StackName: 'upd-addfail', TemplateBody: body(v2) }));
    expect((await waitForStack(sandbox.cfn, 'upd-addfail')).StackStatus).toBe('UPDATE_ROLLBACK_COMPLETE');
    const events = lines(await updateEvents('upd-addfail'));
    expect(events).toEqual(expect.arrayContaining(['Queue CREATE_FAILED', 'upd-addfail UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS', 'Topic DELETE_COMPLETE']));
    const { StackResourceSummaries } = await sandbox.cfn.send(new ListStackResourcesCommand({ StackName: 'upd-addfail' }));
    expect(StackResourceSummaries?.map((resource) => resource.LogicalResourceId)).toEqual(['Logs']);
  });

  it('stops in UPDATE_ROLLBACK_FAILED when a resource cannot be put back; ContinueUpdateRollback resumes it', async () => {
    await created('upd-stuck', logsTemplate);
    sandbox.edge.sandbox.faults.failUpdate('AWS::Logs::LogGroup', { stackName: 'upd-stuck' });
    sandbox.edge.sandbox.faults.failRollback('upd-stuck', { times: 1, reason: 'Log group was changed outside CloudFormation' });
    await sandbox.cfn.send(new UpdateStackCommand({ StackName: 'upd-stuck', TemplateBody: body(logsTemplate), Parameters: parameters({ Retention: '14' }) }));
    const stuck = await waitForStack(sandbox.cfn, 'upd-stuck');
    expect(stuck).toMatchObject({ StackStatus: 'UPDATE_ROLLBACK_FAILED', StackStatusReason: 'The following resource(s) failed to update: [Logs]. ' });
    expect(await rejectionOf(sandbox.cfn.send(new UpdateStackCommand({ StackName: 'upd-stuck', UsePreviousTemplate: true })))).toMatchObject({
      message: `Stack:${stuck.StackId} is in UPDATE_ROLLBACK_FAILED state and can not be updated.`,
    });
    expect((await rejectionOf(sandbox.cfn.send(new ContinueUpdateRollbackCommand({ StackName: 'upd-stuck', ResourcesToSkip: ['Nope'] })))).name).toBe('ValidationError');

    await sandbox.cfn.send(new ContinueUpdateRollbackCommand({ StackName: 'upd-stuck' }));
    const resumed = await waitForStack(sandbox.cfn, 'upd-stuck');
    expect(resumed.StackStatus).toBe('UPDATE_ROLLBACK_COMPLETE');
    expect(outputsOf(resumed)['Retention']).toBe('7');
  });

  it('skips the resources named in ResourcesToSkip', async () => {
    await created('upd-skip', logsTemplate);
    sandbox.edge.sandbox.faults.failUpdate('AWS::Logs::LogGroup', { stackName: 'upd-skip' });
    sandbox.edge.sandbox.faults.failRollback('upd-skip');
    await sandbox.cfn.send(new UpdateStackCommand({ StackName: 'upd-skip', TemplateBody: body(logsTemplate), Parameters: parameters({ Retention: '14' }) }));
    expect((await waitForStack(sandbox.cfn, 'upd-skip')).StackStatus).toBe('UPDATE_ROLLBACK_FAILED');
    await sandbox.cfn.send(new ContinueUpdateRollbackCommand({ StackName: 'upd-skip', ResourcesToSkip: ['Logs'] }));
    expect((await waitForStack(sandbox.cfn, 'upd-skip')).StackStatus).toBe('UPDATE_ROLLBACK_COMPLETE');
    const { StackResourceSummaries } = await sandbox.cfn.send(new ListStackResourcesCommand({ StackName: 'upd-skip' }));
    expect(StackResourceSummaries?.[0]?.ResourceStatus).toBe('UPDATE_COMPLETE');
  });

  it('CancelUpdateStack rolls an update in progress back, and is refused otherwise', async () => {
    // A database's modify takes minutes (360 s, here 3.6 s): time to cancel it.
    const database = (instanceClass: string) =>
      ({
        Resources: { Db: { Type: 'AWS::RDS::DBInstance', Properties: { Engine: 'mysql', EngineVersion: '8.0', DBInstanceClass: instanceClass, AllocatedStorage: '20', MasterUsername: 'admin', MasterUserPassword: 'correct-horse-battery' } } },
      }) as CfnTemplate;
    await sandbox.cfn.send(new CreateStackCommand({ StackName: 'upd-cancel', TemplateBody: body(database('db.t4g.micro')) }));
    expect((await waitForStack(sandbox.cfn, 'upd-cancel', 90_000)).StackStatus).toBe('CREATE_COMPLETE');
    expect(await rejectionOf(sandbox.cfn.send(new CancelUpdateStackCommand({ StackName: 'upd-cancel' })))).toMatchObject({ message: 'CancelUpdateStack cannot be called from current stack status' });
    await sandbox.cfn.send(new UpdateStackCommand({ StackName: 'upd-cancel', TemplateBody: body(database('db.t4g.small')) }));
    // Cancelled once the database's modify has started (before it, there is nothing to cancel).
    const deadline = Date.now() + 30_000;
    while (!(await updateEvents('upd-cancel')).some((event) => event.LogicalResourceId === 'Db' && event.ResourceStatus === 'UPDATE_IN_PROGRESS')) {
      if (Date.now() > deadline) throw new Error('the database never started updating');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await sandbox.cfn.send(new CancelUpdateStackCommand({ StackName: 'upd-cancel' }));
    expect((await waitForStack(sandbox.cfn, 'upd-cancel', 90_000)).StackStatus).toBe('UPDATE_ROLLBACK_COMPLETE');
    const events = await updateEvents('upd-cancel');
    expect(events.find((event) => event.ResourceStatus === 'UPDATE_ROLLBACK_IN_PROGRESS')?.ResourceStatusReason).toBe('Stack update cancelled');
    expect(events.find((event) => event.ResourceStatus === 'UPDATE_FAILED')).toMatchObject({ LogicalResourceId: 'Db', ResourceStatusReason: 'Resource update cancelled' });
  }, 120_000);

  it('holds the update to the stack policy; StackPolicyDuringUpdateBody overrides it for one update', async () => {
    const policy = JSON.stringify({
      Statement: [
        { Effect: 'Allow', Action: 'Update:*', Principal: '*', Resource: '*' },
        { Effect: 'Deny', Action: 'Update:Modify', Principal: '*', Resource: 'LogicalResourceId/Logs' },
      ],
    });
    await created('upd-policy', logsTemplate, {}, { StackPolicyBody: policy });
    await sandbox.cfn.send(new UpdateStackCommand({ StackName: 'upd-policy', TemplateBody: body(logsTemplate), Parameters: parameters({ Retention: '14' }) }));
    expect((await waitForStack(sandbox.cfn, 'upd-policy')).StackStatus).toBe('UPDATE_ROLLBACK_COMPLETE');
    expect((await updateEvents('upd-policy')).find((event) => event.ResourceStatus === 'UPDATE_FAILED')?.ResourceStatusReason).toBe(
      'Action denied by stack policy: Statement [#1] does not allow [Update:Modify] for resource [LogicalResourceId/Logs]',
    );

    const allowAll = JSON.stringify({ Statement: [{ Effect: 'Allow', Action: 'Update:*', Principal: '*', Resource: '*' }] });
    await sandbox.cfn.send(new UpdateStackCommand({ StackName: 'upd-policy', TemplateBody: body(logsTemplate), Parameters: parameters({ Retention: '14' }), StackPolicyDuringUpdateBody: allowAll }));
    expect((await waitForStack(sandbox.cfn, 'upd-policy')).StackStatus).toBe('UPDATE_COMPLETE');
    // The stack's own policy still holds for the next update; a resource no statement allows is protected too.
    const onlyOthers = JSON.stringify({ Statement: [{ Effect: 'Allow', Action: 'Update:*', Principal: '*', NotResource: 'LogicalResourceId/Logs' }] });
    await sandbox.cfn.send(new UpdateStackCommand({ StackName: 'upd-policy', TemplateBody: body(logsTemplate), Parameters: parameters({ Retention: '30' }), StackPolicyDuringUpdateBody: onlyOthers }));
    expect((await waitForStack(sandbox.cfn, 'upd-policy')).StackStatus).toBe('UPDATE_ROLLBACK_COMPLETE');
    expect((await updateEvents('upd-policy')).find((event) => event.ResourceStatus === 'UPDATE_FAILED')?.ResourceStatusReason).toMatch(/^Action not allowed by stack policy/);
  });

  it('refuses by stack policy the removal (Update:Delete) and the replacement (Update:Replace) of protected resources', async () => {
    const policy = JSON.stringify({
      Statement: [
        { Effect: 'Allow', Action: 'Update:*', Principal: '*', Resource: '*' },
        { Effect: 'Deny', Action: ['Update:Replace', 'Update:Delete'], Principal: '*', Resource: '*', Condition: { StringEquals: { ResourceType: ['AWS::EC2::Subnet'] } } },
      ],
    });
    const twoSubnets = network('10.7.1.0/24');
    twoSubnets.Resources['Spare'] = { Type: 'AWS::EC2::Subnet', Properties: { VpcId: { Ref: 'Vpc' }, CidrBlock: '10.7.9.0/24' } };
    delete twoSubnets.Resources['Sg'];
    await created('upd-protected', twoSubnets, {}, { StackPolicyBody: policy });

    const withoutSpare = network('10.7.1.0/24');
    delete withoutSpare.Resources['Sg'];
    await sandbox.cfn.send(new UpdateStackCommand({ StackName: 'upd-protected', TemplateBody: body(withoutSpare) }));
    expect((await waitForStack(sandbox.cfn, 'upd-protected')).StackStatus).toBe('UPDATE_ROLLBACK_COMPLETE');
    expect((await updateEvents('upd-protected')).find((event) => event.ResourceStatus === 'UPDATE_FAILED')).toMatchObject({
      LogicalResourceId: 'Spare',
      ResourceStatusReason: 'Action denied by stack policy: Statement [#1] does not allow [Update:Delete] for resource [LogicalResourceId/Spare]',
    });

    twoSubnets.Resources['Subnet'] = { Type: 'AWS::EC2::Subnet', Properties: { VpcId: { Ref: 'Vpc' }, CidrBlock: '10.7.2.0/24' } };
    await sandbox.cfn.send(new UpdateStackCommand({ StackName: 'upd-protected', TemplateBody: body(twoSubnets) }));
    expect((await waitForStack(sandbox.cfn, 'upd-protected')).StackStatus).toBe('UPDATE_ROLLBACK_COMPLETE');
    expect((await updateEvents('upd-protected')).find((event) => event.ResourceStatus === 'UPDATE_FAILED')?.ResourceStatusReason).toBe(
      'Action denied by stack policy: Statement [#1] does not allow [Update:Replace] for resource [LogicalResourceId/Subnet]',
    );
    const { StackResourceSummaries } = await sandbox.cfn.send(new ListStackResourcesCommand({ StackName: 'upd-protected' }));
    expect(StackResourceSummaries?.map((resource) => resource.LogicalResourceId).sort()).toEqual(['Spare', 'Subnet', 'Vpc']);
  });

  it("fails a resource whose update handler's action the stack role may not call", async () => {
    await sandbox.cfn.send(new CreateStackCommand({ StackName: 'upd-role', TemplateBody: allButOneRoleTemplate('upd-no-delete-retention', 'logs:DeleteRetentionPolicy'), Capabilities: ['CAPABILITY_NAMED_IAM'] }));
    const roleArn = outputsOf(await waitForStack(sandbox.cfn, 'upd-role'))['RoleArn'];
    await created('upd-iam', logsTemplate, {}, { RoleARN: roleArn });
    await sandbox.cfn.send(new UpdateStackCommand({ StackName: 'upd-iam', TemplateBody: body(logsTemplate), Parameters: parameters({ Retention: '14' }) }));
    expect((await waitForStack(sandbox.cfn, 'upd-iam')).StackStatus).toBe('UPDATE_ROLLBACK_COMPLETE');
    const failed = (await updateEvents('upd-iam')).find((event) => event.ResourceStatus === 'UPDATE_FAILED');
    expect(failed?.ResourceStatusReason).toMatch(/is not authorized to perform: logs:DeleteRetentionPolicy on resource: arn:aws:logs:us-east-1:141414141414:log-group:/);
  });

  it('evaluates a role session\'s UpdateStack against its role, as CreateStack', async () => {
    const deployer = {
      Resources: {
        Role: {
          Type: 'AWS::IAM::Role',
          Properties: {
            RoleName: 'upd-deployer',
            AssumeRolePolicyDocument: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: ACCOUNT }, Action: 'sts:AssumeRole' }] },
            Policies: [{ PolicyName: 'create-only', PolicyDocument: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', NotAction: 'cloudformation:UpdateStack', Resource: '*' }] } }],
          },
        },
      },
      Outputs: { RoleArn: { Value: { 'Fn::GetAtt': ['Role', 'Arn'] } } },
    } as CfnTemplate;
    await created('upd-deployer', deployer, {}, { Capabilities: ['CAPABILITY_NAMED_IAM'] });
    const roleArn = outputsOf((await sandbox.cfn.send(new DescribeStacksCommand({ StackName: 'upd-deployer' }))).Stacks?.[0])['RoleArn'];
    const { Credentials } = await sandbox.edge.sts(ACCOUNT).send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: 'ci' }));
    const session = sandbox.edge.cloudFormation(ACCOUNT, { accessKeyId: Credentials?.AccessKeyId ?? '', secretAccessKey: Credentials?.SecretAccessKey ?? '', sessionToken: Credentials?.SessionToken ?? '' });
    await session.send(new CreateStackCommand({ StackName: 'upd-session', TemplateBody: body(logsTemplate) }));
    expect((await waitForStack(session, 'upd-session')).StackStatus).toBe('CREATE_COMPLETE');

    const refused = await rejectionOf(session.send(new UpdateStackCommand({ StackName: 'upd-session', TemplateBody: body(logsTemplate), Parameters: parameters({ Retention: '14' }) })));
    expect(refused.name).toBe('AccessDenied');
    expect(refused.$metadata?.httpStatusCode).toBe(403);
    expect(refused.message).toMatch(
      new RegExp(`^User: arn:aws:sts::${ACCOUNT}:assumed-role/upd-deployer/ci is not authorized to perform: cloudformation:UpdateStack on resource: arn:aws:cloudformation:us-east-1:${ACCOUNT}:stack/upd-session/`),
    );
    expect((await waitForStack(session, 'upd-session')).StackStatus).toBe('CREATE_COMPLETE');
  });

  it('rolls back an update that changes an export another stack imports', async () => {
    const exporter = (value: string) => ({ Resources: { Logs: { Type: 'AWS::Logs::LogGroup' } }, Outputs: { Shared: { Value: value, Export: { Name: 'upd-shared' } } } }) as CfnTemplate;
    await created('upd-exporter', exporter('one'));
    await created('upd-importer', { Resources: { Param: { Type: 'AWS::SSM::Parameter', Properties: { Type: 'String', Value: { 'Fn::ImportValue': 'upd-shared' } } } } } as CfnTemplate);
    await sandbox.cfn.send(new UpdateStackCommand({ StackName: 'upd-exporter', TemplateBody: body(exporter('two')) }));
    expect((await waitForStack(sandbox.cfn, 'upd-exporter')).StackStatus).toBe('UPDATE_ROLLBACK_COMPLETE');
    const rollback = (await updateEvents('upd-exporter')).find((event) => event.ResourceStatus === 'UPDATE_ROLLBACK_IN_PROGRESS');
    expect(rollback?.ResourceStatusReason).toBe('Cannot update export upd-shared as it is in use by upd-importer.');
    const { Stacks } = await sandbox.cfn.send(new DescribeStacksCommand({ StackName: 'upd-exporter' }));
    expect(outputsOf(Stacks?.[0])['Shared']).toBe('one');
  });
});

describe('custom resources in an update', () => {
  const TOPIC = 'arn:aws:sns:us-east-1:000000000000:things';
  const requests: Array<{ RequestType: string; PhysicalResourceId?: string; ResourceProperties: Record<string, string>; OldResourceProperties?: Record<string, string> }> = [];
  let customEdge: SandboxEdge;
  let client: CloudFormationClient;
  beforeAll(async () => {
    // The handler: its physical id follows Name, it answers Colour as Data, and it refuses red.
    customEdge = await startSandboxEdge({
      speed: 0.01,
      hooks: {
        putEvent: async () => undefined,
        async publishToTopic(_topic, message) {
          const request = JSON.parse(message) as (typeof requests)[number] & { ResponseURL: string; StackId: string; RequestId: string; LogicalResourceId: string };
          requests.push(request);
          const refused = request.ResourceProperties['Colour'] === 'red' && request.RequestType !== 'Delete';
          setTimeout(() => {
            void fetch(request.ResponseURL, {
              method: 'PUT',
              body: JSON.stringify({
                Status: refused ? 'FAILED' : 'SUCCESS',
                Reason: refused ? 'red is not a colour we paint' : undefined,
                PhysicalResourceId: `thing-${request.ResourceProperties['Name'] ?? ''}`,
                StackId: request.StackId,
                RequestId: request.RequestId,
                LogicalResourceId: request.LogicalResourceId,
                Data: { Colour: request.ResourceProperties['Colour'] },
              }),
            });
          }, 5);
        },
      },
    });
    client = customEdge.cloudFormation(ACCOUNT);
  });
  afterAll(async () => customEdge.close());

  const thing = (colour: string, name: string) =>
    body({
      Resources: { Thing: { Type: 'Custom::Thing', Properties: { ServiceToken: TOPIC, Colour: colour, Name: name } } },
      Outputs: { Colour: { Value: { 'Fn::GetAtt': ['Thing', 'Colour'] } }, Id: { Value: { Ref: 'Thing' } } },
    } as CfnTemplate);

  it('sends the handler an Update with the old properties; a new physical id replaces it, and the old one gets its Delete', async () => {
    await client.send(new CreateStackCommand({ StackName: 'upd-custom', TemplateBody: thing('blue', 'a') }));
    expect((await waitForStack(client, 'upd-custom')).StackStatus).toBe('CREATE_COMPLETE');

    await client.send(new UpdateStackCommand({ StackName: 'upd-custom', TemplateBody: thing('green', 'a') }));
    const painted = await waitForStack(client, 'upd-custom');
    expect(painted.StackStatus).toBe('UPDATE_COMPLETE');
    expect(outputsOf(painted)).toEqual({ Colour: 'green', Id: 'thing-a' });
    expect(requests.at(-1)).toMatchObject({ RequestType: 'Update', PhysicalResourceId: 'thing-a', ResourceProperties: { Colour: 'green' }, OldResourceProperties: { Colour: 'blue' } });

    await client.send(new UpdateStackCommand({ StackName: 'upd-custom', TemplateBody: thing('green', 'b') }));
    const renamed = await waitForStack(client, 'upd-custom');
    expect(outputsOf(renamed)).toEqual({ Colour: 'green', Id: 'thing-b' });
    expect(requests.slice(-2).map((request) => `${request.RequestType} ${request.PhysicalResourceId ?? ''}`)).toEqual(['Update thing-a', 'Delete thing-a']);
  });

  it('fails the update on a FAILED answer and asks the handler to put the old properties back', async () => {
    await client.send(new UpdateStackCommand({ StackName: 'upd-custom', TemplateBody: thing('red', 'b') }));
    const after = await waitForStack(client, 'upd-custom');
    expect(after.StackStatus).toBe('UPDATE_ROLLBACK_COMPLETE');
    expect(outputsOf(after)).toEqual({ Colour: 'green', Id: 'thing-b' });
    const failed = (await stackEvents(client, 'upd-custom')).filter((event) => event.ResourceStatus === 'UPDATE_FAILED').at(-1);
    expect(failed?.ResourceStatusReason).toMatch(/^Received response status \[FAILED\] from custom resource\. Message returned: red is not a colour we paint \(RequestId: [0-9a-f-]+\)$/);
    expect(requests.at(-1)).toMatchObject({ RequestType: 'Update', ResourceProperties: { Colour: 'green' }, OldResourceProperties: { Colour: 'red' } });
  });
});

describe('an update across a restart', () => {
  let directory: string;
  beforeAll(() => {
    directory = mkdtempSync(join(tmpdir(), 'groundwork-sandbox-update-'));
  });
  afterAll(() => rmSync(directory, { recursive: true, force: true }));

  it('carries on the update where the stopped sandbox left it', async () => {
    const stateFile = join(directory, 'sandbox.json');
    // Real time: the log group's update takes 3 s, and the sandbox stops in the middle of it.
    const first = await startSandboxEdge({ speed: 1, stateFile });
    const client = first.cloudFormation(ACCOUNT);
    await client.send(new CreateStackCommand({ StackName: 'upd-restart', TemplateBody: body(logsTemplate) }));
    expect((await waitForStack(client, 'upd-restart')).StackStatus).toBe('CREATE_COMPLETE');
    await client.send(new UpdateStackCommand({ StackName: 'upd-restart', TemplateBody: body(logsTemplate), Parameters: parameters({ Retention: '14' }) }));
    for (;;) {
      const events = await stackEvents(client, 'upd-restart');
      if (events.some((event) => event.LogicalResourceId === 'Logs' && event.ResourceStatus === 'UPDATE_IN_PROGRESS')) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await first.close();

    const second = await startSandboxEdge({ speed: 1, stateFile });
    try {
      const again = second.cloudFormation(ACCOUNT);
      // Stopped mid-update, so whatever finished it ran in this sandbox (however slow the restart was).
      const { Stacks } = await again.send(new DescribeStacksCommand({ StackName: 'upd-restart' }));
      expect(Stacks?.[0]?.StackStatus).toMatch(/^UPDATE_(IN_PROGRESS|COMPLETE_CLEANUP_IN_PROGRESS|COMPLETE)$/);
      const after = await waitForStack(again, 'upd-restart');
      expect(after.StackStatus).toBe('UPDATE_COMPLETE');
      expect(outputsOf(after)['Retention']).toBe('14');
    } finally {
      await second.close();
    }
  }, 60_000);
});
