import { CreateStackCommand, DeleteStackCommand, DescribeStackResourcesCommand, UpdateStackCommand, type CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { CloudWatchLogsClient, FilterLogEventsCommand, GetLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { DescribeServicesCommand, DescribeTaskDefinitionCommand, DescribeTasksCommand, ListServicesCommand, ListTasksCommand, type ECSClient, type Service, type Task } from '@aws-sdk/client-ecs';
import { AssumeRoleCommand } from '@aws-sdk/client-sts';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { publicParameterValue } from '../../../local/sandbox/data/ssm-public-parameters';
import { circuitBreakerThreshold } from '../../../local/sandbox/ecs/ecs-runtime';
import { REGION, startSandboxEdge, type SandboxEdge } from './sandbox-http';
import { stackEvents, waitForStack } from './stack-waits';

/**
 * The sandbox runs ECS services: a service's tasks are placed on its cluster's container instances
 * (the auto-scaling group whose user data joins the cluster), go PROVISIONING → PENDING → RUNNING,
 * become healthy by their target group's health check, and the AWS::ECS::Service completes at
 * steady state. Tasks that do not fit stay pending until CloudFormation's wait runs out; image faults
 * stop tasks with ECS's reasons and trip the circuit breaker, which rolls back to the last completed
 * deployment. Everything is read through the AWS SDK's ECS and CloudWatch Logs clients.
 */

const ACCOUNT = '454545454545';
const SPEED = 0.001;
/** CloudFormation's wait for a service, capped (20 sandbox minutes: 1.2 s at this speed). */
const WAIT_SECONDS = 1200;
const ECS_AMI = publicParameterValue(REGION, '/aws/service/ecs/optimized-ami/amazon-linux-2023/arm64/recommended/image_id') ?? '';
const CIRCUIT_BREAKER = /^Resource handler returned message: "Error occurred during operation 'ECS Deployment Circuit Breaker was triggered'\." \(RequestToken: [0-9a-f-]+, HandlerErrorCode: GeneralServiceException\)$/;

const TIMED_OUT = /^Resource timed out waiting for completion \(RequestToken: [0-9a-f-]+\)$/;

let edge: SandboxEdge;
let cfn: CloudFormationClient;
let ecs: ECSClient;
let logs: CloudWatchLogsClient;

beforeAll(async () => {
  edge = await startSandboxEdge({ speed: SPEED, ecsWaitSeconds: WAIT_SECONDS });
  cfn = edge.cloudFormation(ACCOUNT);
  ecs = edge.ecs(ACCOUNT);
  logs = new CloudWatchLogsClient({ region: REGION, endpoint: edge.url, maxAttempts: 1, credentials: { accessKeyId: ACCOUNT, secretAccessKey: 'sandbox' } });
});
afterAll(async () => {
  logs.destroy();
  await edge.close();
});
afterEach(() => edge.sandbox.faults.clear());

interface ServiceOptions {
  cluster: string;
  instanceType?: string;
  instances?: number;
  desired?: number;
  networkMode?: 'awsvpc' | 'bridge';
  cpu?: number;
  memory?: number;
  hostPort?: number;
  image?: string;
  /** The image of a second task definition, for updates. */
  nextImage?: string;
  targetGroup?: boolean;
  containerHealthCheck?: boolean;
  breaker?: boolean;
  minimumHealthyPercent?: number;
}

/** A cluster of `instances` container instances, a log group, a task definition or two, and a service (of the first). */
function serviceTemplate(options: ServiceOptions): string {
  const { cluster, instanceType = 't4g.medium', instances = 1, desired = 2, networkMode = 'awsvpc', cpu = 256, memory = 512, image = 'public.ecr.aws/shop/web:1.0' } = options;
  const octet = createHash('sha256').update(cluster).digest()[0] ?? 0;
  const taskDefinition = (containerImage: string) => ({
    Type: 'AWS::ECS::TaskDefinition',
    Properties: {
      Family: `${cluster}-web`,
      NetworkMode: networkMode,
      RequiresCompatibilities: ['EC2'],
      ContainerDefinitions: [
        {
          Name: 'web',
          Image: containerImage,
          Cpu: cpu,
          Memory: memory,
          Essential: true,
          PortMappings: [{ ContainerPort: 8080, ...(options.hostPort === undefined ? {} : { HostPort: options.hostPort }) }],
          Environment: [{ Name: 'STAGE', Value: 'test' }],
          LogConfiguration: { LogDriver: 'awslogs', Options: { 'awslogs-group': { Ref: 'Logs' }, 'awslogs-region': REGION, 'awslogs-stream-prefix': 'shop' } },
          ...(options.containerHealthCheck ? { HealthCheck: { Command: ['CMD-SHELL', 'curl -f http://localhost:8080/ || exit 1'], Interval: 10, Retries: 3, StartPeriod: 5 } } : {}),
        },
      ],
    },
  });
  return JSON.stringify({
    Resources: {
      Vpc: { Type: 'AWS::EC2::VPC', Properties: { CidrBlock: `10.${octet}.0.0/16` } },
      Subnet: { Type: 'AWS::EC2::Subnet', Properties: { VpcId: { Ref: 'Vpc' }, CidrBlock: `10.${octet}.0.0/24` } },
      Cluster: { Type: 'AWS::ECS::Cluster', Properties: { ClusterName: cluster } },
      Logs: { Type: 'AWS::Logs::LogGroup', Properties: { LogGroupName: `/shop/${cluster}` } },
      Launch: {
        Type: 'AWS::EC2::LaunchTemplate',
        Properties: { LaunchTemplateData: { ImageId: ECS_AMI, InstanceType: instanceType, UserData: { 'Fn::Base64': { 'Fn::Sub': "#!/bin/bash\ncat >> /etc/ecs/ecs.config <<'EOF'\nECS_CLUSTER=${Cluster}\nEOF\n" } } } },
      },
      Group: {
        Type: 'AWS::AutoScaling::AutoScalingGroup',
        DependsOn: 'Cluster',
        Properties: { MinSize: String(instances), MaxSize: String(instances), DesiredCapacity: String(instances), VPCZoneIdentifier: [{ Ref: 'Subnet' }], LaunchTemplate: { LaunchTemplateId: { Ref: 'Launch' }, Version: { 'Fn::GetAtt': ['Launch', 'LatestVersionNumber'] } } },
      },
      Task: taskDefinition(image),
      ...(options.nextImage === undefined ? {} : { NextTask: taskDefinition(options.nextImage) }),
      ...(options.targetGroup
        ? { Targets: { Type: 'AWS::ElasticLoadBalancingV2::TargetGroup', Properties: { VpcId: { Ref: 'Vpc' }, Port: 8080, Protocol: 'HTTP', TargetType: networkMode === 'awsvpc' ? 'ip' : 'instance', HealthCheckIntervalSeconds: 10, HealthyThresholdCount: 3, TargetGroupAttributes: [{ Key: 'deregistration_delay.timeout_seconds', Value: '30' }] } } }
        : {}),
      Service: {
        Type: 'AWS::ECS::Service',
        DependsOn: 'Group',
        Properties: {
          Cluster: { Ref: 'Cluster' },
          ServiceName: 'web',
          TaskDefinition: { Ref: 'Task' },
          DesiredCount: desired,
          LaunchType: 'EC2',
          DeploymentConfiguration: { MinimumHealthyPercent: options.minimumHealthyPercent ?? 100, MaximumPercent: 200, ...(options.breaker === false ? {} : { DeploymentCircuitBreaker: { Enable: true, Rollback: true } }) },
          ...(networkMode === 'awsvpc' ? { NetworkConfiguration: { AwsvpcConfiguration: { Subnets: [{ Ref: 'Subnet' }] } } } : {}),
          ...(options.targetGroup ? { LoadBalancers: [{ TargetGroupArn: { Ref: 'Targets' }, ContainerName: 'web', ContainerPort: 8080 }] } : {}),
        },
      },
    },
  });
}

async function deploy(name: string, options: ServiceOptions) {
  await cfn.send(new CreateStackCommand({ StackName: name, TemplateBody: serviceTemplate(options) }));
  return waitForStack(cfn, name);
}

async function describeService(cluster: string): Promise<Service> {
  const { services } = await ecs.send(new DescribeServicesCommand({ cluster, services: ['web'] }));
  const service = services?.[0];
  if (service === undefined) throw new Error(`no service web in ${cluster}`);
  return service;
}

async function tasks(cluster: string, desiredStatus: 'RUNNING' | 'STOPPED'): Promise<Task[]> {
  const { taskArns = [] } = await ecs.send(new ListTasksCommand({ cluster, serviceName: 'web', desiredStatus }));
  if (taskArns.length === 0) return [];
  return (await ecs.send(new DescribeTasksCommand({ cluster, tasks: taskArns }))).tasks ?? [];
}

async function poll<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`still waiting after ${timeoutMs} ms: ${JSON.stringify(value).slice(0, 600)}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function physicalId(stackName: string, logicalId: string): Promise<string> {
  const { StackResources = [] } = await cfn.send(new DescribeStackResourcesCommand({ StackName: stackName, LogicalResourceId: logicalId }));
  return StackResources[0]?.PhysicalResourceId ?? '';
}

/** UpdateStack's call: the service's TaskDefinition becomes the stack's NextTask; resolves with the failure, if any. */
function updateToNextTask(stackName: string, nextTaskArn: string): Promise<string | undefined> {
  const { engine } = edge.sandbox;
  const stack = engine.findStack(ACCOUNT, REGION, stackName);
  const resource = stack?.resources.find((candidate) => candidate.logicalId === 'Service');
  if (stack === undefined || resource === undefined) throw new Error(`no service in ${stackName}`);
  const before = resource.properties ?? {};
  const after = { ...before, TaskDefinition: nextTaskArn };
  return new Promise((resolve) => {
    const started = engine.ecs.updateService(stack, resource, before, after, (failure) => resolve(failure));
    if (!started) throw new Error('the sandbox does not run this service');
  });
}

const sha256 = (text: string) => `sha256:${createHash('sha256').update(text).digest('hex')}`;

describe('ECS services in the sandbox account', () => {
  it('places a service on its container instances and completes the resource at steady state, with tasks, digests and logs to read', async () => {
    // Prepare
    const pinned = `public.ecr.aws/shop/web@sha256:${'ab'.repeat(32)}`;

    // Act
    const stack = await deploy('ecs-steady', { cluster: 'steady', instances: 2, desired: 3, targetGroup: true });
    const pinnedStack = await deploy('ecs-pinned', { cluster: 'pinned', desired: 1, image: pinned, networkMode: 'bridge' });

    // Assess
    expect(stack.StackStatus).toBe('CREATE_COMPLETE');
    expect(pinnedStack.StackStatus).toBe('CREATE_COMPLETE');
    const service = await describeService('steady');
    expect(service).toMatchObject({ status: 'ACTIVE', desiredCount: 3, runningCount: 3, pendingCount: 0, launchType: 'EC2' });
    expect(service.deployments).toEqual([expect.objectContaining({ status: 'PRIMARY', rolloutState: 'COMPLETED', runningCount: 3, failedTasks: 0 })]);
    expect(service.events?.[0]?.message).toBe('(service web) has reached a steady state.');
    // Not before a task could be attached, pulled, started and found healthy by the target group (3 × 10 s), scaled.
    const serviceEvents = (await stackEvents(cfn, 'ecs-steady')).filter((event) => event.LogicalResourceId === 'Service');
    const began = serviceEvents.find((event) => event.ResourceStatus === 'CREATE_IN_PROGRESS')?.Timestamp?.getTime() ?? 0;
    const ended = serviceEvents.find((event) => event.ResourceStatus === 'CREATE_COMPLETE')?.Timestamp?.getTime() ?? 0;
    expect(ended - began).toBeGreaterThanOrEqual((10 + 20 + 3 + 30) * 1000 * SPEED);
    const { serviceArns = [] } = await ecs.send(new ListServicesCommand({ cluster: 'steady' }));
    const listed = await ecs.send(new DescribeServicesCommand({ cluster: 'steady', services: serviceArns }));
    expect(listed.services?.map((candidate) => candidate.serviceArn)).toEqual([`arn:aws:ecs:${REGION}:${ACCOUNT}:service/steady/web`]);
    const running = await tasks('steady', 'RUNNING');
    expect(running).toHaveLength(3);
    expect(running.every((task) => task.lastStatus === 'RUNNING' && task.containers?.[0]?.imageDigest === sha256('public.ecr.aws/shop/web:1.0'))).toBe(true);
    // Three awsvpc tasks on two t4g.medium (3 interfaces each: 2 for tasks), spread over both.
    expect(new Set(running.map((task) => task.containerInstanceArn)).size).toBe(2);
    const [pinnedTask] = await tasks('pinned', 'RUNNING');
    expect(pinnedTask?.containers?.[0]?.imageDigest).toBe(`sha256:${'ab'.repeat(32)}`);
    const { taskDefinition } = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: await physicalId('ecs-steady', 'Task') }));
    expect(taskDefinition).toMatchObject({ family: 'steady-web', revision: 1, networkMode: 'awsvpc' });
    expect(taskDefinition?.containerDefinitions?.[0]).toMatchObject({ name: 'web', image: 'public.ecr.aws/shop/web:1.0', environment: [{ name: 'STAGE', value: 'test' }] });

    const taskId = running[0]?.taskArn?.split('/').at(-1) ?? '';
    const { events = [] } = await logs.send(new GetLogEventsCommand({ logGroupName: '/shop/steady', logStreamName: `shop/web/${taskId}`, startFromHead: true }));
    expect(events.map((event) => event.message)).toEqual([expect.stringContaining(`started from public.ecr.aws/shop/web:1.0 (${sha256('public.ecr.aws/shop/web:1.0')})`), expect.stringContaining('listening on port 8080')]);
    const filtered = await logs.send(new FilterLogEventsCommand({ logGroupName: '/shop/steady', filterPattern: 'listening' }));
    expect(filtered.events).toHaveLength(3);
    const missing = await logs.send(new GetLogEventsCommand({ logGroupName: '/shop/nothing', logStreamName: 'x' })).catch((error: Error) => error);
    expect(missing).toMatchObject({ name: 'ResourceNotFoundException', message: 'The specified log group does not exist.' });
  });

  it('leaves tasks pending when no instance has the memory, network interfaces or host port for them, and CloudFormation waits until its cap', async () => {
    // Prepare: one t4g.small each (2 vCPU, 2 GiB, 3 network interfaces).
    const cases = [
      { name: 'ecs-eni', cluster: 'eni', reason: 'encountered error "RESOURCE:ENI"', options: { desired: 3, cpu: 128, memory: 128 } },
      { name: 'ecs-memory', cluster: 'memory', reason: 'has insufficient memory available', options: { desired: 2, memory: 1536, networkMode: 'bridge' as const } },
      { name: 'ecs-port', cluster: 'port', reason: 'is already using a port required by your task', options: { desired: 2, networkMode: 'bridge' as const, hostPort: 80 } },
    ];

    // Act
    await Promise.all(cases.map(({ name, cluster, options }) => cfn.send(new CreateStackCommand({ StackName: name, TemplateBody: serviceTemplate({ cluster, instanceType: 't4g.small', ...options }) }))));
    const services = await Promise.all(
      cases.map(({ cluster, reason }) => poll(() => describeService(cluster).catch(() => undefined), (service) => service !== undefined && service.runningCount === service.desiredCount! - 1 && (service.events ?? []).some((event) => event.message?.includes(reason)))),
    );
    const stacks = await Promise.all(cases.map(({ name }) => waitForStack(cfn, name)));

    // Assess: one task of each waits for room (no circuit breaker counts it); CloudFormation gives up at its cap and rolls back.
    for (const [index, { name, reason }] of cases.entries()) {
      const service = services[index];
      expect(service).toMatchObject({ pendingCount: 1 });
      expect(service?.deployments?.[0]).toMatchObject({ rolloutState: 'IN_PROGRESS', failedTasks: 0, pendingCount: 1 });
      expect(service?.events?.find((event) => event.message?.includes(reason))?.message).toMatch(
        /^service web was unable to place a task because no container instance met all of its requirements\. The closest matching container-instance [0-9a-f]{32} .+\. For more information, see the Troubleshooting section of the Amazon ECS Developer Guide\.$/,
      );
      expect(stacks[index]?.StackStatus).toBe('ROLLBACK_COMPLETE');
      const failed = (await stackEvents(cfn, name)).find((event) => event.LogicalResourceId === 'Service' && event.ResourceStatus === 'CREATE_FAILED');
      expect(failed?.ResourceStatusReason).toMatch(TIMED_OUT);
    }
  });

  it('cancels a service still waiting for steady state when the stack is deleted, and deletes it', async () => {
    // Prepare: three awsvpc tasks for one t4g.small (room for two): the service never stabilises.
    const { StackId: stackId = '' } = await cfn.send(new CreateStackCommand({ StackName: 'ecs-cancelled', TemplateBody: serviceTemplate({ cluster: 'cancelled', instanceType: 't4g.small', desired: 3, cpu: 128, memory: 128 }) }));
    await poll(() => describeService('cancelled').catch(() => undefined), (service) => service?.runningCount === 2);

    // Act
    const asked = Date.now();
    await cfn.send(new DeleteStackCommand({ StackName: 'ecs-cancelled' }));
    const deleted = await waitForStack(cfn, stackId);

    // Assess: gone well before CloudFormation's wait would have ended (1.2 s here).
    expect(deleted.StackStatus).toBe('DELETE_COMPLETE');
    expect(Date.now() - asked).toBeLessThan(WAIT_SECONDS * 1000 * SPEED);
    const service = (await stackEvents(cfn, stackId)).filter((event) => event.LogicalResourceId === 'Service').map((event) => `${event.ResourceStatus ?? ''} ${event.ResourceStatusReason ?? ''}`.trim());
    expect(service.slice(-3)).toEqual(['CREATE_FAILED Resource creation cancelled', 'DELETE_IN_PROGRESS', 'DELETE_COMPLETE']);
  });

  it('stops tasks of a faulty image with ECS’s reason, trips the circuit breaker and rolls back to the last completed deployment', async () => {
    // Prepare: four services running 1.0; each will be updated to an image with a fault.
    const cases = [
      { cluster: 'pull', image: 'public.ecr.aws/shop/web:no-such-tag', fault: 'pull-error', options: {} },
      { cluster: 'crash', image: 'public.ecr.aws/shop/web:crashes', fault: 'crash', options: {} },
      { cluster: 'elb', image: 'public.ecr.aws/shop/web:unhealthy-elb', fault: 'unhealthy', options: { targetGroup: true } },
      { cluster: 'check', image: 'public.ecr.aws/shop/web:unhealthy-check', fault: 'unhealthy', options: { containerHealthCheck: true } },
    ];
    await Promise.all(cases.map(({ cluster, image, options }) => deploy(`ecs-fault-${cluster}`, { cluster, nextImage: image, instances: 3, ...options })));
    const response = await fetch(`${edge.url}/_sandbox/faults`, { method: 'PUT', body: JSON.stringify({ images: Object.fromEntries(cases.map(({ image, fault }) => [image, fault])) }) });
    expect(response.status).toBe(200);
    const targetGroup = await physicalId('ecs-fault-elb', 'Targets');
    const reasons: Record<string, RegExp> = {
      pull: /^CannotPullContainerError: pull image manifest has been retried 5 time\(s\): failed to resolve ref public\.ecr\.aws\/shop\/web:no-such-tag: .*not found$/,
      crash: /^Essential container in task exited$/,
      elb: new RegExp(`^Task failed ELB health checks in \\(target-group ${targetGroup.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}\\)$`),
      check: /^Task failed container health checks$/,
    };

    // Act
    const failures = await Promise.all(cases.map(async ({ cluster }) => updateToNextTask(`ecs-fault-${cluster}`, await physicalId(`ecs-fault-${cluster}`, 'NextTask'))));

    // Assess
    for (const [index, { cluster, image }] of cases.entries()) {
      expect(failures[index]).toMatch(CIRCUIT_BREAKER);
      const service = await describeService(cluster);
      const firstTask = await physicalId(`ecs-fault-${cluster}`, 'Task');
      expect(service).toMatchObject({ runningCount: 2, pendingCount: 0, taskDefinition: firstTask });
      expect(service.deployments).toEqual([expect.objectContaining({ taskDefinition: firstTask, rolloutState: 'COMPLETED' })]);
      const messages = (service.events ?? []).map((event) => event.message ?? '');
      expect(messages).toContainEqual(expect.stringMatching(/^\(service web\) \(deployment ecs-svc\/\d{19}\) deployment failed: tasks failed to start\.$/));
      // The threshold's worth failed with the fault's reason; any still starting when the breaker tripped, the scheduler stopped.
      const stopped = (await tasks(cluster, 'STOPPED')).filter((task) => task.containers?.[0]?.image === image);
      const failed = stopped.filter((task) => (reasons[cluster] as RegExp).test(task.stoppedReason ?? ''));
      expect(failed.length).toBeGreaterThanOrEqual(circuitBreakerThreshold(2));
      for (const task of stopped.filter((candidate) => !failed.includes(candidate))) expect(task.stoppedReason).toMatch(/^Scaling activity initiated by \(deployment ecs-svc\/\d{19}\)$/);
      const running = await tasks(cluster, 'RUNNING');
      expect(running.map((task) => task.containers?.[0]?.image)).toEqual(['public.ecr.aws/shop/web:1.0', 'public.ecr.aws/shop/web:1.0']);
    }
    const crashed = (await tasks('crash', 'STOPPED')).filter((task) => task.stoppedReason === 'Essential container in task exited');
    expect(crashed.length).toBeGreaterThanOrEqual(circuitBreakerThreshold(2));
    expect(crashed.map((task) => task.containers?.[0]?.exitCode)).toEqual(crashed.map(() => 1));
    const crashLog = await logs.send(new FilterLogEventsCommand({ logGroupName: '/shop/crash', filterPattern: 'fatal' }));
    expect(crashLog.events?.map((event) => event.logStreamName).sort()).toEqual(crashed.map((task) => `shop/web/${task.taskArn?.split('/').at(-1) ?? ''}`).sort());
    expect(crashLog.events?.[0]?.message).toContain('exiting with status 1');
  });

  it('fails a first deployment that trips the circuit breaker at once (nothing to roll back to); without the breaker it churns until CloudFormation gives up', async () => {
    // Prepare
    edge.sandbox.faults.failImage('public.ecr.aws/shop/web:first-crash', 'crash');

    // Act
    const [guarded, unguarded] = await Promise.all([
      deploy('ecs-first-guarded', { cluster: 'guarded', image: 'public.ecr.aws/shop/web:first-crash' }),
      (async () => {
        await cfn.send(new CreateStackCommand({ StackName: 'ecs-first-unguarded', TemplateBody: serviceTemplate({ cluster: 'unguarded', image: 'public.ecr.aws/shop/web:first-crash', breaker: false }) }));
        const churning = await poll(() => describeService('unguarded').catch(() => undefined), (service) => (service?.deployments?.[0]?.failedTasks ?? 0) > circuitBreakerThreshold(2));
        return { churning, stack: await waitForStack(cfn, 'ecs-first-unguarded') };
      })(),
    ]);

    // Assess
    expect(guarded.StackStatus).toBe('ROLLBACK_COMPLETE');
    const guardedFailure = (await stackEvents(cfn, 'ecs-first-guarded')).find((event) => event.LogicalResourceId === 'Service' && event.ResourceStatus === 'CREATE_FAILED');
    expect(guardedFailure?.ResourceStatusReason).toMatch(CIRCUIT_BREAKER);
    expect(unguarded.churning?.deployments?.[0]?.rolloutState).toBe('IN_PROGRESS');
    expect(unguarded.stack.StackStatus).toBe('ROLLBACK_COMPLETE');
    const unguardedFailure = (await stackEvents(cfn, 'ecs-first-unguarded')).find((event) => event.LogicalResourceId === 'Service' && event.ResourceStatus === 'CREATE_FAILED');
    expect(unguardedFailure?.ResourceStatusReason).toMatch(TIMED_OUT);
  });

  it('rolls out an update within minimum healthy and maximum percent, scales without a new deployment, and drains the service on delete', async () => {
    // Prepare
    const { StackId: stackId = '' } = await deploy('ecs-rolling', { cluster: 'rolling', instances: 2, nextImage: 'public.ecr.aws/shop/web:2.0', targetGroup: true });
    const first = await describeService('rolling');
    const nextTask = await physicalId('ecs-rolling', 'NextTask');

    // Act
    const failure = await updateToNextTask('ecs-rolling', nextTask);
    const after = await describeService('rolling');
    const stack = edge.sandbox.engine.findStack(ACCOUNT, REGION, 'ecs-rolling');
    const resource = stack?.resources.find((candidate) => candidate.logicalId === 'Service');
    const scaled = await new Promise<string | undefined>((resolve) => {
      const before = { ...(resource?.properties ?? {}), TaskDefinition: nextTask };
      edge.sandbox.engine.ecs.updateService(stack!, resource!, before, { ...before, DesiredCount: 3 }, resolve);
    });
    const grown = await describeService('rolling');
    const running = await tasks('rolling', 'RUNNING');
    const replaced = (await tasks('rolling', 'STOPPED')).filter((task) => task.containers?.[0]?.image === 'public.ecr.aws/shop/web:1.0');
    await cfn.send(new DeleteStackCommand({ StackName: 'ecs-rolling' }));
    const deleted = await waitForStack(cfn, stackId);

    // Assess
    expect(failure).toBeUndefined();
    // The new deployment's tasks started beside the old one's, which stopped only after (100 % minimum
    // healthy): read from the service's events, oldest first, not from a moment caught mid-rollout.
    const story = [...(after.events ?? [])].reverse().map((event) => event.message ?? '');
    const started = story.flatMap((message, index) => (message.includes('has started 2 tasks') ? [index] : []));
    const stopped = story.findIndex((message) => /has stopped \d+ running tasks/.test(message));
    expect(started).toHaveLength(2);
    expect(stopped).toBeGreaterThan(started[1] ?? Number.POSITIVE_INFINITY);
    expect(first.deployments?.[0]?.id).not.toBe(after.deployments?.[0]?.id);
    expect(after.deployments).toEqual([expect.objectContaining({ status: 'PRIMARY', taskDefinition: nextTask, rolloutState: 'COMPLETED', runningCount: 2 })]);
    expect(running.map((task) => task.containers?.[0]?.image)).toEqual(Array.from({ length: 3 }, () => 'public.ecr.aws/shop/web:2.0'));
    expect(replaced).toHaveLength(2);
    for (const task of replaced) expect(task.stoppedReason).toBe(`Scaling activity initiated by (deployment ${after.deployments?.[0]?.id ?? ''})`);
    expect(scaled).toBeUndefined();
    expect(grown).toMatchObject({ desiredCount: 3, runningCount: 3 });
    expect(grown.deployments?.map((deployment) => deployment.id)).toEqual([after.deployments?.[0]?.id]);
    expect(deleted.StackStatus).toBe('DELETE_COMPLETE');
    // The service's delete waits for its tasks to drain from the target group (30 s) and stop, scaled.
    const serviceEvents = (await stackEvents(cfn, stackId)).filter((event) => event.LogicalResourceId === 'Service');
    const began = serviceEvents.find((event) => event.ResourceStatus === 'DELETE_IN_PROGRESS')?.Timestamp?.getTime() ?? 0;
    const ended = serviceEvents.find((event) => event.ResourceStatus === 'DELETE_COMPLETE')?.Timestamp?.getTime() ?? 0;
    expect(ended - began).toBeGreaterThanOrEqual(30 * 1000 * SPEED);
  });

  it('takes image faults through PUT /_sandbox/faults and refuses one it does not know', async () => {
    // Act
    const put = await fetch(`${edge.url}/_sandbox/faults`, { method: 'PUT', body: JSON.stringify({ images: { 'nginx:1.27': 'crash' } }) });
    const shown = (await (await fetch(`${edge.url}/_sandbox/faults`)).json()) as { images: Record<string, string> };
    const refused = await fetch(`${edge.url}/_sandbox/faults`, { method: 'PUT', body: JSON.stringify({ images: { 'nginx:1.27': 'slow' } }) });

    // Assess
    expect(put.status).toBe(200);
    expect(shown.images).toEqual({ 'nginx:1.27': 'crash' });
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { message: string }).message).toBe('Invalid faults document: images["nginx:1.27"] is "pull-error", "crash" or "unhealthy"');
  });

  it('evaluates a role session’s ECS and Logs reads against its role’s policies', async () => {
    // Prepare: a service, and a role that may describe its services and read its log streams, nothing else.
    await deploy('ecs-iam', { cluster: 'iam', desired: 1 });
    const policy = {
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Action: ['ecs:DescribeServices', 'ecs:ListTasks'], Resource: '*', Condition: { ArnEquals: { 'ecs:cluster': `arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/iam` } } },
        { Effect: 'Allow', Action: 'logs:GetLogEvents', Resource: `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/shop/iam:log-stream:*` },
      ],
    };
    const roleTemplate = {
      Resources: {
        Reader: {
          Type: 'AWS::IAM::Role',
          Properties: {
            RoleName: 'EcsReader',
            AssumeRolePolicyDocument: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'sts:AssumeRole' }] },
            Policies: [{ PolicyName: 'read', PolicyDocument: policy }],
          },
        },
      },
    };
    await cfn.send(new CreateStackCommand({ StackName: 'ecs-iam-role', TemplateBody: JSON.stringify(roleTemplate), Capabilities: ['CAPABILITY_NAMED_IAM'] }));
    expect((await waitForStack(cfn, 'ecs-iam-role')).StackStatus).toBe('CREATE_COMPLETE');
    const { Credentials } = await edge.sts(ACCOUNT).send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${ACCOUNT}:role/EcsReader`, RoleSessionName: 'reader' }));
    const credentials = { accessKeyId: Credentials?.AccessKeyId ?? '', secretAccessKey: Credentials?.SecretAccessKey ?? '', sessionToken: Credentials?.SessionToken ?? '' };
    const readerEcs = edge.ecs(ACCOUNT, credentials);
    const readerLogs = new CloudWatchLogsClient({ region: REGION, endpoint: edge.url, maxAttempts: 1, credentials });

    // Act
    const described = await readerEcs.send(new DescribeServicesCommand({ cluster: 'iam', services: ['web'] }));
    const { taskArns = [] } = await readerEcs.send(new ListTasksCommand({ cluster: 'iam', serviceName: 'web' }));
    const tasksRefused = await readerEcs.send(new DescribeTasksCommand({ cluster: 'iam', tasks: taskArns })).catch((error: Error) => error);
    const otherCluster = await readerEcs.send(new DescribeServicesCommand({ cluster: 'steady', services: ['web'] })).catch((error: Error) => error);
    const stream = `shop/web/${taskArns[0]?.split('/').at(-1) ?? ''}`;
    const read = await readerLogs.send(new GetLogEventsCommand({ logGroupName: '/shop/iam', logStreamName: stream }));
    const filterRefused = await readerLogs.send(new FilterLogEventsCommand({ logGroupName: '/shop/iam' })).catch((error: Error) => error);
    readerLogs.destroy();

    // Assess
    expect(described.services?.[0]?.runningCount).toBe(1);
    expect(taskArns).toHaveLength(1);
    expect(tasksRefused).toMatchObject({ name: 'AccessDeniedException', message: expect.stringContaining('is not authorized to perform: ecs:DescribeTasks') });
    expect(otherCluster).toMatchObject({ name: 'AccessDeniedException', message: expect.stringContaining('ecs:DescribeServices') });
    expect(read.events?.length).toBe(2);
    expect(filterRefused).toMatchObject({ name: 'AccessDeniedException', message: expect.stringContaining('logs:FilterLogEvents') });
  });

  it('holds a rolling update of awsvpc tasks on an instance with no spare network interface until the cap, unless old tasks may stop first', async () => {
    // Prepare: one t4g.small (room for two awsvpc tasks) running two; the update needs a third and fourth interface.
    await deploy('ecs-surge', { cluster: 'surge', instanceType: 't4g.small', desired: 2, nextImage: 'public.ecr.aws/shop/web:2.0' });
    await deploy('ecs-surge-half', { cluster: 'surge-half', instanceType: 't4g.small', desired: 2, nextImage: 'public.ecr.aws/shop/web:2.0', minimumHealthyPercent: 50 });

    // Act
    const [held, rolled] = await Promise.all([
      updateToNextTask('ecs-surge', await physicalId('ecs-surge', 'NextTask')),
      updateToNextTask('ecs-surge-half', await physicalId('ecs-surge-half', 'NextTask')),
    ]);
    const stuck = await describeService('surge');
    const done = await describeService('surge-half');

    // Assess
    expect(held).toMatch(TIMED_OUT);
    expect(stuck.deployments?.map((deployment) => [deployment.status, deployment.runningCount, deployment.pendingCount])).toEqual([
      ['PRIMARY', 0, 2],
      ['ACTIVE', 2, 0],
    ]);
    expect(stuck.events?.some((event) => event.message?.includes('encountered error "RESOURCE:ENI"'))).toBe(true);
    expect(rolled).toBeUndefined();
    expect(done.deployments).toEqual([expect.objectContaining({ rolloutState: 'COMPLETED', runningCount: 2, taskDefinition: await physicalId('ecs-surge-half', 'NextTask') })]);
  });

  it('starts a live service’s tasks anew after a restart, and resumes a create still waiting for steady state', async () => {
    // Prepare: a steady service, and one that cannot stabilise, when the sandbox stops.
    const directory = mkdtempSync(join(tmpdir(), 'groundwork-ecs-'));
    const stateFile = join(directory, 'sandbox.json');
    const first = await startSandboxEdge({ stateFile, speed: SPEED, ecsWaitSeconds: WAIT_SECONDS });
    const firstCfn = first.cloudFormation(ACCOUNT);
    await firstCfn.send(new CreateStackCommand({ StackName: 'ecs-restart', TemplateBody: serviceTemplate({ cluster: 'restart' }) }));
    expect((await waitForStack(firstCfn, 'ecs-restart')).StackStatus).toBe('CREATE_COMPLETE');
    await firstCfn.send(new CreateStackCommand({ StackName: 'ecs-restart-waiting', TemplateBody: serviceTemplate({ cluster: 'restart-waiting', instanceType: 't4g.small', desired: 3, cpu: 128, memory: 128 }) }));
    await poll(() => first.ecs(ACCOUNT).send(new DescribeServicesCommand({ cluster: 'restart-waiting', services: ['web'] })).catch(() => undefined), (answer) => answer?.services?.[0]?.runningCount === 2);
    await first.close();

    // Act
    const second = await startSandboxEdge({ stateFile, speed: SPEED, ecsWaitSeconds: WAIT_SECONDS });
    const secondEcs = second.ecs(ACCOUNT);
    const restarted = await poll(() => secondEcs.send(new DescribeServicesCommand({ cluster: 'restart', services: ['web'] })), (answer) => answer.services?.[0]?.deployments?.[0]?.rolloutState === 'COMPLETED');
    const waited = await waitForStack(second.cloudFormation(ACCOUNT), 'ecs-restart-waiting');
    const failure = (await stackEvents(second.cloudFormation(ACCOUNT), 'ecs-restart-waiting')).find((event) => event.LogicalResourceId === 'Service' && event.ResourceStatus === 'CREATE_FAILED');
    await second.close();
    rmSync(directory, { recursive: true, force: true });

    // Assess
    expect(restarted.services?.[0]).toMatchObject({ runningCount: 2, desiredCount: 2 });
    expect(waited.StackStatus).toBe('ROLLBACK_COMPLETE');
    expect(failure?.ResourceStatusReason).toMatch(TIMED_OUT);
  });

  it('starts an UpdateStack\'s rollout again after a restart in the middle of it, and completes the update', async () => {
    // Prepare: slower than the other tests, so that the sandbox stops while the new tasks start.
    const directory = mkdtempSync(join(tmpdir(), 'groundwork-ecs-update-'));
    const stateFile = join(directory, 'sandbox.json');
    const first = await startSandboxEdge({ stateFile, speed: 0.05, ecsWaitSeconds: WAIT_SECONDS });
    const firstCfn = first.cloudFormation(ACCOUNT);
    await firstCfn.send(new CreateStackCommand({ StackName: 'ecs-restart-update', TemplateBody: serviceTemplate({ cluster: 'restart-update' }) }));
    expect((await waitForStack(firstCfn, 'ecs-restart-update', 120_000)).StackStatus).toBe('CREATE_COMPLETE');
    await firstCfn.send(new UpdateStackCommand({ StackName: 'ecs-restart-update', TemplateBody: serviceTemplate({ cluster: 'restart-update', image: 'public.ecr.aws/shop/web:2.0' }) }));
    await poll(() => stackEvents(firstCfn, 'ecs-restart-update'), (events) => events.some((event) => event.LogicalResourceId === 'Service' && event.ResourceStatus === 'UPDATE_IN_PROGRESS'));
    await first.close();

    // Act
    const second = await startSandboxEdge({ stateFile, speed: 0.05, ecsWaitSeconds: WAIT_SECONDS });
    try {
      const updated = await waitForStack(second.cloudFormation(ACCOUNT), 'ecs-restart-update', 120_000);
      const { services } = await second.ecs(ACCOUNT).send(new DescribeServicesCommand({ cluster: 'restart-update', services: ['web'] }));
      const { taskDefinition } = await second.ecs(ACCOUNT).send(new DescribeTaskDefinitionCommand({ taskDefinition: services?.[0]?.taskDefinition ?? '' }));

      // Assess
      expect(updated.StackStatus).toBe('UPDATE_COMPLETE');
      expect(services?.[0]).toMatchObject({ runningCount: 2, desiredCount: 2 });
      expect(taskDefinition?.containerDefinitions?.[0]?.image).toBe('public.ecr.aws/shop/web:2.0');
    } finally {
      await second.close();
      rmSync(directory, { recursive: true, force: true });
    }
  }, 240_000);
});
