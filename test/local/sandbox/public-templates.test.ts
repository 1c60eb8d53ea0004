import { DeleteStackCommand, DescribeStackResourcesCommand, DescribeStacksCommand, ListStacksCommand } from '@aws-sdk/client-cloudformation';
import { PUBLIC_TEMPLATES, REFUSED_PUBLIC_TEMPLATES, createPublicStack } from './public-templates';
import { sandboxForFile } from './sandbox-http';
import { outputsOf, stackEvents, waitForStack } from './stack-waits';

/**
 * The public-template corpus (test/fixtures/public-templates): CloudFormation templates nobody on
 * the project wrote, deployed through the SDK's CloudFormation client as their users would (parents
 * first, parameters as given by hand), each to CREATE_COMPLETE with outputs of the shape AWS gives,
 * then all deleted, children first, to DELETE_COMPLETE — nested stacks included. Templates AWS
 * would refuse (a retired database version, a retired Lambda runtime) are refused alike: the stack
 * rolls back with the service's words on the resource AWS fails, and deletes.
 */

const ACCOUNT = '222233334444';

const sandbox = sandboxForFile(ACCOUNT);

describe('public CloudFormation templates in the sandbox account', () => {
  test.each(PUBLIC_TEMPLATES.map((entry) => [entry.stack, entry.file, entry] as const))('%s (%s) deploys', async (_name, _file, entry) => {
    await createPublicStack(sandbox.edge, sandbox.cfn, entry);
    const stack = await waitForStack(sandbox.cfn, entry.stack);
    const failures = (await stackEvents(sandbox.cfn, entry.stack)).filter((event) => event.ResourceStatus === 'CREATE_FAILED').map((event) => `${event.LogicalResourceId}: ${event.ResourceStatusReason}`);
    expect({ status: stack.StackStatus, failures }).toEqual({ status: 'CREATE_COMPLETE', failures: [] });

    const outputs = outputsOf(stack);
    for (const [key, shape] of Object.entries(entry.outputs ?? {})) expect({ [key]: outputs[key] }).toEqual({ [key]: expect.stringMatching(shape) });
    const { StackResources } = await sandbox.cfn.send(new DescribeStackResourcesCommand({ StackName: entry.stack }));
    const physicalIds = Object.fromEntries((StackResources ?? []).map((resource) => [resource.LogicalResourceId, resource.PhysicalResourceId]));
    for (const [logicalId, shape] of Object.entries(entry.resources ?? {})) expect({ [logicalId]: physicalIds[logicalId] }).toEqual({ [logicalId]: expect.stringMatching(shape) });
  });

  test.each(REFUSED_PUBLIC_TEMPLATES.map((entry) => [entry.stack, entry.file, entry] as const))('%s (%s) is refused as AWS refuses it', async (_name, _file, entry) => {
    await createPublicStack(sandbox.edge, sandbox.cfn, entry);
    const stack = await waitForStack(sandbox.cfn, entry.stack);
    const failed = (await stackEvents(sandbox.cfn, entry.stack)).filter((event) => event.ResourceStatus === 'CREATE_FAILED' && event.LogicalResourceId === entry.refused.resource);
    expect({ status: stack.StackStatus, reasons: failed.map((event) => event.ResourceStatusReason) }).toEqual({ status: 'ROLLBACK_COMPLETE', reasons: [expect.stringMatching(entry.refused.reason)] });

    await sandbox.cfn.send(new DeleteStackCommand({ StackName: stack.StackId }));
    expect((await waitForStack(sandbox.cfn, stack.StackId ?? entry.stack)).StackStatus).toBe('DELETE_COMPLETE');
  });

  test('every stack deletes to DELETE_COMPLETE, children before their parents, nested stacks with them', async () => {
    for (const entry of [...PUBLIC_TEMPLATES].reverse()) {
      const { Stacks } = await sandbox.cfn.send(new DescribeStacksCommand({ StackName: entry.stack }));
      const stackId = Stacks?.[0]?.StackId ?? entry.stack;
      await sandbox.cfn.send(new DeleteStackCommand({ StackName: entry.stack }));
      const deleted = await waitForStack(sandbox.cfn, stackId);
      expect({ stack: entry.stack, status: deleted.StackStatus }).toEqual({ stack: entry.stack, status: 'DELETE_COMPLETE' });
    }
    // Nothing is left: the nested stacks went with their parents.
    const { StackSummaries } = await sandbox.cfn.send(new ListStacksCommand({}));
    const nested = (StackSummaries ?? []).filter((summary) => summary.ParentId !== undefined);
    expect(nested.length).toBeGreaterThanOrEqual(3);
    expect((StackSummaries ?? []).filter((summary) => summary.StackStatus !== 'DELETE_COMPLETE').map((summary) => `${summary.StackName} ${summary.StackStatus}`)).toEqual([]);
  });
});
