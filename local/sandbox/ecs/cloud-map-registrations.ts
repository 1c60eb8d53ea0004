import type { AccountRegistry } from '../account-registry';
import { availabilityZoneNames } from '../region-offerings';
import { addressInBlock } from '../resource-shapes';
import type { ResourceRecord, StackRecord } from '../sandbox-state';
import type { EcsRuntime } from './ecs-runtime';
import { asArray, asObject, type LiveResource } from './ecs-model';
import type { EcsService, Task } from './ecs-state';

/**
 * The instances of the account's Cloud Map services (AWS::ServiceDiscovery::Service), as Cloud Map
 * lists them: the live AWS::ServiceDiscovery::Instance resources registered in a service, and the
 * tasks of each ECS service whose ServiceRegistries name it.
 *
 * ECS registers each task of such a service while it runs and deregisters it when it stops, with the
 * task id as the instance id (ListInstances of an ECS-registered service answers the task's id,
 * hashicorp/terraform-provider-aws#4853) and the attributes ECS adds (ECS Developer Guide, "Service
 * discovery", https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service-discovery.html):
 * AWS_INSTANCE_IPV4 (the task's private address: its own network interface's for awsvpc, in one of the
 * service's subnets; the container instance's for bridge and host), AWS_INSTANCE_PORT (the registry's
 * Port, else the ContainerPort, mapped to its host port for bridge and host: SRV records), AVAILABILITY_ZONE,
 * REGION, ECS_SERVICE_NAME, ECS_CLUSTER_NAME, EC2_INSTANCE_ID (not on Fargate) and
 * ECS_TASK_DEFINITION_FAMILY. A task is registered once RUNNING and deregistered as soon as it is told
 * to stop (desired status STOPPED). With a custom health check (HealthCheckCustomConfig) ECS reports the
 * task's health: HEALTHY (the initial status) until its health is UNHEALTHY.
 */

export type InstanceHealth = 'HEALTHY' | 'UNHEALTHY' | 'UNKNOWN';

export interface CloudMapInstance {
  id: string;
  attributes: Record<string, string>;
  health: InstanceHealth;
}

export interface CloudMapService {
  stack: StackRecord;
  resource: ResourceRecord;
  id: string;
  arn: string;
  name: string;
  namespaceId: string;
}

/** The live Cloud Map service of that id or ARN in the account and region. */
export function findCloudMapService(live: readonly LiveResource[], reference: string, account: string, region: string): CloudMapService | undefined {
  const id = reference.split('/').at(-1) ?? reference;
  const found = live.find(({ resource }) => resource.type === 'AWS::ServiceDiscovery::Service' && serviceIdOf(resource.physicalId) === id);
  return found === undefined ? undefined : cloudMapService(found, account, region);
}

export function cloudMapServices(live: readonly LiveResource[], account: string, region: string): CloudMapService[] {
  return live.filter(({ resource }) => resource.type === 'AWS::ServiceDiscovery::Service' && resource.physicalId !== undefined).map((entry) => cloudMapService(entry, account, region));
}

function cloudMapService({ stack, resource }: LiveResource, account: string, region: string): CloudMapService {
  const id = serviceIdOf(resource.physicalId);
  const properties = resource.properties ?? {};
  const namespaceId = String(properties['NamespaceId'] ?? asObject(properties['DnsConfig'])?.['NamespaceId'] ?? '');
  return { stack, resource, id, arn: `arn:aws:servicediscovery:${region}:${account}:service/${id}`, name: String(properties['Name'] ?? id), namespaceId };
}

function serviceIdOf(physicalId: string | undefined): string {
  return (physicalId ?? '').split('/').at(-1) ?? '';
}

/** The instances registered in the service, the hand-registered ones first. */
export function registeredInstances(accounts: AccountRegistry, ecs: EcsRuntime, service: CloudMapService): CloudMapInstance[] {
  const { stack: owner } = service;
  const live = [...accounts.liveResources(owner.account, owner.region)];
  const custom = asObject(service.resource.properties?.['HealthCheckCustomConfig']) !== undefined;
  const instances: CloudMapInstance[] = [];
  for (const { resource } of live) {
    const properties = resource.properties ?? {};
    if (resource.type !== 'AWS::ServiceDiscovery::Instance' || serviceIdOf(String(properties['ServiceId'] ?? '')) !== service.id) continue;
    const attributes = Object.fromEntries(Object.entries(asObject(properties['InstanceAttributes']) ?? {}).map(([key, value]) => [key, String(value)]));
    // RegisterInstance's AWS_INIT_HEALTH_STATUS (default HEALTHY) for a custom health check (Cloud Map API Reference, RegisterInstance).
    instances.push({ id: String(properties['InstanceId'] ?? resource.physicalId), attributes, health: custom ? (attributes['AWS_INIT_HEALTH_STATUS'] === 'UNHEALTHY' ? 'UNHEALTHY' : 'HEALTHY') : 'UNKNOWN' });
  }
  for (const entry of live) {
    if (entry.resource.type !== 'AWS::ECS::Service') continue;
    const registry = asArray(entry.resource.properties?.['ServiceRegistries'])
      .map((value) => asObject(value) ?? {})
      .find((candidate) => serviceIdOf(String(candidate['RegistryArn'] ?? '')) === service.id);
    if (registry === undefined) continue;
    const running = ecs.running(entry.stack, entry.resource);
    if (running === undefined) continue;
    for (const task of running.tasks) {
      if (task.lastStatus !== 'RUNNING' || task.desiredStatus !== 'RUNNING') continue;
      instances.push({ id: task.id, attributes: taskAttributes(live, entry.resource, running, task, registry), health: custom ? (task.healthStatus === 'UNHEALTHY' ? 'UNHEALTHY' : 'HEALTHY') : 'UNKNOWN' });
    }
  }
  return instances;
}

/**
 * Why Cloud Map refuses to delete the service, if it still has instances: "ResourceInUse: Service
 * contains registered instances; delete the instances before deleting the service" (the DeleteService
 * answer quoted in hashicorp/terraform#18264 and terraform-provider-aws#4853; "If the service still
 * contains one or more registered instances, the request fails", Cloud Map API Reference,
 * DeleteService). CloudFormation reports it as the resource's reason ("Service <id> contains registered
 * instances; …", aws/containers-roadmap#1746); the handler's wrapping and error code are the sandbox's
 * reading of CloudFormation's usual form.
 */
export function deleteRefusal(accounts: AccountRegistry, ecs: EcsRuntime, stack: StackRecord, resource: ResourceRecord, uuid: (purpose: string) => string): string | undefined {
  if (resource.type !== 'AWS::ServiceDiscovery::Service' || resource.physicalId === undefined) return undefined;
  const live = [...accounts.liveResources(stack.account, stack.region)];
  const service = findCloudMapService(live, resource.physicalId, stack.account, stack.region);
  if (service === undefined || registeredInstances(accounts, ecs, service).length === 0) return undefined;
  return `Resource handler returned message: "Service ${service.id} contains registered instances; delete the instances before deleting the service (Service: ServiceDiscovery, Status Code: 400, Request ID: ${uuid('cloud-map-request')})" (RequestToken: ${uuid('cloud-map-token')}, HandlerErrorCode: ResourceConflict)`;
}

function taskAttributes(live: readonly LiveResource[], serviceResource: ResourceRecord, service: EcsService, task: Task, registry: Record<string, unknown>): Record<string, string> {
  const { address, zone } = taskAddress(live, serviceResource, service, task);
  const port = registryPort(task, registry);
  return {
    AWS_INSTANCE_IPV4: address,
    ...(port === undefined ? {} : { AWS_INSTANCE_PORT: String(port) }),
    AVAILABILITY_ZONE: zone,
    REGION: service.region,
    ECS_SERVICE_NAME: service.name,
    ECS_CLUSTER_NAME: service.clusterName,
    ...(task.containerInstance === undefined ? {} : { EC2_INSTANCE_ID: task.containerInstance.ec2InstanceId }),
    ECS_TASK_DEFINITION_FAMILY: task.definition.family,
  };
}

/**
 * The task's private IPv4 address and its AZ: for awsvpc, an address of its network interface's
 * subnet (one of the service's AwsvpcConfiguration subnets, chosen by the task id); for bridge and
 * host, its container instance's, in the instance's subnet. Subnets no sandbox stack made give an
 * address of 10.0.0.0/16 and the region's first AZ.
 */
function taskAddress(live: readonly LiveResource[], serviceResource: ResourceRecord, service: EcsService, task: Task): { address: string; zone: string } {
  const seed = Number.parseInt(task.id.slice(0, 8), 16);
  const awsvpc = task.definition.networkMode === 'awsvpc';
  const network = asObject(asObject(serviceResource.properties?.['NetworkConfiguration'])?.['AwsvpcConfiguration']);
  const subnets = asArray(network?.['Subnets']).map(String);
  const subnetId = awsvpc ? subnets[seed % Math.max(subnets.length, 1)] : task.containerInstance?.subnetId;
  const addressSeed = awsvpc ? seed : Number.parseInt((task.containerInstance?.id ?? task.id).slice(0, 8), 16);
  const subnet = live.find(({ resource }) => resource.type === 'AWS::EC2::Subnet' && resource.physicalId === subnetId)?.resource.properties ?? {};
  const cidr = typeof subnet['CidrBlock'] === 'string' ? subnet['CidrBlock'] : undefined;
  const address = (cidr === undefined ? undefined : addressInBlock(cidr, addressSeed)) ?? `10.0.${addressSeed % 256}.${(Math.floor(addressSeed / 256) % 250) + 4}`;
  const zone = typeof subnet['AvailabilityZone'] === 'string' ? subnet['AvailabilityZone'] : (availabilityZoneNames(service.region)[0] ?? `${service.region}a`);
  return { address, zone };
}

/** The SRV port: the registry's Port, else its ContainerPort (for bridge and host, the host port it is mapped to); none for A records only. */
function registryPort(task: Task, registry: Record<string, unknown>): number | undefined {
  if (registry['Port'] !== undefined) return Number(registry['Port']);
  if (registry['ContainerPort'] === undefined) return undefined;
  const containerPort = Number(registry['ContainerPort']);
  if (task.definition.networkMode === 'awsvpc') return containerPort;
  const container = task.definition.containers.find((candidate) => candidate.name === registry['ContainerName']);
  const mapping = container?.portMappings.find((candidate) => candidate.containerPort === containerPort);
  if (task.definition.networkMode === 'host') return mapping?.hostPort ?? containerPort;
  // A bridge mapping without a host port gets an ephemeral port, from the instance's
  // /proc/sys/net/ipv4/ip_local_port_range (ECS API Reference, PortMapping, hostPort); 32768–60999 is
  // Linux's default range, which the sandbox takes.
  return mapping?.hostPort !== undefined && mapping.hostPort !== 0 ? mapping.hostPort : 32768 + (Number.parseInt(task.id.slice(8, 16), 16) % (60999 - 32768 + 1));
}
