import { CreateStackCommand, DeleteStackCommand, DescribeStackResourcesCommand, type CloudFormationClient, type Stack } from '@aws-sdk/client-cloudformation';
import { ListServicesCommand } from '@aws-sdk/client-ecs';
import { readFileSync } from 'node:fs';
import { componentsFor, type ComponentName } from '../../../src/model/components';
import { serviceRequestSchemaFor, type ServiceRequestInput } from '../../../src/model/service-request';
import { buildStackTemplates } from '../../../src/templates/build-stack-templates';
import type { StackTemplateInput } from '../../../src/templates/component-template';
import { buildServiceTemplate, type ServiceTemplate } from '../../../src/templates/service';
import { templateInput } from '../../templates/fixtures';
import { deployComponents, stackParameters } from './deploy-components';
import { answeringOnboardingHooks, onboardAccount } from './onboard-account';
import { startSandboxEdge, type SandboxEdge } from './sandbox-http';
import { outputsOf, stackEvents, waitForStack } from './stack-waits';

/**
 * A service stack (issue 13) on a Groundwork stack, in an account onboarded with the real
 * cfn/onboarding-role.yaml: the stack's components, then the service, each created through the access
 * role and built by the execution role, as the workflow will; then torn down again. The sandbox runs
 * no tasks yet: the ECS service is created, and nothing here depends on tasks running.
 */

const ACCOUNT = '616161616161';
const GROUNDWORK_ACCOUNT_ID = 'acc_abcdefghij0123456789';
const EXTERNAL_ID = 'ext-0123456789abcdef0123456789abcdef';
const onboardingTemplate = readFileSync(new URL('../../../cfn/onboarding-role.yaml', import.meta.url), 'utf8');

let edge: SandboxEdge;
let access: CloudFormationClient;
let executionRoleArn: string;
let accessCredentials: { accessKeyId: string; secretAccessKey: string; sessionToken: string };

beforeAll(async () => {
  edge = await startSandboxEdge({ hooks: answeringOnboardingHooks(GROUNDWORK_ACCOUNT_ID) });
  ({ access, executionRoleArn, accessCredentials } = await onboardAccount(edge, { account: ACCOUNT, groundworkAccountId: GROUNDWORK_ACCOUNT_ID, externalId: EXTERNAL_ID, template: onboardingTemplate }));
});

afterAll(async () => {
  await edge.close();
});

/** What failed in a stack, in CloudFormation's words. */
async function failures(stack: Stack | undefined, status: 'CREATE_FAILED' | 'DELETE_FAILED'): Promise<string> {
  const events = await stackEvents(access, stack?.StackId ?? '').catch(() => []);
  return events.filter((event) => event.ResourceStatus === status).map((event) => `${event.LogicalResourceId}: ${event.ResourceStatusReason ?? ''}`).join(' / ');
}

/** Creates the service stack as the workflow will: its parameters from the components' outputs and the onboarding record. */
async function deployService(service: ServiceTemplate, stacks: Map<ComponentName, Stack>): Promise<Stack> {
  const parameters = stackParameters(service.parameters, { account: ACCOUNT, stacks });
  await access.send(
    new CreateStackCommand({ StackName: service.stackName, TemplateBody: JSON.stringify(service.template), Parameters: parameters, RoleARN: executionRoleArn, Tags: [{ Key: 'groundwork:stack', Value: service.stackName.split('-')[1] ?? '' }] }),
  );
  return waitForStack(access, service.stackName);
}

describe('a service stack in the sandbox', () => {
  it.each([
    ['alb', templateInput({ network: { azCount: 2, nat: 'gateway' }, frontend: { type: 'alb' }, compute: { instanceType: 't3.large' } }), { name: 'web', image: 'public.ecr.aws/nginx/nginx:1.27', autoscaling: { min: 1, max: 2 }, route: { pathPattern: '/api/*', priority: 10 } }],
    ['apigateway', templateInput({ network: { azCount: 2, nat: 'gateway' }, frontend: { type: 'apigateway' }, database: null }), { name: 'web', image: 'nginx@sha256:' + 'ab'.repeat(32), desiredCount: 1 }],
  ] as Array<[string, StackTemplateInput, ServiceRequestInput]>)(
    'deploys a service on a Groundwork stack with an %s frontend through the access and execution roles, to CREATE_COMPLETE, and deletes it',
    async (_frontend, fixture, request) => {
      // Prepare: the Groundwork stack, as the provisioning workflow builds it.
      const input = { ...fixture, stackId: `svc${_frontend.replace(/[^a-z]/g, '')}` };
      const templates = buildStackTemplates(input);
      const stacks = await deployComponents(access, ACCOUNT, templates, executionRoleArn);
      const notComplete = [...stacks].filter(([, stack]) => stack.StackStatus !== 'CREATE_COMPLETE');
      expect(await Promise.all(notComplete.map(async ([component, stack]) => `${component}: ${await failures(stack, 'CREATE_FAILED')}`))).toEqual([]);
      const service = buildServiceTemplate(input, serviceRequestSchemaFor(input.request).parse(request));

      // Act
      const created = await deployService(service, stacks);
      const { StackResources } = await access.send(new DescribeStackResourcesCommand({ StackName: service.stackName }));
      const listed = await edge.ecs(ACCOUNT, accessCredentials).send(new ListServicesCommand({ cluster: outputsOf(stacks.get('cluster'))['ClusterName'] ?? '' }));
      await access.send(new DeleteStackCommand({ StackName: service.stackName, RoleARN: executionRoleArn }));
      const deleted = await waitForStack(access, created.StackId ?? service.stackName);

      // Assess
      expect(`${created.StackStatus} ${await failures(created, 'CREATE_FAILED')}`.trim()).toBe('CREATE_COMPLETE');
      expect((StackResources ?? []).map((resource) => `${resource.LogicalResourceId} ${resource.ResourceStatus}`).sort()).toEqual(
        Object.keys(service.template.Resources).map((logicalId) => `${logicalId} CREATE_COMPLETE`).sort(),
      );
      expect(listed.serviceArns).toEqual([outputsOf(created)['ServiceArn']]);
      expect(`${deleted.StackStatus} ${await failures(deleted, 'DELETE_FAILED')}`.trim()).toBe('DELETE_COMPLETE');

      // Tear the Groundwork stack down, as the delete workflow does.
      for (const component of [...componentsFor(input.request)].reverse()) {
        const stack = stacks.get(component);
        if (stack === undefined) continue;
        await access.send(new DeleteStackCommand({ StackName: stack.StackId ?? '', RoleARN: executionRoleArn }));
        expect(`${component} ${(await waitForStack(access, stack.StackId ?? '')).StackStatus}`).toBe(`${component} DELETE_COMPLETE`);
      }
    },
    120_000,
  );

  it('refuses the service stack an ECS service in a cluster that is not a Groundwork stack\'s (ecs:cluster), in IAM\'s words, and rolls back', async () => {
    // Prepare: a Groundwork stack with no frontend, and the customer's own cluster.
    const input = { ...templateInput({ network: { azCount: 2, nat: 'gateway' }, frontend: { type: 'none' }, database: null }), stackId: 'svccluster' };
    const stacks = await deployComponents(access, ACCOUNT, buildStackTemplates(input), executionRoleArn);
    const root = edge.cloudFormation(ACCOUNT);
    await root.send(new CreateStackCommand({ StackName: 'prod-cluster', TemplateBody: JSON.stringify({ Resources: { Cluster: { Type: 'AWS::ECS::Cluster', Properties: { ClusterName: 'prod' } } } }) }));
    expect((await waitForStack(root, 'prod-cluster')).StackStatus).toBe('CREATE_COMPLETE');
    const cluster = stacks.get('cluster');
    const aimed = new Map(stacks).set('cluster', { ...cluster, Outputs: [...(cluster?.Outputs ?? []).filter((o) => o.OutputKey !== 'ClusterName'), { OutputKey: 'ClusterName', OutputValue: 'prod' }] } as Stack);
    const service = buildServiceTemplate(input, serviceRequestSchemaFor(input.request).parse({ name: 'worker', image: 'nginx', desiredCount: 1 }));

    // Act
    const stack = await deployService(service, aimed);

    // Assess
    expect(stack.StackStatus).toBe('ROLLBACK_COMPLETE');
    expect(await failures(stack, 'CREATE_FAILED')).toMatch(
      new RegExp(`Service: Resource handler returned message: "User: arn:aws:sts::${ACCOUNT}:assumed-role/GroundworkExecution-${GROUNDWORK_ACCOUNT_ID}/AWSCloudFormation is not authorized to perform: ecs:CreateService on resource: arn:aws:ecs:us-east-1:${ACCOUNT}:service/`),
    );
  }, 120_000);

  it('refuses the service stack a listener rule on a listener that is not a Groundwork stack\'s, in IAM\'s words, and rolls back', async () => {
    // Prepare: the same Groundwork stack, but the rule aimed at the customer's own load balancer's listener.
    const input = { ...templateInput({ network: { azCount: 2, nat: 'gateway' }, database: null }), stackId: 'svcattack' };
    const stacks = await deployComponents(access, ACCOUNT, buildStackTemplates(input), executionRoleArn);
    const root = edge.cloudFormation(ACCOUNT);
    const customer = JSON.stringify({
      Resources: {
        Alb: { Type: 'AWS::ElasticLoadBalancingV2::LoadBalancer', Properties: { Subnets: { 'Fn::Split': [',', outputsOf(stacks.get('network'))['PublicSubnetIds'] ?? ''] } } },
        Listener: { Type: 'AWS::ElasticLoadBalancingV2::Listener', Properties: { LoadBalancerArn: { Ref: 'Alb' }, Port: 80, Protocol: 'HTTP', DefaultActions: [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '200' } }] } },
      },
      Outputs: { ListenerArn: { Value: { Ref: 'Listener' } } },
    });
    await root.send(new CreateStackCommand({ StackName: 'prod-edge', TemplateBody: customer }));
    const theirs = outputsOf(await waitForStack(root, 'prod-edge'))['ListenerArn'] ?? '';
    const frontend = stacks.get('frontend');
    const aimed = new Map(stacks).set('frontend', { ...frontend, Outputs: [...(frontend?.Outputs ?? []).filter((o) => o.OutputKey !== 'ListenerArn'), { OutputKey: 'ListenerArn', OutputValue: theirs }] } as Stack);
    const service = buildServiceTemplate(input, serviceRequestSchemaFor(input.request).parse({ name: 'web', image: 'nginx', database: false }));

    // Act
    const stack = await deployService(service, aimed);

    // Assess
    expect(stack.StackStatus).toBe('ROLLBACK_COMPLETE');
    expect(await failures(stack, 'CREATE_FAILED')).toMatch(new RegExp(`ListenerRule: Resource handler returned message: "User: arn:aws:sts::${ACCOUNT}:assumed-role/GroundworkExecution-${GROUNDWORK_ACCOUNT_ID}/AWSCloudFormation is not authorized to perform: elasticloadbalancing:CreateRule on resource: ${theirs.replace(/[/.]/g, '\\$&')}`));
  }, 120_000);
});
