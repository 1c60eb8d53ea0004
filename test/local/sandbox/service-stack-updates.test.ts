import { CreateStackCommand, UpdateStackCommand, type CloudFormationClient, type Stack } from '@aws-sdk/client-cloudformation';
import { DescribeServicesCommand } from '@aws-sdk/client-ecs';
import { readFileSync } from 'node:fs';
import { serviceRequestSchemaFor } from '../../../src/model/service-request';
import { buildStackTemplates } from '../../../src/templates/build-stack-templates';
import { buildServiceTemplate, type ServiceTemplate } from '../../../src/templates/service';
import { templateInput } from '../../templates/fixtures';
import { deployComponents, stackParameters } from './deploy-components';
import { answeringOnboardingHooks, onboardAccount } from './onboard-account';
import { startSandboxEdge, type SandboxEdge } from './sandbox-http';
import { outputsOf, stackEvents, waitForStack } from './stack-waits';

/**
 * A service rollout (issue 13) is an UpdateStack of the service's stack: a new image replaces the
 * task definition (its ContainerDefinitions are create-only) by the family's next revision, updates
 * the ECS service in place to it, and deletes the old revision in the cleanup, each as the execution role. The update
 * is made with the account's own keys: the access role of cfn/onboarding-role.yaml does not grant
 * cloudformation:UpdateStack yet (issue 13's to add).
 */

const ACCOUNT = '626262626262';
const GROUNDWORK_ACCOUNT_ID = 'acc_abcdefghij0123456789';
const onboardingTemplate = readFileSync(new URL('../../../cfn/onboarding-role.yaml', import.meta.url), 'utf8');

let edge: SandboxEdge;
let access: CloudFormationClient;
let executionRoleArn: string;
beforeAll(async () => {
  edge = await startSandboxEdge({ hooks: answeringOnboardingHooks(GROUNDWORK_ACCOUNT_ID) });
  ({ access, executionRoleArn } = await onboardAccount(edge, { account: ACCOUNT, groundworkAccountId: GROUNDWORK_ACCOUNT_ID, externalId: 'ext-0123456789abcdef0123456789abcdef', template: onboardingTemplate }));
});
afterAll(async () => edge.close());

it('rolls a service out to a new image as CloudFormation updates its stack', async () => {
  // Prepare: a Groundwork stack and a service on it, as the workflow deploys them.
  const input = { ...templateInput({ network: { azCount: 2, nat: 'gateway' }, frontend: { type: 'alb' }, compute: { instanceType: 't3.large' } }), stackId: 'svcroll' };
  const stacks = await deployComponents(access, ACCOUNT, buildStackTemplates(input), executionRoleArn);
  const build = (image: string) => buildServiceTemplate(input, serviceRequestSchemaFor(input.request).parse({ name: 'web', image, desiredCount: 1 }));
  const parameters = (service: ServiceTemplate) => stackParameters(service.parameters, { account: ACCOUNT, stacks });
  const v1 = build('public.ecr.aws/nginx/nginx:1.27');
  await access.send(new CreateStackCommand({ StackName: v1.stackName, TemplateBody: JSON.stringify(v1.template), Parameters: parameters(v1), RoleARN: executionRoleArn, Tags: [{ Key: 'groundwork:stack', Value: 'svcroll' }] }));
  const created = await waitForStack(access, v1.stackName);
  expect(created.StackStatus).toBe('CREATE_COMPLETE');

  // Act
  const root = edge.cloudFormation(ACCOUNT);
  const v2 = build('public.ecr.aws/nginx/nginx:1.28');
  await root.send(new UpdateStackCommand({ StackName: v2.stackName, TemplateBody: JSON.stringify(v2.template), Parameters: parameters(v2), RoleARN: executionRoleArn }));
  const updated = await waitForStack(root, v2.stackName);

  // Assess
  expect(updated.StackStatus).toBe('UPDATE_COMPLETE');
  const events = await stackEvents(root, v2.stackName);
  const rollout = events.slice(events.findIndex((event) => event.ResourceStatus === 'UPDATE_IN_PROGRESS')).map((event) => `${event.LogicalResourceId} ${event.ResourceStatus}`);
  expect(rollout).toEqual([
    `${v2.stackName} UPDATE_IN_PROGRESS`,
    'TaskDefinition UPDATE_IN_PROGRESS',
    'TaskDefinition UPDATE_IN_PROGRESS',
    'TaskDefinition UPDATE_COMPLETE',
    'Service UPDATE_IN_PROGRESS',
    'Service UPDATE_COMPLETE',
    `${v2.stackName} UPDATE_COMPLETE_CLEANUP_IN_PROGRESS`,
    'TaskDefinition DELETE_IN_PROGRESS',
    'TaskDefinition DELETE_COMPLETE',
    `${v2.stackName} UPDATE_COMPLETE`,
  ]);
  // The old revision is the one deleted; the service now runs the new one.
  const revisions = events.filter((event) => event.LogicalResourceId === 'TaskDefinition' && event.PhysicalResourceId !== '').map((event) => event.PhysicalResourceId);
  const deleted = events.find((event) => event.LogicalResourceId === 'TaskDefinition' && event.ResourceStatus === 'DELETE_COMPLETE')?.PhysicalResourceId;
  const current = events.filter((event) => event.LogicalResourceId === 'TaskDefinition' && event.ResourceStatus === 'UPDATE_COMPLETE').at(-1)?.PhysicalResourceId;
  expect(deleted).toBe(revisions[0]);
  expect(deleted).toMatch(/:task-definition\/[\w-]+:1$/);
  // The next revision of the same family, as ECS numbers them.
  expect(current).toBe(deleted?.replace(/:1$/, ':2'));
  const ecs = edge.ecs(ACCOUNT);
  const serviceArn = outputsOf(updated)['ServiceArn'] ?? (await stackEvents(root, v2.stackName)).find((event) => event.LogicalResourceId === 'Service' && event.PhysicalResourceId)?.PhysicalResourceId ?? '';
  const cluster = outputsOf(stacks.get('cluster') as Stack)['ClusterName'];
  const running = async () => (await ecs.send(new DescribeServicesCommand({ cluster, services: [serviceArn] }))).services?.[0];
  expect((await running())?.taskDefinition).toBe(current);

  // Act: a version whose container crashes. ECS's circuit breaker fails the rollout, CloudFormation
  // rolls the stack back, and ECS is asked to run the previous task definition again.
  edge.sandbox.faults.failImage('public.ecr.aws/nginx/nginx:1.29-broken', 'crash');
  const v3 = build('public.ecr.aws/nginx/nginx:1.29-broken');
  await root.send(new UpdateStackCommand({ StackName: v3.stackName, TemplateBody: JSON.stringify(v3.template), Parameters: parameters(v3), RoleARN: executionRoleArn }));
  const rolledBack = await waitForStack(root, v3.stackName);

  // Assess: the old version serves again, and the reason names the breaker
  expect(rolledBack.StackStatus).toBe('UPDATE_ROLLBACK_COMPLETE');
  const failed = (await stackEvents(root, v3.stackName)).find((event) => event.LogicalResourceId === 'Service' && event.ResourceStatus === 'UPDATE_FAILED');
  expect(failed?.ResourceStatusReason).toContain('ECS Deployment Circuit Breaker was triggered');
  const after = await running();
  expect(after?.taskDefinition).toBe(current);
  expect(after?.runningCount).toBe(after?.desiredCount);
}, 180_000);
