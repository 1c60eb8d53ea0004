import { createHash } from 'node:crypto';
import { containerInstanceCapacity } from '../data/ecs-container-instances';
import type { ResourceRecord, StackRecord } from '../sandbox-state';
import { CONTAINER_HEALTH_CHECK_DEFAULTS, TARGET_GROUP_DEFAULTS } from './ecs-timing';

/**
 * The account's ECS as the sandbox reads it from the live resources of its stacks: clusters
 * (AWS::ECS::Cluster), container instances (each instance of an auto-scaling group, or each
 * AWS::EC2::Instance, whose user data joins a cluster with `ECS_CLUSTER=<name>` in
 * /etc/ecs/ecs.config), task definitions (AWS::ECS::TaskDefinition) and target groups' health checks.
 */

export type LiveResource = { stack: StackRecord; resource: ResourceRecord };

export interface ContainerInstance {
  arn: string;
  id: string;
  ec2InstanceId: string;
  instanceType: string;
  cluster: string;
  /** The subnet it was launched in (an auto-scaling group's VPCZoneIdentifier, in turn; an instance's SubnetId). */
  subnetId?: string;
  cpu: number;
  memory: number;
  networkInterfaces: number;
}

export interface ContainerDefinition {
  name: string;
  image: string;
  cpu: number;
  memory?: number;
  memoryReservation?: number;
  essential: boolean;
  portMappings: Array<{ containerPort: number; hostPort?: number; protocol: string }>;
  environment: Array<{ name: string; value: string }>;
  secrets: Array<{ name: string; valueFrom: string }>;
  logConfiguration?: { logDriver: string; options: Record<string, string> };
  healthCheck?: { command: string[]; interval: number; timeout: number; retries: number; startPeriod: number };
}

export interface TaskDefinition {
  arn: string;
  family: string;
  revision: number;
  networkMode: 'awsvpc' | 'bridge' | 'host' | 'none';
  requiresCompatibilities: string[];
  cpu?: string;
  memory?: string;
  executionRoleArn?: string;
  taskRoleArn?: string;
  containers: ContainerDefinition[];
  registeredAt: number;
}

export interface TargetGroupHealth {
  arn: string;
  interval: number;
  healthyThreshold: number;
  unhealthyThreshold: number;
  deregistrationDelay: number;
}

export function clusterNameOf(reference: unknown): string {
  const text = typeof reference === 'string' && reference !== '' ? reference : 'default';
  return text.split('/').at(-1) ?? text;
}

/** A deterministic image digest: a pinned `…@sha256:<hex>` reference keeps its own. */
export function imageDigest(image: string): string {
  const pinned = /@(sha256:[0-9a-f]{64})$/.exec(image);
  return pinned?.[1] ?? `sha256:${createHash('sha256').update(image).digest('hex')}`;
}

export function hexId(seed: string, length = 32): string {
  return createHash('sha256').update(seed).digest('hex').slice(0, length);
}

/** The live AWS::ECS::Cluster of that name (or ARN) in the account and region. */
export function findCluster(live: Iterable<LiveResource>, reference: unknown): LiveResource | undefined {
  const name = clusterNameOf(reference);
  for (const entry of live) if (entry.resource.type === 'AWS::ECS::Cluster' && clusterNameOf(entry.resource.physicalId) === name) return entry;
  return undefined;
}

const ECS_CLUSTER_SETTING = /\bECS_CLUSTER=["']?([A-Za-z0-9_-]+)/;

/**
 * The container instances of a cluster: each running instance of a created auto-scaling group (its
 * DesiredCapacity, else MinSize) whose launch template's user data sets ECS_CLUSTER to the cluster's
 * name, and each created AWS::EC2::Instance whose user data does. An instance of a type outside the
 * data (data/ecs-container-instances.ts) registers nothing the sandbox can size and is left out.
 */
export function containerInstances(live: readonly LiveResource[], cluster: string, region: string, account: string): ContainerInstance[] {
  const instances: ContainerInstance[] = [];
  for (const { stack, resource } of live) {
    if (resource.status !== 'CREATE_COMPLETE' && !String(resource.status).startsWith('UPDATE_')) continue;
    const properties = resource.properties ?? {};
    let data: Record<string, unknown> | undefined;
    let count = 1;
    if (resource.type === 'AWS::AutoScaling::AutoScalingGroup') {
      data = launchTemplateData(live, asObject(properties['LaunchTemplate']));
      count = Number(properties['DesiredCapacity'] ?? properties['MinSize'] ?? 0);
    } else if (resource.type === 'AWS::EC2::Instance') {
      data = properties;
    }
    const userData = data?.['UserData'];
    if (typeof userData !== 'string') continue;
    const joined = ECS_CLUSTER_SETTING.exec(Buffer.from(userData, 'base64').toString('utf8'))?.[1];
    const instanceType = String(data?.['InstanceType'] ?? '');
    const capacity = containerInstanceCapacity(instanceType);
    if (joined !== cluster || capacity === undefined) continue;
    const subnets = resource.type === 'AWS::AutoScaling::AutoScalingGroup' ? asArray(properties['VPCZoneIdentifier']).map(String) : typeof properties['SubnetId'] === 'string' ? [properties['SubnetId']] : [];
    for (let index = 0; index < count; index += 1) {
      const subnetId = subnets[index % Math.max(subnets.length, 1)];
      const seed = `${stack.stackId}/${resource.logicalId}/${index}`;
      const id = hexId(`container-instance:${seed}`);
      instances.push({
        arn: `arn:aws:ecs:${region}:${account}:container-instance/${cluster}/${id}`,
        id,
        ec2InstanceId: `i-0${hexId(`instance:${seed}`, 16)}`,
        instanceType,
        cluster,
        ...(subnetId === undefined ? {} : { subnetId }),
        ...capacity,
      });
    }
  }
  return instances;
}

function launchTemplateData(live: readonly LiveResource[], spec: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  if (spec === undefined) return undefined;
  const id = spec['LaunchTemplateId'];
  const name = spec['LaunchTemplateName'];
  const template = live.find(
    ({ resource }) =>
      resource.type === 'AWS::EC2::LaunchTemplate' && ((id !== undefined && resource.physicalId === id) || (name !== undefined && resource.properties?.['LaunchTemplateName'] === name)),
  );
  return asObject(template?.resource.properties?.['LaunchTemplateData']);
}

/** The task definition a service names (its ARN, or family[:revision]), made by a live stack resource. */
export function findTaskDefinition(live: readonly LiveResource[], reference: unknown): TaskDefinition | undefined {
  if (typeof reference !== 'string' || reference === '') return undefined;
  const wanted = reference.startsWith('arn:') ? reference : undefined;
  for (const { resource } of live) {
    if (resource.type !== 'AWS::ECS::TaskDefinition' || resource.physicalId === undefined) continue;
    const definition = taskDefinitionOf(resource);
    const matches = wanted !== undefined ? definition.arn === wanted : reference === definition.family || reference === `${definition.family}:${definition.revision}`;
    if (matches) return definition;
  }
  return undefined;
}

export function taskDefinitionOf(resource: ResourceRecord): TaskDefinition {
  const properties = resource.properties ?? {};
  const arn = resource.physicalId ?? '';
  const [, familyAndRevision = ''] = /task-definition\/(.+)$/.exec(arn) ?? [];
  const separator = familyAndRevision.lastIndexOf(':');
  const family = typeof properties['Family'] === 'string' ? properties['Family'] : familyAndRevision.slice(0, separator);
  const compatibilities = asArray(properties['RequiresCompatibilities']).map(String);
  const mode = String(properties['NetworkMode'] ?? (compatibilities.includes('FARGATE') ? 'awsvpc' : 'bridge'));
  return {
    arn,
    family,
    revision: Number(familyAndRevision.slice(separator + 1)) || 1,
    networkMode: mode === 'awsvpc' || mode === 'host' || mode === 'none' ? mode : 'bridge',
    requiresCompatibilities: compatibilities,
    ...(properties['Cpu'] === undefined ? {} : { cpu: String(properties['Cpu']) }),
    ...(properties['Memory'] === undefined ? {} : { memory: String(properties['Memory']) }),
    ...(typeof properties['ExecutionRoleArn'] === 'string' ? { executionRoleArn: properties['ExecutionRoleArn'] } : {}),
    ...(typeof properties['TaskRoleArn'] === 'string' ? { taskRoleArn: properties['TaskRoleArn'] } : {}),
    containers: asArray(properties['ContainerDefinitions']).map((value) => containerOf(asObject(value) ?? {})),
    registeredAt: resource.updatedAt,
  };
}

function containerOf(definition: Record<string, unknown>): ContainerDefinition {
  const number = (value: unknown) => (value === undefined || value === null || value === '' ? undefined : Number(value));
  const health = asObject(definition['HealthCheck']);
  const logs = asObject(definition['LogConfiguration']);
  const memory = number(definition['Memory']);
  const memoryReservation = number(definition['MemoryReservation']);
  return {
    name: String(definition['Name'] ?? ''),
    image: String(definition['Image'] ?? ''),
    cpu: number(definition['Cpu']) ?? 0,
    ...(memory === undefined ? {} : { memory }),
    ...(memoryReservation === undefined ? {} : { memoryReservation }),
    essential: definition['Essential'] !== false && definition['Essential'] !== 'false',
    portMappings: asArray(definition['PortMappings']).map((value) => {
      const mapping = asObject(value) ?? {};
      const hostPort = number(mapping['HostPort']);
      return { containerPort: number(mapping['ContainerPort']) ?? 0, ...(hostPort === undefined ? {} : { hostPort }), protocol: String(mapping['Protocol'] ?? 'tcp') };
    }),
    environment: asArray(definition['Environment']).map((value) => ({ name: String(asObject(value)?.['Name'] ?? ''), value: String(asObject(value)?.['Value'] ?? '') })),
    secrets: asArray(definition['Secrets']).map((value) => ({ name: String(asObject(value)?.['Name'] ?? ''), valueFrom: String(asObject(value)?.['ValueFrom'] ?? '') })),
    ...(logs === undefined
      ? {}
      : { logConfiguration: { logDriver: String(logs['LogDriver'] ?? ''), options: Object.fromEntries(Object.entries(asObject(logs['Options']) ?? {}).map(([key, value]) => [key, String(value)])) } }),
    ...(health === undefined
      ? {}
      : {
          healthCheck: {
            command: asArray(health['Command']).map(String),
            interval: number(health['Interval']) ?? CONTAINER_HEALTH_CHECK_DEFAULTS.interval,
            timeout: number(health['Timeout']) ?? CONTAINER_HEALTH_CHECK_DEFAULTS.timeout,
            retries: number(health['Retries']) ?? CONTAINER_HEALTH_CHECK_DEFAULTS.retries,
            startPeriod: number(health['StartPeriod']) ?? CONTAINER_HEALTH_CHECK_DEFAULTS.startPeriod,
          },
        }),
  };
}

/** What one task of the definition reserves on an instance: task-level sizes, else the sum of its containers'. */
export function taskNeeds(definition: TaskDefinition): { cpu: number; memory: number } {
  const cpu = definition.cpu !== undefined ? cpuUnits(definition.cpu) : definition.containers.reduce((sum, container) => sum + container.cpu, 0);
  const memory =
    definition.memory !== undefined ? memoryMiB(definition.memory) : definition.containers.reduce((sum, container) => sum + (container.memory ?? container.memoryReservation ?? 0), 0);
  return { cpu, memory };
}

/** "1 vCPU", "0.25 vcpu" or "256" (CPU units). */
function cpuUnits(value: string): number {
  const vcpu = /^\s*([\d.]+)\s*vcpu\s*$/i.exec(value);
  return vcpu ? Math.round(Number(vcpu[1]) * 1024) : Number(value);
}

/** "1 GB", "0.5GB" or "512" (MiB). */
function memoryMiB(value: string): number {
  const gb = /^\s*([\d.]+)\s*gb\s*$/i.exec(value);
  return gb ? Math.round(Number(gb[1]) * 1024) : Number(value);
}

/** The static host ports a task holds on its instance (bridge or host mode; a bridge mapping without HostPort, or 0, is dynamic). */
export function staticHostPorts(definition: TaskDefinition): number[] {
  if (definition.networkMode === 'awsvpc' || definition.networkMode === 'none') return [];
  return definition.containers.flatMap((container) =>
    container.portMappings.flatMap((mapping) => {
      const port = definition.networkMode === 'host' ? (mapping.hostPort ?? mapping.containerPort) : mapping.hostPort;
      return port === undefined || port === 0 ? [] : [port];
    }),
  );
}

/** The health check settings of the live target groups a service's load balancers name. */
export function targetGroups(live: readonly LiveResource[], service: Record<string, unknown>): TargetGroupHealth[] {
  const arns = asArray(service['LoadBalancers']).flatMap((value) => {
    const arn = asObject(value)?.['TargetGroupArn'];
    return typeof arn === 'string' ? [arn] : [];
  });
  return arns.map((arn) => {
    const group = live.find(({ resource }) => resource.type === 'AWS::ElasticLoadBalancingV2::TargetGroup' && resource.physicalId === arn)?.resource.properties ?? {};
    const attribute = asArray(group['TargetGroupAttributes'])
      .map((value) => asObject(value) ?? {})
      .find((entry) => entry['Key'] === 'deregistration_delay.timeout_seconds')?.['Value'];
    const number = (value: unknown, fallback: number) => (value === undefined || value === '' ? fallback : Number(value));
    return {
      arn,
      interval: number(group['HealthCheckIntervalSeconds'], TARGET_GROUP_DEFAULTS.interval),
      healthyThreshold: number(group['HealthyThresholdCount'], TARGET_GROUP_DEFAULTS.healthyThreshold),
      unhealthyThreshold: number(group['UnhealthyThresholdCount'], TARGET_GROUP_DEFAULTS.unhealthyThreshold),
      deregistrationDelay: number(attribute, TARGET_GROUP_DEFAULTS.deregistrationDelay),
    };
  });
}

export function asObject(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

export function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}
