import type { AwsRequest, AwsService } from '../contracts';
import { jsonProtocolService } from '../edge/aws-protocols';
import { AwsServiceError } from '../edge/errors';
import { identifyCaller } from './caller-identity';
import { cloudMapServices, findCloudMapService, registeredInstances } from './ecs/cloud-map-registrations';
import { createLogsService, ecsReadOperations } from './ecs/ecs-api';
import { clusterNameOf } from './ecs/ecs-model';
import { AwsApiError } from './errors';
import { resourceTags } from './stack-permissions';
import type { AccountApiOptions } from './sts-service';

/**
 * What a customer runs on a sandbox account's stacks, as the services list it (AWS JSON 1.1).
 * Groundwork reads both before a teardown (real-AWS review D9).
 * - ECS `ListServices` of a cluster: the live AWS::ECS::Service resources of the account's stacks
 *   whose Cluster is that cluster's name or ARN. No resource-level permission; the cluster is the
 *   `ecs:cluster` condition key.
 * - Cloud Map `ListInstances` and `GetInstancesHealthStatus` of a service: the live
 *   AWS::ServiceDiscovery::Instance resources registered in it and the running tasks ECS registered
 *   (ecs/cloud-map-registrations.ts). Authorized on the service's ARN, with its tags as
 *   `aws:ResourceTag/…`. `DiscoverInstances` by namespace and service name, with the HealthStatus filter.
 * - ECS DescribeServices, ListTasks, DescribeTasks, DescribeTaskDefinition and CloudWatch Logs
 *   GetLogEvents, FilterLogEvents: the services the stacks run (ecs/ecs-api.ts).
 * A role session's call is evaluated against its role's policies.
 */
export function createWorkloadServices(options: AccountApiOptions): AwsService[] {
  const { engine, now } = options;

  const caller = (request: AwsRequest) => {
    try {
      return identifyCaller(request, engine.state.secret, now());
    } catch (error) {
      if (error instanceof AwsApiError) throw new AwsServiceError(error.code, error.message, error.status);
      throw error;
    }
  };
  const deny = (denial: string | undefined) => {
    if (denial !== undefined) throw new AwsServiceError('AccessDeniedException', denial, 400);
  };

  const ecs = jsonProtocolService({
    signingNames: ['ecs'],
    targetPrefix: 'AmazonEC2ContainerServiceV20141113',
    version: '1.1',
    operations: {
      async ListServices(input, request) {
        const who = caller(request);
        const clusterName = clusterNameOf(input['cluster']);
        deny(engine.permissions.callDenial(who, 'ecs:ListServices', { 'aws:RequestedRegion': request.region, 'ecs:cluster': `arn:aws:ecs:${request.region}:${who.account}:cluster/${clusterName}` }));
        const services = [...engine.accounts.liveResources(who.account, request.region)].filter(
          ({ resource }) => resource.type === 'AWS::ECS::Service' && clusterNameOf(resource.properties?.['Cluster']) === clusterName,
        );
        return { serviceArns: services.map(({ resource }) => resource.physicalId ?? '') };
      },
      ...ecsReadOperations({ engine, caller, deny }),
    },
  });

  /** The Cloud Map service a call names (ServiceId), once IAM allowed the call on its ARN (with its tags as aws:ResourceTag/…). */
  const authorizedService = (input: Record<string, unknown>, request: AwsRequest, action: string) => {
    const who = caller(request);
    const serviceId = typeof input['ServiceId'] === 'string' ? input['ServiceId'] : '';
    const live = [...engine.accounts.liveResources(who.account, request.region)];
    const service = findCloudMapService(live, serviceId, who.account, request.region);
    // ServiceNotFound: "No service exists with the specified ID." (AWS Cloud Map API Reference, ListInstances, Errors)
    if (service === undefined) throw new AwsServiceError('ServiceNotFound', 'No service exists with the specified ID.', 400);
    const tags = Object.fromEntries(Object.entries(resourceTags(service.stack, service.resource)).map(([key, value]) => [`aws:ResourceTag/${key}`, value]));
    deny(engine.permissions.callDenial(who, action, { 'aws:RequestedRegion': request.region, ...tags }, service.arn));
    return { who, service };
  };

  const cloudMap = jsonProtocolService({
    signingNames: ['servicediscovery'],
    targetPrefix: 'Route53AutoNaming_v20170314',
    version: '1.1',
    operations: {
      async ListInstances(input, request) {
        const { service } = authorizedService(input, request, 'servicediscovery:ListInstances');
        return { Instances: registeredInstances(engine.accounts, engine.ecs, service).map((instance) => ({ Id: instance.id, Attributes: instance.attributes })) };
      },
      async GetInstancesHealthStatus(input, request) {
        const { service } = authorizedService(input, request, 'servicediscovery:GetInstancesHealthStatus');
        const instances = registeredInstances(engine.accounts, engine.ecs, service);
        const wanted = Array.isArray(input['Instances']) ? input['Instances'].map(String) : undefined;
        for (const id of wanted ?? []) {
          // InstanceNotFound: "No instance exists with the specified ID, or the instance was recently registered, and
          // information about the instance hasn't propagated yet." (Cloud Map API Reference, GetInstancesHealthStatus, Errors)
          if (!instances.some((instance) => instance.id === id)) throw new AwsServiceError('InstanceNotFound', "No instance exists with the specified ID, or the instance was recently registered, and information about the instance hasn't propagated yet.", 400);
        }
        const chosen = wanted === undefined ? instances : instances.filter((instance) => wanted.includes(instance.id));
        return { Status: Object.fromEntries(chosen.map((instance) => [instance.id, instance.health])) };
      },
      async DiscoverInstances(input, request) {
        const who = caller(request);
        const namespaceName = String(input['NamespaceName'] ?? '');
        const serviceName = String(input['ServiceName'] ?? '');
        // Authorized on `*`, with the namespace and service names as condition keys (Service Authorization
        // Reference, AWS Cloud Map: DiscoverInstances has no resource type).
        deny(engine.permissions.callDenial(who, 'servicediscovery:DiscoverInstances', { 'aws:RequestedRegion': request.region, 'servicediscovery:NamespaceName': namespaceName, 'servicediscovery:ServiceName': serviceName }));
        const live = [...engine.accounts.liveResources(who.account, request.region)];
        const namespace = live.find(({ resource }) => resource.type.startsWith('AWS::ServiceDiscovery::') && resource.type.endsWith('Namespace') && resource.properties?.['Name'] === namespaceName);
        // NamespaceNotFound: "No namespace exists with the specified ID." (Cloud Map API Reference, DiscoverInstances, Errors)
        if (namespace === undefined) throw new AwsServiceError('NamespaceNotFound', 'No namespace exists with the specified ID.', 400);
        const service = cloudMapServices(live, who.account, request.region).find((candidate) => candidate.name === serviceName && candidate.namespaceId === namespace.resource.physicalId);
        if (service === undefined) throw new AwsServiceError('ServiceNotFound', 'No service exists with the specified ID.', 400);
        const instances = registeredInstances(engine.accounts, engine.ecs, service);
        // HEALTHY (the sandbox's default: AWS's default is not stated in the sources at hand), UNHEALTHY, ALL,
        // HEALTHY_OR_ELSE_ALL (healthy ones, else all: "failing open"). Without a health check an instance counts as healthy.
        const filter = String(input['HealthStatus'] ?? 'HEALTHY');
        const healthy = instances.filter((instance) => instance.health !== 'UNHEALTHY');
        const chosen = filter === 'ALL' ? instances : filter === 'UNHEALTHY' ? instances.filter((instance) => instance.health === 'UNHEALTHY') : filter === 'HEALTHY_OR_ELSE_ALL' && healthy.length === 0 ? instances : healthy;
        return {
          Instances: chosen.map((instance) => ({ InstanceId: instance.id, NamespaceName: namespaceName, ServiceName: serviceName, HealthStatus: instance.health, Attributes: instance.attributes })),
          InstancesRevision: chosen.length,
        };
      },
    },
  });

  return [ecs, cloudMap, createLogsService({ engine, caller, deny })];
}
