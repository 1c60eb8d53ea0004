import { CreateStackCommand, DeleteStackCommand, type CloudFormationClient, type Stack } from '@aws-sdk/client-cloudformation';
import { readFileSync } from 'node:fs';
import { buildStackTemplates } from '../../../src/templates/build-stack-templates';
import { templateInput } from '../../templates/fixtures';
import { deployComponents } from './deploy-components';
import { answeringOnboardingHooks, onboardAccount } from './onboard-account';
import { startSandboxEdge, type SandboxEdge } from './sandbox-http';
import { allButOneRoleTemplate } from './stack-role-template';
import { stackEvents, waitForStack } from './stack-waits';

/**
 * The HTTP API's access logs in an account onboarded with the real cfn/onboarding-role.yaml: API
 * Gateway sets up the log delivery as the stack's role, which holds logs:CreateLogDelivery but not the
 * account-wide logs:PutResourcePolicy, so the delivery policy must already cover the log group. The
 * onboarding stack makes it in its own region; another allowed region needs
 * cfn/api-access-log-delivery.yaml (decision 0018).
 */

const ACCOUNT = '444455556666';
const GROUNDWORK_ACCOUNT_ID = 'acc_abcdefghij0123456789';
const EXTERNAL_ID = 'ext-0123456789abcdef0123456789abcdef';
const read = (path: string) => readFileSync(new URL(`../../../cfn/${path}`, import.meta.url), 'utf8');
const US_EAST_2_ZONES = ['us-east-2a', 'us-east-2b', 'us-east-2c'];

let edge: SandboxEdge;
let root: CloudFormationClient;
let accessIn: (region: string) => CloudFormationClient;
let executionRoleArn: string;

beforeAll(async () => {
  edge = await startSandboxEdge({ hooks: answeringOnboardingHooks(GROUNDWORK_ACCOUNT_ID) });
  ({ root, accessIn, executionRoleArn } = await onboardAccount(edge, { account: ACCOUNT, groundworkAccountId: GROUNDWORK_ACCOUNT_ID, externalId: EXTERNAL_ID, template: read('onboarding-role.yaml'), regions: ['us-east-1', 'us-east-2'] }));
});

afterAll(async () => {
  await edge.close();
});

/** The network, security and frontend of an apigateway stack: what the frontend needs, nothing more. */
function frontendStack(stackId: string) {
  const input = templateInput({ frontend: { type: 'apigateway' } });
  return buildStackTemplates({ ...input, stackId }).filter((component) => ['network', 'security', 'frontend'].includes(component.component));
}

/** Deletes the stacks, the last made first, each to DELETE_COMPLETE. */
async function tearDown(cfn: CloudFormationClient, stacks: ReadonlyMap<string, Stack>) {
  for (const stack of [...stacks.values()].reverse()) {
    await cfn.send(new DeleteStackCommand({ StackName: stack.StackId, RoleARN: executionRoleArn }));
    expect((await waitForStack(cfn, stack.StackId ?? '')).StackStatus).toBe('DELETE_COMPLETE');
  }
}

it("writes access logs in the onboarding stack's region, through the policy the onboarding stack made", async () => {
  // Arrange
  const cfn = accessIn('us-east-1');
  const components = frontendStack('stkaccesslogs00000001');
  // Act
  const stacks = await deployComponents(cfn, ACCOUNT, components, executionRoleArn);
  // Assess
  expect(stacks.get('frontend')?.StackStatus).toBe('CREATE_COMPLETE');
  await tearDown(cfn, stacks);
});

it('fails the stage in another allowed region until cfn/api-access-log-delivery.yaml is launched there, as API Gateway refuses', async () => {
  // Arrange
  const cfn = accessIn('us-east-2');
  const components = frontendStack('stkaccesslogs00000002');
  // Act
  const before = await deployComponents(cfn, ACCOUNT, components, executionRoleArn, US_EAST_2_ZONES);
  // Assess: the stage fails as API Gateway answers a caller that cannot write the delivery policy
  const frontend = components.find((component) => component.component === 'frontend')?.stackName ?? '';
  expect(before.get('frontend')?.StackStatus).toBe('ROLLBACK_COMPLETE');
  const failed = (await stackEvents(cfn, frontend)).find((event) => event.ResourceStatus === 'CREATE_FAILED' && event.LogicalResourceId === 'DefaultStage');
  expect(failed?.ResourceStatusReason).toMatch(/^Resource handler returned message: "Insufficient permissions to enable logging \(Service: ApiGatewayV2, Status Code: 400/);
  await tearDown(cfn, before);

  // Act: the customer launches the delivery policy in us-east-2, and the same stack deploys
  const rootEast2 = edge.cloudFormation(ACCOUNT, undefined, 'us-east-2');
  await rootEast2.send(new CreateStackCommand({ StackName: 'GroundworkApiAccessLogDelivery', TemplateBody: read('api-access-log-delivery.yaml') }));
  expect((await waitForStack(rootEast2, 'GroundworkApiAccessLogDelivery')).StackStatus).toBe('CREATE_COMPLETE');
  const after = await deployComponents(cfn, ACCOUNT, components, executionRoleArn, US_EAST_2_ZONES);
  // Assess
  expect(after.get('frontend')?.StackStatus).toBe('CREATE_COMPLETE');
  await tearDown(cfn, after);
});

it('fails the stage when the stack role may not create the log delivery, whatever the policy', async () => {
  // Arrange: a stack role with everything but logs:CreateLogDelivery, in the region that has the policy
  await root.send(
    new CreateStackCommand({
      StackName: 'no-log-delivery-role',
      Capabilities: ['CAPABILITY_NAMED_IAM'],
      TemplateBody: allButOneRoleTemplate('groundwork-no-log-delivery', 'logs:CreateLogDelivery'),
    }),
  );
  const role = await waitForStack(root, 'no-log-delivery-role');
  const roleArn = role.Outputs?.[0]?.OutputValue ?? '';
  const components = frontendStack('stkaccesslogs00000003');
  // Act
  const stacks = await deployComponents(root, ACCOUNT, components, roleArn);
  // Assess
  expect(stacks.get('frontend')?.StackStatus).toBe('ROLLBACK_COMPLETE');
  const frontend = components.find((component) => component.component === 'frontend')?.stackName ?? '';
  const failed = (await stackEvents(root, frontend)).find((event) => event.ResourceStatus === 'CREATE_FAILED' && event.LogicalResourceId === 'DefaultStage');
  expect(failed?.ResourceStatusReason).toContain('Insufficient permissions to enable logging');
});
