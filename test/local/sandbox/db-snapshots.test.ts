import { CreateStackCommand, DeleteStackCommand, UpdateStackCommand, type CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { DeleteDBSnapshotCommand, DescribeDBClusterSnapshotsCommand, DescribeDBSnapshotsCommand, type DBSnapshot } from '@aws-sdk/client-rds';
import { AssumeRoleCommand } from '@aws-sdk/client-sts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSandboxEdge, type SandboxEdge } from './sandbox-http';
import { allButOneRoleTemplate } from './stack-role-template';
import { outputsOf, rejectionOf, stackEvents, waitForStack } from './stack-waits';

/**
 * Data is sacred (issue 14): a database deleted under `DeletionPolicy: Snapshot` (the default for an
 * RDS instance outside a cluster) or replaced under `UpdateReplacePolicy: Snapshot` leaves a manual DB
 * snapshot named as CloudFormation's RDS handler names it, listed by DescribeDBSnapshots until the
 * customer deletes it, kept across a restart; the stack role must be allowed to make it.
 */

const ACCOUNT = '444455556666';
/** A fast clock: an instance's create (480 s) and delete with its snapshot (360 + 240 s) take about a second. */
const SPEED = 0.002;

let directory: string;
let stateFile: string;
let edge: SandboxEdge;
let cfn: CloudFormationClient;

beforeAll(async () => {
  directory = mkdtempSync(join(tmpdir(), 'groundwork-snapshots-'));
  stateFile = join(directory, 'sandbox.json');
  edge = await startSandboxEdge({ speed: SPEED, stateFile });
  cfn = edge.cloudFormation(ACCOUNT);
});

afterAll(async () => {
  await edge.close();
  rmSync(directory, { recursive: true, force: true });
});

function databaseTemplate(policies: { DeletionPolicy?: string; UpdateReplacePolicy?: string }, properties: Record<string, unknown> = {}): string {
  return JSON.stringify({
    Resources: {
      Database: {
        Type: 'AWS::RDS::DBInstance',
        ...policies,
        Properties: { Engine: 'postgres', EngineVersion: '16.13', DBInstanceClass: 'db.t3.micro', AllocatedStorage: '20', StorageType: 'gp3', MasterUsername: 'app', MasterUserPassword: 'correct-horse-9', DBName: 'shop', ...properties },
      },
    },
  });
}

async function snapshotsOf(instance: string): Promise<DBSnapshot[]> {
  const { DBSnapshots } = await edge.rds(ACCOUNT).send(new DescribeDBSnapshotsCommand({ DBInstanceIdentifier: instance }));
  return DBSnapshots ?? [];
}

/** Creates the stack; its instance's identifier, and its stack id (a deleted stack is described by id). */
async function created(name: string, template: string, roleArn?: string): Promise<[string, string]> {
  const { StackId } = await cfn.send(new CreateStackCommand({ StackName: name, TemplateBody: template, ...(roleArn === undefined ? {} : { RoleARN: roleArn }) }));
  const status = (await waitForStack(cfn, name)).StackStatus;
  const events = await stackEvents(cfn, name);
  expect([status, events.find((event) => event.ResourceStatus === 'CREATE_FAILED')?.ResourceStatusReason]).toEqual(['CREATE_COMPLETE', undefined]);
  return [events.find((event) => event.LogicalResourceId === 'Database' && event.ResourceStatus === 'CREATE_COMPLETE')?.PhysicalResourceId ?? '', StackId ?? ''];
}

describe('final DB snapshots', () => {
  it('leaves a manual snapshot, named <stack>-snapshot-<logical id>-<12>, when a stack deletes a Snapshot-policy instance', async () => {
    // Prepare
    const [instance, prod] = await created('Shop-Prod', databaseTemplate({ DeletionPolicy: 'Snapshot' }));
    // Act
    const began = Date.now();
    await cfn.send(new DeleteStackCommand({ StackName: 'Shop-Prod' }));
    const stack = await waitForStack(cfn, prod);
    // Assert: the delete took the snapshot's time too
    expect(stack.StackStatus).toBe('DELETE_COMPLETE');
    expect(Date.now() - began).toBeGreaterThanOrEqual((360 + 240) * 1000 * SPEED - 5);
    const [snapshot, ...others] = await snapshotsOf(instance);
    expect(others).toEqual([]);
    expect(snapshot?.DBSnapshotIdentifier).toMatch(/^shop-prod-snapshot-database-[a-z0-9]{12}$/);
    expect(snapshot).toMatchObject({ DBInstanceIdentifier: instance, Engine: 'postgres', EngineVersion: '16.13', AllocatedStorage: 20, StorageType: 'gp3', SnapshotType: 'manual', Status: 'available' });
    expect(snapshot?.DBSnapshotArn).toBe(`arn:aws:rds:us-east-1:${ACCOUNT}:snapshot:${snapshot?.DBSnapshotIdentifier}`);
  });

  it('leaves none when the policy is Delete', async () => {
    const [instance, scratch] = await created('shop-scratch', databaseTemplate({ DeletionPolicy: 'Delete' }));
    await cfn.send(new DeleteStackCommand({ StackName: 'shop-scratch' }));
    expect((await waitForStack(cfn, scratch)).StackStatus).toBe('DELETE_COMPLETE');
    expect(await snapshotsOf(instance)).toEqual([]);
  });

  it('snapshots the old instance an update replaces under UpdateReplacePolicy Snapshot', async () => {
    // Prepare
    const [before] = await created('shop-replace', databaseTemplate({ DeletionPolicy: 'Delete', UpdateReplacePolicy: 'Snapshot' }));
    // Act: DBName is create-only, so the instance is replaced
    await cfn.send(new UpdateStackCommand({ StackName: 'shop-replace', TemplateBody: databaseTemplate({ DeletionPolicy: 'Delete', UpdateReplacePolicy: 'Snapshot' }, { DBName: 'store' }) }));
    // Assert
    expect((await waitForStack(cfn, 'shop-replace')).StackStatus).toBe('UPDATE_COMPLETE');
    const [snapshot] = await snapshotsOf(before);
    expect(snapshot?.DBSnapshotIdentifier).toMatch(/^shop-replace-snapshot-database-[a-z0-9]{12}$/);
    expect(snapshot?.Engine).toBe('postgres');
  });

  it('fails the delete in IAM words when the stack role may not make the snapshot, and the instance stays', async () => {
    // Prepare
    await cfn.send(new CreateStackCommand({ StackName: 'no-snapshot-role', TemplateBody: allButOneRoleTemplate('groundwork-no-snapshot', 'rds:CreateDBSnapshot'), Capabilities: ['CAPABILITY_NAMED_IAM'] }));
    const roleArn = outputsOf(await waitForStack(cfn, 'no-snapshot-role'))['RoleArn'] ?? '';
    const [kept] = await created('shop-denied', databaseTemplate({ DeletionPolicy: 'Snapshot' }), roleArn);
    const [dropped, droppedStack] = await created('shop-dropped', databaseTemplate({ DeletionPolicy: 'Delete' }), roleArn);
    // Act
    await cfn.send(new DeleteStackCommand({ StackName: 'shop-denied' }));
    await cfn.send(new DeleteStackCommand({ StackName: 'shop-dropped' }));
    // Assert: a delete without snapshot needs no rds:CreateDBSnapshot
    expect((await waitForStack(cfn, droppedStack)).StackStatus).toBe('DELETE_COMPLETE');
    expect((await waitForStack(cfn, 'shop-denied')).StackStatus).toBe('DELETE_FAILED');
    const failure = (await stackEvents(cfn, 'shop-denied')).find((event) => event.LogicalResourceId === 'Database' && event.ResourceStatus === 'DELETE_FAILED');
    expect(failure?.ResourceStatusReason).toContain(`is not authorized to perform: rds:CreateDBSnapshot on resource: arn:aws:rds:us-east-1:${ACCOUNT}:db:${kept}`);
    expect(failure?.ResourceStatusReason).toContain('(Service: Rds, Status Code: 403');
    expect(await snapshotsOf(kept)).toEqual([]);
    expect(await snapshotsOf(dropped)).toEqual([]);
  });

  it('restores an instance from a snapshot that exists, and fails one naming none in RDS words', async () => {
    const [instance, source] = await created('shop-source', databaseTemplate({}));
    await cfn.send(new DeleteStackCommand({ StackName: 'shop-source' }));
    expect((await waitForStack(cfn, source)).StackStatus).toBe('DELETE_COMPLETE');
    // No DeletionPolicy: an RDS instance outside a cluster is snapshotted by default.
    const [snapshot] = await snapshotsOf(instance);
    const identifier = snapshot?.DBSnapshotIdentifier ?? '';
    expect(identifier).toMatch(/^shop-source-snapshot-database-/);

    await created('shop-restored', databaseTemplate({ DeletionPolicy: 'Delete' }, { DBSnapshotIdentifier: identifier }));
    await cfn.send(new CreateStackCommand({ StackName: 'shop-unknown', TemplateBody: databaseTemplate({ DeletionPolicy: 'Delete' }, { DBSnapshotIdentifier: 'no-such-snapshot' }) }));
    expect((await waitForStack(cfn, 'shop-unknown')).StackStatus).toBe('ROLLBACK_COMPLETE');
    const failure = (await stackEvents(cfn, 'shop-unknown')).find((event) => event.ResourceStatus === 'CREATE_FAILED');
    expect(failure?.ResourceStatusReason).toContain('DBSnapshot not found: no-such-snapshot (Service: Rds, Status Code: 404');
  });

  it('leaves a cluster snapshot when a stack deletes an Aurora cluster with no DeletionPolicy (its default is Snapshot)', async () => {
    // Prepare
    const template = JSON.stringify({
      Resources: { Cluster: { Type: 'AWS::RDS::DBCluster', Properties: { Engine: 'aurora-postgresql', MasterUsername: 'app', MasterUserPassword: 'correct-horse-9' } } },
    });
    const { StackId } = await cfn.send(new CreateStackCommand({ StackName: 'shop-aurora', TemplateBody: template }));
    expect((await waitForStack(cfn, 'shop-aurora')).StackStatus).toBe('CREATE_COMPLETE');
    // Act
    await cfn.send(new DeleteStackCommand({ StackName: 'shop-aurora' }));
    // Assert
    expect((await waitForStack(cfn, StackId ?? '')).StackStatus).toBe('DELETE_COMPLETE');
    const { DBClusterSnapshots } = await edge.rds(ACCOUNT).send(new DescribeDBClusterSnapshotsCommand({}));
    expect(DBClusterSnapshots?.map((snapshot) => [snapshot.DBClusterSnapshotIdentifier?.replace(/[a-z0-9]{12}$/, '…'), snapshot.Engine, snapshot.SnapshotType])).toEqual([['shop-aurora-snapshot-cluster-…', 'aurora-postgresql', 'manual']]);
  });

  it('pages and filters DescribeDBSnapshots, and answers DBSnapshotNotFound for one that does not exist', async () => {
    const rds = edge.rds(ACCOUNT);
    const all = (await rds.send(new DescribeDBSnapshotsCommand({}))).DBSnapshots ?? [];
    expect(all.length).toBeGreaterThanOrEqual(3);
    const first = await rds.send(new DescribeDBSnapshotsCommand({ MaxRecords: 20 }));
    expect(first.DBSnapshots?.length).toBe(all.length);
    expect((await rds.send(new DescribeDBSnapshotsCommand({ SnapshotType: 'automated' }))).DBSnapshots).toEqual([]);
    const one = all[0]?.DBSnapshotIdentifier ?? '';
    expect((await rds.send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: one }))).DBSnapshots?.map((snapshot) => snapshot.DBSnapshotIdentifier)).toEqual([one]);
    const missing = await rejectionOf(rds.send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: 'nothing-here' })));
    expect(missing.name).toBe('DBSnapshotNotFoundFault');
    expect(missing.message).toBe('DBSnapshot not found: nothing-here');
  });

  it('holds a role session to its policy: it may list the snapshots but not delete one its role does not allow', async () => {
    // Prepare: a role of the account that may describe snapshots only
    const readerTemplate = JSON.stringify({
      Resources: {
        Role: {
          Type: 'AWS::IAM::Role',
          Properties: {
            RoleName: 'snapshot-reader',
            AssumeRolePolicyDocument: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: ACCOUNT }, Action: 'sts:AssumeRole' }] },
            Policies: [{ PolicyName: 'read-snapshots', PolicyDocument: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'rds:DescribeDBSnapshots', Resource: '*' }] } }],
          },
        },
      },
      Outputs: { RoleArn: { Value: { 'Fn::GetAtt': ['Role', 'Arn'] } } },
    });
    await cfn.send(new CreateStackCommand({ StackName: 'snapshot-reader', TemplateBody: readerTemplate, Capabilities: ['CAPABILITY_NAMED_IAM'] }));
    const roleArn = outputsOf(await waitForStack(cfn, 'snapshot-reader'))['RoleArn'] ?? '';
    const { Credentials } = await edge.sts(ACCOUNT).send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: 'reader' }));
    const reader = edge.rds(ACCOUNT, { accessKeyId: Credentials?.AccessKeyId ?? '', secretAccessKey: Credentials?.SecretAccessKey ?? '', sessionToken: Credentials?.SessionToken ?? '' });
    // Act
    const listed = (await reader.send(new DescribeDBSnapshotsCommand({}))).DBSnapshots ?? [];
    const target = listed[0]?.DBSnapshotIdentifier ?? '';
    const refused = await rejectionOf(reader.send(new DeleteDBSnapshotCommand({ DBSnapshotIdentifier: target })));
    // Assert
    expect(listed.length).toBeGreaterThan(0);
    expect(refused.$metadata?.httpStatusCode).toBe(403);
    expect(refused.message).toContain(`is not authorized to perform: rds:DeleteDBSnapshot on resource: arn:aws:rds:us-east-1:${ACCOUNT}:snapshot:${target}`);
    expect((await snapshotsOf(listed[0]?.DBInstanceIdentifier ?? '')).map((snapshot) => snapshot.DBSnapshotIdentifier)).toContain(target);
  });

  it('deletes a snapshot with DeleteDBSnapshot; the others survive a restart', async () => {
    // Prepare
    const rds = edge.rds(ACCOUNT);
    const all = (await rds.send(new DescribeDBSnapshotsCommand({}))).DBSnapshots ?? [];
    const [gone, ...kept] = all.map((snapshot) => snapshot.DBSnapshotIdentifier ?? '');
    // Act
    const { DBSnapshot: deleted } = await rds.send(new DeleteDBSnapshotCommand({ DBSnapshotIdentifier: gone }));
    const again = await rejectionOf(rds.send(new DeleteDBSnapshotCommand({ DBSnapshotIdentifier: gone })));
    await edge.close();
    edge = await startSandboxEdge({ speed: SPEED, stateFile });
    // Assert
    expect(deleted?.Status).toBe('deleted');
    expect(again.name).toBe('DBSnapshotNotFoundFault');
    const after = (await edge.rds(ACCOUNT).send(new DescribeDBSnapshotsCommand({}))).DBSnapshots ?? [];
    expect(after.map((snapshot) => snapshot.DBSnapshotIdentifier)).toEqual(kept);
    expect(after.every((snapshot) => snapshot.Status === 'available' && snapshot.SnapshotType === 'manual')).toBe(true);
  });
});
