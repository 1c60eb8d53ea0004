import type { AwsRequest, AwsService } from '../../contracts';
import { jsonProtocolService, type JsonOperation } from '../../edge/aws-protocols';
import { AwsServiceError } from '../../edge/errors';
import type { Caller } from '../caller-identity';
import type { StackEngine } from '../stack-engine';
import { clusterNameOf, findCluster, type TaskDefinition } from './ecs-model';
import type { Deployment, EcsService, Task } from './ecs-state';
import type { LogEvent } from './task-logs';

/**
 * The ECS reads and CloudWatch Logs reads of a sandbox account (AWS JSON 1.1), answered from the
 * services the stacks run (ecs-runtime.ts): DescribeServices, ListTasks, DescribeTasks,
 * DescribeTaskDefinition; GetLogEvents and FilterLogEvents of the tasks' awslogs streams. A role
 * session's call is evaluated against its role's policies, on the resource the IAM service
 * authorization reference names for the action (ECS: the service or task ARN with the `ecs:cluster`
 * condition key; ListTasks and DescribeTaskDefinition on `*`; Logs: the log stream or group ARN).
 */

export interface EcsApiContext {
  engine: StackEngine;
  caller: (request: AwsRequest) => Caller;
  deny: (denial: string | undefined) => void;
}

const seconds = (time: number | undefined) => (time === undefined ? undefined : time / 1000);

export function ecsReadOperations({ engine, caller, deny }: EcsApiContext): Record<string, JsonOperation> {
  const runtime = engine.ecs;
  /** The cluster a call names (default: `default`); `exists()` refuses one that does not exist, once IAM has allowed the call. */
  const cluster = (input: Record<string, unknown>, request: AwsRequest, account: string) => {
    const name = clusterNameOf(input['cluster']);
    const exists = () => {
      // ClusterNotFoundException: "Cluster not found." (as in reference-checks.ts; aws/aws-sdk-java#3093).
      if (findCluster(engine.accounts.liveResources(account, request.region), name) === undefined) throw new AwsServiceError('ClusterNotFoundException', 'Cluster not found.', 400);
    };
    return { name, arn: `arn:aws:ecs:${request.region}:${account}:cluster/${name}`, exists };
  };
  const strings = (value: unknown) => (Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : []);

  return {
    async DescribeServices(input, request) {
      const who = caller(request);
      const { name, arn, exists } = cluster(input, request, who.account);
      const arnOf = (wanted: string) => (wanted.startsWith('arn:') ? wanted : `arn:aws:ecs:${request.region}:${who.account}:service/${name}/${wanted}`);
      for (const wanted of strings(input['services'])) deny(engine.permissions.callDenial(who, 'ecs:DescribeServices', { 'aws:RequestedRegion': request.region, 'ecs:cluster': arn }, arnOf(wanted)));
      exists();
      const services = runtime.servicesOf(who.account, request.region, name);
      const found: unknown[] = [];
      const failures: unknown[] = [];
      for (const wanted of strings(input['services'])) {
        const service = services.find((candidate) => candidate.name === wanted || candidate.arn === wanted || candidate.physicalId === wanted);
        if (service === undefined) failures.push({ arn: arnOf(wanted), reason: 'MISSING' });
        else found.push(serviceJson(service));
      }
      return { services: found, failures };
    },

    async ListTasks(input, request) {
      const who = caller(request);
      const { name, arn, exists } = cluster(input, request, who.account);
      deny(engine.permissions.callDenial(who, 'ecs:ListTasks', { 'aws:RequestedRegion': request.region, 'ecs:cluster': arn }));
      exists();
      const serviceName = typeof input['serviceName'] === 'string' ? input['serviceName'] : undefined;
      const services = runtime.servicesOf(who.account, request.region, name);
      // ServiceNotFoundException: "Service not found." (ECS API Reference, Common errors of ListTasks).
      if (serviceName !== undefined && !services.some((service) => service.name === serviceName)) throw new AwsServiceError('ServiceNotFoundException', 'Service not found.', 400);
      const desired = typeof input['desiredStatus'] === 'string' ? input['desiredStatus'] : 'RUNNING';
      const family = typeof input['family'] === 'string' ? input['family'] : undefined;
      const tasks = services
        .filter((service) => serviceName === undefined || service.name === serviceName)
        .flatMap((service) => service.tasks)
        .filter((task) => task.desiredStatus === desired && (family === undefined || task.definition.family === family));
      return { taskArns: tasks.map((task) => task.arn) };
    },

    async DescribeTasks(input, request) {
      const who = caller(request);
      const { name, arn, exists } = cluster(input, request, who.account);
      const arnOf = (wanted: string) => (wanted.startsWith('arn:') ? wanted : `arn:aws:ecs:${request.region}:${who.account}:task/${name}/${wanted}`);
      for (const wanted of strings(input['tasks'])) deny(engine.permissions.callDenial(who, 'ecs:DescribeTasks', { 'aws:RequestedRegion': request.region, 'ecs:cluster': arn }, arnOf(wanted)));
      exists();
      const services = runtime.servicesOf(who.account, request.region, name);
      const found: unknown[] = [];
      const failures: unknown[] = [];
      for (const wanted of strings(input['tasks'])) {
        const located = services.flatMap((service) => service.tasks.map((task) => ({ service, task }))).find(({ task }) => task.arn === wanted || task.id === wanted);
        if (located === undefined) failures.push({ arn: arnOf(wanted), reason: 'MISSING' });
        else found.push(taskJson(located.service, located.task));
      }
      return { tasks: found, failures };
    },

    async DescribeTaskDefinition(input, request) {
      const who = caller(request);
      deny(engine.permissions.callDenial(who, 'ecs:DescribeTaskDefinition', { 'aws:RequestedRegion': request.region }));
      const definition = runtime.taskDefinition(who.account, request.region, String(input['taskDefinition'] ?? ''));
      // ClientException: "Unable to describe task definition." (ECS's answer for a family or revision that does not exist).
      if (definition === undefined) throw new AwsServiceError('ClientException', 'Unable to describe task definition.', 400);
      return { taskDefinition: taskDefinitionJson(definition) };
    },
  };
}

export function createLogsService({ engine, caller, deny }: EcsApiContext): AwsService {
  const logs = engine.ecs.logs;
  /** The group's streams: those the tasks wrote, or none if the group is a live AWS::Logs::LogGroup; else ResourceNotFoundException. */
  const streamsOf = (account: string, region: string, group: string) => {
    const written = logs.streams(account, region, group);
    if (written !== undefined) return written;
    const declared = [...engine.accounts.liveResources(account, region)].some(({ resource }) => resource.type === 'AWS::Logs::LogGroup' && resource.physicalId === group);
    // "The specified log group does not exist." (CloudWatch Logs API Reference, ResourceNotFoundException).
    if (!declared) throw new AwsServiceError('ResourceNotFoundException', 'The specified log group does not exist.', 400);
    return new Map<string, readonly LogEvent[]>();
  };
  const limitOf = (value: unknown) => (typeof value === 'number' && value > 0 ? Math.min(value, 10_000) : 10_000);
  const group = (input: Record<string, unknown>) => String(input['logGroupName'] ?? input['logGroupIdentifier'] ?? '');

  return jsonProtocolService({
    signingNames: ['logs'],
    targetPrefix: 'Logs_20140328',
    version: '1.1',
    operations: {
      async GetLogEvents(input, request) {
        const who = caller(request);
        const name = group(input);
        const stream = String(input['logStreamName'] ?? '');
        deny(engine.permissions.callDenial(who, 'logs:GetLogEvents', { 'aws:RequestedRegion': request.region }, `arn:aws:logs:${request.region}:${who.account}:log-group:${name}:log-stream:${stream}`));
        const events = streamsOf(who.account, request.region, name).get(stream);
        if (events === undefined) throw new AwsServiceError('ResourceNotFoundException', 'The specified log stream does not exist.', 400);
        const inWindow = events.filter((event) => inRange(event, input));
        const limit = limitOf(input['limit']);
        const fromHead = input['startFromHead'] === true;
        const page = fromHead ? inWindow.slice(0, limit) : inWindow.slice(-limit);
        return {
          events: page.map(({ timestamp, message, ingestionTime }) => ({ timestamp, message, ingestionTime })),
          nextForwardToken: `f/${String(events.length).padStart(56, '0')}`,
          nextBackwardToken: `b/${String(0).padStart(56, '0')}`,
        };
      },

      async FilterLogEvents(input, request) {
        const who = caller(request);
        const name = group(input);
        deny(engine.permissions.callDenial(who, 'logs:FilterLogEvents', { 'aws:RequestedRegion': request.region }, `arn:aws:logs:${request.region}:${who.account}:log-group:${name}:*`));
        const streams = streamsOf(who.account, request.region, name);
        const names = Array.isArray(input['logStreamNames']) ? input['logStreamNames'].map(String) : undefined;
        const prefix = typeof input['logStreamNamePrefix'] === 'string' ? input['logStreamNamePrefix'] : undefined;
        // Filter patterns: the sandbox matches plain terms (every term must appear); CloudWatch's JSON and metric patterns are not read.
        const terms = String(input['filterPattern'] ?? '')
          .split(/\s+/)
          .map((term) => term.replace(/^"|"$/g, ''))
          .filter((term) => term !== '');
        const matched = [...streams.entries()]
          .filter(([stream]) => (names === undefined || names.includes(stream)) && (prefix === undefined || stream.startsWith(prefix)))
          .flatMap(([stream, events]) => events.filter((event) => inRange(event, input) && terms.every((term) => event.message.includes(term))).map((event) => ({ logStreamName: stream, ...event })))
          .sort((a, b) => a.timestamp - b.timestamp)
          .slice(0, limitOf(input['limit']));
        return { events: matched, searchedLogStreams: [] };
      },
    },
  });
}

function inRange(event: LogEvent, input: Record<string, unknown>): boolean {
  const start = typeof input['startTime'] === 'number' ? input['startTime'] : undefined;
  const end = typeof input['endTime'] === 'number' ? input['endTime'] : undefined;
  return (start === undefined || event.timestamp >= start) && (end === undefined || event.timestamp <= end);
}

function counts(service: EcsService, deployment?: Deployment) {
  const tasks = service.tasks.filter((task) => task.desiredStatus === 'RUNNING' && (deployment === undefined || task.deploymentId === deployment.id));
  return {
    runningCount: tasks.filter((task) => task.lastStatus === 'RUNNING').length,
    pendingCount: tasks.filter((task) => task.lastStatus === 'PROVISIONING' || task.lastStatus === 'PENDING').length,
  };
}

function serviceJson(service: EcsService): Record<string, unknown> {
  const primary = service.deployments[0];
  return {
    serviceArn: service.arn,
    serviceName: service.name,
    clusterArn: service.clusterArn,
    status: service.status,
    desiredCount: service.desiredCount,
    ...counts(service),
    launchType: service.capacityProviderStrategy.length > 0 ? undefined : service.launchType,
    capacityProviderStrategy: service.capacityProviderStrategy,
    taskDefinition: primary?.taskDefinition.arn,
    schedulingStrategy: 'REPLICA',
    deploymentController: { type: 'ECS' },
    deploymentConfiguration: {
      maximumPercent: service.maximumPercent,
      minimumHealthyPercent: service.minimumHealthyPercent,
      deploymentCircuitBreaker: service.circuitBreaker,
    },
    loadBalancers: service.targetGroups.map((group) => ({ targetGroupArn: group.arn })),
    healthCheckGracePeriodSeconds: service.healthCheckGracePeriodSeconds,
    deployments: service.deployments.map((deployment) => ({
      id: deployment.id,
      status: deployment.status,
      taskDefinition: deployment.taskDefinition.arn,
      desiredCount: deployment.desiredCount,
      ...counts(service, deployment),
      failedTasks: deployment.failedTasks,
      createdAt: seconds(deployment.createdAt),
      updatedAt: seconds(deployment.updatedAt),
      launchType: service.launchType,
      rolloutState: deployment.rolloutState,
      rolloutStateReason: deployment.rolloutStateReason,
    })),
    events: service.events.map((event) => ({ id: event.id, createdAt: seconds(event.createdAt), message: event.message })),
    createdAt: seconds(service.createdAt),
  };
}

function taskJson(service: EcsService, task: Task): Record<string, unknown> {
  return {
    taskArn: task.arn,
    clusterArn: service.clusterArn,
    taskDefinitionArn: task.definition.arn,
    containerInstanceArn: task.containerInstance?.arn,
    lastStatus: task.lastStatus,
    desiredStatus: task.desiredStatus,
    healthStatus: task.healthStatus,
    launchType: task.launchType,
    cpu: task.definition.cpu,
    memory: task.definition.memory,
    group: `service:${service.name}`,
    startedBy: task.deploymentId,
    createdAt: seconds(task.createdAt),
    pullStartedAt: seconds(task.pullStartedAt),
    pullStoppedAt: seconds(task.pullStoppedAt),
    startedAt: seconds(task.startedAt),
    stoppingAt: seconds(task.stoppingAt),
    stoppedAt: seconds(task.stoppedAt),
    stoppedReason: task.stoppedReason,
    stopCode: task.stopCode,
    containers: task.containers.map((container, index) => ({
      containerArn: `${task.arn.replace(':task/', ':container/')}/${index}`,
      taskArn: task.arn,
      name: container.name,
      image: container.image,
      imageDigest: container.imageDigest,
      lastStatus: container.lastStatus,
      exitCode: container.exitCode,
      reason: container.reason,
      healthStatus: container.healthStatus,
    })),
  };
}

function taskDefinitionJson(definition: TaskDefinition): Record<string, unknown> {
  return {
    taskDefinitionArn: definition.arn,
    family: definition.family,
    revision: definition.revision,
    status: 'ACTIVE',
    networkMode: definition.networkMode,
    requiresCompatibilities: definition.requiresCompatibilities,
    cpu: definition.cpu,
    memory: definition.memory,
    executionRoleArn: definition.executionRoleArn,
    taskRoleArn: definition.taskRoleArn,
    registeredAt: definition.registeredAt / 1000,
    containerDefinitions: definition.containers.map((container) => ({
      name: container.name,
      image: container.image,
      cpu: container.cpu,
      memory: container.memory,
      memoryReservation: container.memoryReservation,
      essential: container.essential,
      portMappings: container.portMappings,
      environment: container.environment,
      secrets: container.secrets,
      logConfiguration: container.logConfiguration,
      healthCheck: container.healthCheck,
    })),
  };
}
