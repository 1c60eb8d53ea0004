import { CreateStackCommand, DeleteStackCommand, UpdateStackCommand, type CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { ListTasksCommand, type ECSClient } from '@aws-sdk/client-ecs';
import { DiscoverInstancesCommand, GetInstancesHealthStatusCommand, ListInstancesCommand, ServiceDiscoveryClient, type ServiceDiscoveryClient as CloudMapClient } from '@aws-sdk/client-servicediscovery';
import { AssumeRoleCommand } from '@aws-sdk/client-sts';
import { readFileSync } from 'node:fs';
import { arns, SERVICE_ACCOUNT } from '../../../local/config';
import { publicParameterValue } from '../../../local/sandbox/data/ssm-public-parameters';
import { stackWorkloadsFactory } from '../../../src/aws/customer-workload-clients';
import { answeringOnboardingHooks, onboardAccount } from './onboard-account';
import { REGION, startSandboxEdge, type SandboxEdge } from './sandbox-http';
import { outputsOf, rejectionOf, stackEvents, waitForStack } from './stack-waits';

/**
 * ECS registers the running tasks of a service with ServiceRegistries in its Cloud Map service, with
 * the task id as instance id and the attributes ECS sets, and deregisters each task that stops; Cloud
 * Map then refuses to delete the service (the stack ends DELETE_FAILED). Read through the SDK's Cloud
 * Map client, as the account's root, as Groundwork's access role, and through Groundwork's own
 * teardown check (stackWorkloadsFactory).
 */

const ACCOUNT = '616161616161';
const GROUNDWORK_ACCOUNT_ID = 'acc_cloudmap0123456789ab';
const EXTERNAL_ID = 'ext-cloudmap0123456789abcdef01234567';
const onboardingTemplate = readFileSync(new URL('../../../cfn/onboarding-role.yaml', import.meta.url), 'utf8');
const CIDR = /^10\.61\.(1|2)\.(\d+)$/;
const IN_USE = /^Resource handler returned message: "Service srv-[0-9a-z]+ contains registered instances; delete the instances before deleting the service \(Service: ServiceDiscovery, Status Code: 400, Request ID: [0-9a-f-]+\)" \(RequestToken: [0-9a-f-]+, HandlerErrorCode: ResourceConflict\)$/;

/** A Cloud Map HTTP namespace and two services: one tagged as a Groundwork stack's (with a custom health check), one of the customer's own. */
const REGISTRY = JSON.stringify({
  Resources: {
    Namespace: { Type: 'AWS::ServiceDiscovery::HttpNamespace', Properties: { Name: 'shop-cloudmap' } },
    Web: { Type: 'AWS::ServiceDiscovery::Service', Properties: { Name: 'web', NamespaceId: { 'Fn::GetAtt': ['Namespace', 'Id'] }, HealthCheckCustomConfig: { FailureThreshold: 1 }, Tags: [{ Key: 'groundwork:stack', Value: 'stkcm' }] } },
    Billing: { Type: 'AWS::ServiceDiscovery::Service', Properties: { Name: 'billing', NamespaceId: { 'Fn::GetAtt': ['Namespace', 'Id'] } } },
  },
  Outputs: {
    WebId: { Value: { 'Fn::GetAtt': ['Web', 'Id'] } },
    WebArn: { Value: { 'Fn::GetAtt': ['Web', 'Arn'] } },
    BillingId: { Value: { 'Fn::GetAtt': ['Billing', 'Id'] } },
    BillingArn: { Value: { 'Fn::GetAtt': ['Billing', 'Arn'] } },
  },
});

/** A Fargate service (awsvpc, two subnets) registering its tasks in the given Cloud Map services (SRV: container web, port 8080). */
const WORKLOAD = JSON.stringify({
  Parameters: { Registry: { Type: 'String' }, OtherRegistry: { Type: 'String' }, Desired: { Type: 'Number' } },
  Resources: {
    Vpc: { Type: 'AWS::EC2::VPC', Properties: { CidrBlock: '10.61.0.0/16' } },
    SubnetB: { Type: 'AWS::EC2::Subnet', Properties: { VpcId: { Ref: 'Vpc' }, CidrBlock: '10.61.1.0/24', AvailabilityZone: 'us-east-1b' } },
    SubnetC: { Type: 'AWS::EC2::Subnet', Properties: { VpcId: { Ref: 'Vpc' }, CidrBlock: '10.61.2.0/24', AvailabilityZone: 'us-east-1c' } },
    Cluster: { Type: 'AWS::ECS::Cluster', Properties: { ClusterName: 'groundwork-cloudmap' } },
    Task: {
      Type: 'AWS::ECS::TaskDefinition',
      Properties: {
        Family: 'shop-web',
        NetworkMode: 'awsvpc',
        RequiresCompatibilities: ['FARGATE'],
        Cpu: '256',
        Memory: '512',
        ContainerDefinitions: [{ Name: 'web', Image: 'public.ecr.aws/shop/web:1.0', Essential: true, PortMappings: [{ ContainerPort: 8080 }] }],
      },
    },
    Service: {
      Type: 'AWS::ECS::Service',
      Properties: {
        Cluster: { Ref: 'Cluster' },
        ServiceName: 'web',
        TaskDefinition: { Ref: 'Task' },
        DesiredCount: { Ref: 'Desired' },
        LaunchType: 'FARGATE',
        NetworkConfiguration: { AwsvpcConfiguration: { Subnets: [{ Ref: 'SubnetB' }, { Ref: 'SubnetC' }] } },
        ServiceRegistries: [
          { RegistryArn: { Ref: 'Registry' }, ContainerName: 'web', ContainerPort: 8080 },
          { RegistryArn: { Ref: 'OtherRegistry' } },
        ],
      },
    },
  },
});

const ECS_AMI = publicParameterValue(REGION, '/aws/service/ecs/optimized-ami/amazon-linux-2023/arm64/recommended/image_id') ?? '';

/** An EC2 service in bridge mode on one container instance (a t4g.medium of an auto-scaling group in 10.62.3.0/24), registering SRV records for container web's port 8080 (a dynamic host port). */
const BRIDGE = JSON.stringify({
  Parameters: { Registry: { Type: 'String' } },
  Resources: {
    Vpc: { Type: 'AWS::EC2::VPC', Properties: { CidrBlock: '10.62.0.0/16' } },
    Subnet: { Type: 'AWS::EC2::Subnet', Properties: { VpcId: { Ref: 'Vpc' }, CidrBlock: '10.62.3.0/24', AvailabilityZone: 'us-east-1d' } },
    Cluster: { Type: 'AWS::ECS::Cluster', Properties: { ClusterName: 'groundwork-bridge' } },
    Launch: {
      Type: 'AWS::EC2::LaunchTemplate',
      Properties: { LaunchTemplateData: { ImageId: ECS_AMI, InstanceType: 't4g.medium', UserData: { 'Fn::Base64': { 'Fn::Sub': '#!/bin/bash\necho ECS_CLUSTER=${Cluster} >> /etc/ecs/ecs.config\n' } } } },
    },
    Group: {
      Type: 'AWS::AutoScaling::AutoScalingGroup',
      DependsOn: 'Cluster',
      Properties: { MinSize: '1', MaxSize: '1', DesiredCapacity: '1', VPCZoneIdentifier: [{ Ref: 'Subnet' }], LaunchTemplate: { LaunchTemplateId: { Ref: 'Launch' }, Version: { 'Fn::GetAtt': ['Launch', 'LatestVersionNumber'] } } },
    },
    Task: {
      Type: 'AWS::ECS::TaskDefinition',
      Properties: { Family: 'shop-bridge', NetworkMode: 'bridge', RequiresCompatibilities: ['EC2'], ContainerDefinitions: [{ Name: 'web', Image: 'public.ecr.aws/shop/web:1.0', Cpu: 256, Memory: 256, PortMappings: [{ ContainerPort: 8080, HostPort: 0 }] }] },
    },
    Service: {
      Type: 'AWS::ECS::Service',
      DependsOn: 'Group',
      Properties: { Cluster: { Ref: 'Cluster' }, ServiceName: 'web', TaskDefinition: { Ref: 'Task' }, DesiredCount: 2, LaunchType: 'EC2', ServiceRegistries: [{ RegistryArn: { Ref: 'Registry' }, ContainerName: 'web', ContainerPort: 8080 }] },
    },
  },
});

let edge: SandboxEdge;
let root: CloudFormationClient;
let ecs: ECSClient;
let cloudMap: CloudMapClient;
let discovery: ServiceDiscoveryClient;
let accessCloudMap: CloudMapClient;
let accessRoleArn: string;
let registry: Record<string, string>;
let registryStackId: string;
let workloadStackId: string;

beforeAll(async () => {
  edge = await startSandboxEdge({ speed: 0.001, hooks: answeringOnboardingHooks(GROUNDWORK_ACCOUNT_ID) });
  let accessCredentials;
  ({ root, accessRoleArn, accessCredentials } = await onboardAccount(edge, { account: ACCOUNT, groundworkAccountId: GROUNDWORK_ACCOUNT_ID, externalId: EXTERNAL_ID, template: onboardingTemplate }));
  ecs = edge.ecs(ACCOUNT);
  cloudMap = edge.cloudMap(ACCOUNT);
  accessCloudMap = edge.cloudMap(ACCOUNT, accessCredentials);
  // DiscoverInstances is served on Cloud Map's `data-` host: the prefix is turned off to reach 127.0.0.1.
  discovery = new ServiceDiscoveryClient({ region: REGION, endpoint: edge.url, maxAttempts: 1, disableHostPrefix: true, credentials: { accessKeyId: ACCOUNT, secretAccessKey: 'sandbox' } });
  registryStackId = (await root.send(new CreateStackCommand({ StackName: 'cloudmap-registry', TemplateBody: REGISTRY }))).StackId ?? '';
  registry = outputsOf(await waitForStack(root, 'cloudmap-registry'));
});
afterAll(async () => {
  discovery.destroy();
  await edge.close();
});

const parameters = (desired: number) => [
  { ParameterKey: 'Registry', ParameterValue: registry['WebArn'] ?? '' },
  { ParameterKey: 'OtherRegistry', ParameterValue: registry['BillingArn'] ?? '' },
  { ParameterKey: 'Desired', ParameterValue: String(desired) },
];

async function runningTaskIds(): Promise<string[]> {
  const { taskArns = [] } = await ecs.send(new ListTasksCommand({ cluster: 'groundwork-cloudmap', serviceName: 'web' }));
  return taskArns.map((arn) => arn.split('/').at(-1) ?? '').sort();
}

async function instanceIds(serviceId: string): Promise<string[]> {
  const { Instances = [] } = await cloudMap.send(new ListInstancesCommand({ ServiceId: serviceId }));
  return Instances.map((instance) => instance.Id ?? '').sort();
}

describe('ECS registers its tasks in Cloud Map', () => {
  it('lists each running task of a service with ServiceRegistries as an instance: the task id, its address, port and ECS attributes, its health', async () => {
    // Act
    workloadStackId = (await root.send(new CreateStackCommand({ StackName: 'cloudmap-workload', TemplateBody: WORKLOAD, Parameters: parameters(2) }))).StackId ?? '';
    const created = await waitForStack(root, 'cloudmap-workload');
    const tasks = await runningTaskIds();
    const listed = await cloudMap.send(new ListInstancesCommand({ ServiceId: registry['WebId'] }));
    const other = await instanceIds(registry['BillingId'] ?? '');
    const health = await cloudMap.send(new GetInstancesHealthStatusCommand({ ServiceId: registry['WebId'] }));
    const discovered = await discovery.send(new DiscoverInstancesCommand({ NamespaceName: 'shop-cloudmap', ServiceName: 'web' }));
    const unhealthy = await discovery.send(new DiscoverInstancesCommand({ NamespaceName: 'shop-cloudmap', ServiceName: 'web', HealthStatus: 'UNHEALTHY' }));
    const unknownInstance = await rejectionOf(cloudMap.send(new GetInstancesHealthStatusCommand({ ServiceId: registry['WebId'], Instances: ['no-such-task'] })));
    const noNamespace = await rejectionOf(discovery.send(new DiscoverInstancesCommand({ NamespaceName: 'no-such-namespace', ServiceName: 'web' })));

    // Assess
    expect(created.StackStatus).toBe('CREATE_COMPLETE');
    expect(tasks).toHaveLength(2);
    const instances = listed.Instances ?? [];
    expect(instances.map((instance) => instance.Id).sort()).toEqual(tasks);
    for (const instance of instances) {
      const attributes = instance.Attributes ?? {};
      expect(attributes).toEqual({
        AWS_INSTANCE_IPV4: expect.stringMatching(CIDR),
        AWS_INSTANCE_PORT: '8080',
        AVAILABILITY_ZONE: attributes['AWS_INSTANCE_IPV4']?.startsWith('10.61.1.') ? 'us-east-1b' : 'us-east-1c',
        REGION: 'us-east-1',
        ECS_SERVICE_NAME: 'web',
        ECS_CLUSTER_NAME: 'groundwork-cloudmap',
        ECS_TASK_DEFINITION_FAMILY: 'shop-web',
      });
    }
    // The second registry has no port: A records only, and no custom health check.
    expect(other).toEqual(tasks);
    expect(health.Status).toEqual(Object.fromEntries(tasks.map((id) => [id, 'HEALTHY'])));
    expect((discovered.Instances ?? []).map((instance) => [instance.InstanceId, instance.HealthStatus, instance.NamespaceName, instance.ServiceName]).sort()).toEqual(tasks.map((id) => [id, 'HEALTHY', 'shop-cloudmap', 'web']));
    expect(unhealthy.Instances).toEqual([]);
    expect(unknownInstance.name).toBe('InstanceNotFound');
    expect(noNamespace.name).toBe('NamespaceNotFound');
  });

  it("names the task ids in Groundwork's teardown check through the access role, which may not list a service of the customer's own", async () => {
    // Prepare: the service role's STS, as Groundwork's functions have it; their clients reach the sandbox through AWS_ENDPOINT_URL.
    const service = await edge.sts(SERVICE_ACCOUNT).send(new AssumeRoleCommand({ RoleArn: arns.serviceRole, RoleSessionName: 'groundwork-service' }));
    const serviceSts = edge.sts(SERVICE_ACCOUNT, { accessKeyId: service.Credentials?.AccessKeyId ?? '', secretAccessKey: service.Credentials?.SecretAccessKey ?? '', sessionToken: service.Credentials?.SessionToken ?? '' });
    const previous = process.env['AWS_ENDPOINT_URL'];
    process.env['AWS_ENDPOINT_URL'] = edge.url;
    const access = { accessRoleArn, externalId: EXTERNAL_ID, sessionName: 'teardown-check' };
    try {
      // Act
      const workloads = await stackWorkloadsFactory(serviceSts)(access, REGION, { cloudMapServiceId: registry['WebId'] ?? '' });
      const theirs = await stackWorkloadsFactory(serviceSts)(access, REGION, { cloudMapServiceId: registry['BillingId'] ?? '' });
      const refused = await rejectionOf(accessCloudMap.send(new ListInstancesCommand({ ServiceId: registry['BillingId'] })));

      // Assess
      expect(workloads.cloudMapInstances.sort()).toEqual(await runningTaskIds());
      expect(workloads.unreadable).toEqual([]);
      expect(theirs.cloudMapInstances).toEqual([]);
      expect(theirs.unreadable.map(({ site }) => site)).toEqual(['cloudMapServiceId']);
      expect(refused.name).toBe('AccessDeniedException');
      expect(refused.message).toContain('is not authorized to perform: servicediscovery:ListInstances');
    } finally {
      if (previous === undefined) delete process.env['AWS_ENDPOINT_URL'];
      else process.env['AWS_ENDPOINT_URL'] = previous;
    }
  });

  it('refuses to delete a Cloud Map service that still has instances: its stack ends DELETE_FAILED', async () => {
    // Act
    await root.send(new DeleteStackCommand({ StackName: 'cloudmap-registry' }));
    const stack = await waitForStack(root, 'cloudmap-registry');
    const failed = (await stackEvents(root, 'cloudmap-registry')).filter((event) => event.ResourceStatus === 'DELETE_FAILED' && event.ResourceType === 'AWS::ServiceDiscovery::Service');

    // Assess
    expect(stack.StackStatus).toBe('DELETE_FAILED');
    expect(failed.map((event) => event.LogicalResourceId).sort()).toEqual(['Billing', 'Web']);
    for (const event of failed) expect(event.ResourceStatusReason).toMatch(IN_USE);
    expect(await instanceIds(registry['WebId'] ?? '')).toHaveLength(2);
  });

  it('deregisters the tasks a scale-in stops, and every task when the ECS service is deleted; then the Cloud Map service deletes', async () => {
    // Prepare
    const before = await runningTaskIds();

    // Act
    await root.send(new UpdateStackCommand({ StackName: 'cloudmap-workload', TemplateBody: WORKLOAD, Parameters: parameters(1) }));
    const updated = await waitForStack(root, 'cloudmap-workload');
    const scaled = await instanceIds(registry['WebId'] ?? '');
    const stillRunning = await runningTaskIds();
    await root.send(new DeleteStackCommand({ StackName: 'cloudmap-workload' }));
    const deleted = await waitForStack(root, workloadStackId);
    const afterDelete = await instanceIds(registry['WebId'] ?? '');
    await root.send(new DeleteStackCommand({ StackName: 'cloudmap-registry' }));
    const registryDeleted = await waitForStack(root, registryStackId);

    // Assess
    expect(updated.StackStatus).toBe('UPDATE_COMPLETE');
    expect(scaled).toEqual(stillRunning);
    expect(scaled).toHaveLength(1);
    expect(before).toEqual(expect.arrayContaining(scaled));
    expect(deleted.StackStatus).toBe('DELETE_COMPLETE');
    expect(afterDelete).toEqual([]);
    expect(registryDeleted.StackStatus).toBe('DELETE_COMPLETE');
  });

  it('registers bridge-mode tasks at their container instance: its address in its subnet, its instance id, and a host port of the ephemeral range', async () => {
    // Prepare
    const { StackId } = await root.send(new CreateStackCommand({ StackName: 'cloudmap-bridge-registry', TemplateBody: REGISTRY.replace('shop-cloudmap', 'shop-bridge') }));
    const bridgeRegistry = outputsOf(await waitForStack(root, StackId ?? ''));

    // Act
    await root.send(new CreateStackCommand({ StackName: 'cloudmap-bridge', TemplateBody: BRIDGE, Parameters: [{ ParameterKey: 'Registry', ParameterValue: bridgeRegistry['WebArn'] ?? '' }] }));
    const created = await waitForStack(root, 'cloudmap-bridge');
    const { Instances = [] } = await cloudMap.send(new ListInstancesCommand({ ServiceId: bridgeRegistry['WebId'] }));
    const { taskArns = [] } = await ecs.send(new ListTasksCommand({ cluster: 'groundwork-bridge', serviceName: 'web' }));

    // Assess
    expect(created.StackStatus).toBe('CREATE_COMPLETE');
    expect(Instances.map((instance) => instance.Id).sort()).toEqual(taskArns.map((arn) => arn.split('/').at(-1)).sort());
    expect(Instances).toHaveLength(2);
    const [first, second] = Instances.map((instance) => instance.Attributes ?? {});
    for (const attributes of [first, second]) {
      expect(attributes).toEqual({
        AWS_INSTANCE_IPV4: expect.stringMatching(/^10\.62\.3\.\d+$/),
        AWS_INSTANCE_PORT: expect.stringMatching(/^\d+$/),
        AVAILABILITY_ZONE: 'us-east-1d',
        REGION: 'us-east-1',
        ECS_SERVICE_NAME: 'web',
        ECS_CLUSTER_NAME: 'groundwork-bridge',
        EC2_INSTANCE_ID: expect.stringMatching(/^i-0[0-9a-f]{16}$/),
        ECS_TASK_DEFINITION_FAMILY: 'shop-bridge',
      });
      const port = Number(attributes?.['AWS_INSTANCE_PORT']);
      expect(port).toBeGreaterThanOrEqual(32768);
      expect(port).toBeLessThanOrEqual(60999);
    }
    // One container instance: the same address and instance for both tasks.
    expect(first?.['AWS_INSTANCE_IPV4']).toBe(second?.['AWS_INSTANCE_IPV4']);
    expect(first?.['EC2_INSTANCE_ID']).toBe(second?.['EC2_INSTANCE_ID']);
  });
});
