import { createHash } from 'node:crypto';
import type { AwsRequest, AwsService } from '../contracts';
import { jsonProtocolService } from '../edge/aws-protocols';
import { AwsServiceError } from '../edge/errors';
import { identifyCaller } from './caller-identity';
import { createLogsService, ecsReadOperations } from './ecs/ecs-api';
import { AwsApiError } from './errors';
import { resourceTags } from './stack-permissions';
import type { AccountApiOptions } from './sts-service';

/**
 * What a customer runs on a sandbox account's stacks, as the services list it (AWS JSON 1.1).
 * Groundwork reads both before a teardown (real-AWS review D9).
 * - ECS `ListServices` of a cluster: the live AWS::ECS::Service resources of the account's stacks
 *   whose Cluster is that cluster's name or ARN. No resource-level permission; the cluster is the
 *   `ecs:cluster` condition key.
 * - Cloud Map `ListInstances` of a service: the live AWS::ServiceDiscovery::Instance resources
 *   registered in it, and for each live AWS::ECS::Service whose ServiceRegistries name it, one
 *   instance per desired task (ECS registers each task, with the task id as instance id; AWS Cloud
 *   Map Developer Guide, "Service discovery" in the ECS guide). Authorized on the service's ARN, with
 *   its tags as `aws:ResourceTag/…`.
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
        const cluster = typeof input['cluster'] === 'string' ? input['cluster'] : 'default';
        const clusterName = cluster.split('/').at(-1) ?? cluster;
        deny(engine.permissions.callDenial(who, 'ecs:ListServices', { 'aws:RequestedRegion': request.region, 'ecs:cluster': `arn:aws:ecs:${request.region}:${who.account}:cluster/${clusterName}` }));
        const services = [...engine.accounts.liveResources(who.account, request.region)].filter(({ resource }) => {
          const named = String(resource.properties?.['Cluster'] ?? 'default');
          return resource.type === 'AWS::ECS::Service' && (named.split('/').at(-1) ?? named) === clusterName;
        });
        return { serviceArns: services.map(({ resource }) => resource.physicalId ?? '') };
      },
      ...ecsReadOperations({ engine, caller, deny }),
    },
  });

  const cloudMap = jsonProtocolService({
    signingNames: ['servicediscovery'],
    targetPrefix: 'Route53AutoNaming_v20170314',
    version: '1.1',
    operations: {
      async ListInstances(input, request) {
        const who = caller(request);
        const serviceId = typeof input['ServiceId'] === 'string' ? input['ServiceId'] : '';
        const live = [...engine.accounts.liveResources(who.account, request.region)];
        const isService = (physicalId: string | undefined) => physicalId === serviceId || (physicalId ?? '').endsWith(`:service/${serviceId}`);
        const service = live.find(({ resource }) => resource.type === 'AWS::ServiceDiscovery::Service' && isService(resource.physicalId));
        // ServiceNotFound: "No service exists with the specified ID." (AWS Cloud Map API Reference, ListInstances, Errors)
        if (service === undefined) throw new AwsServiceError('ServiceNotFound', 'No service exists with the specified ID.', 400);
        const arn = `arn:aws:servicediscovery:${request.region}:${who.account}:service/${serviceId}`;
        const tags = Object.fromEntries(Object.entries(resourceTags(service.stack, service.resource)).map(([key, value]) => [`aws:ResourceTag/${key}`, value]));
        deny(engine.permissions.callDenial(who, 'servicediscovery:ListInstances', { 'aws:RequestedRegion': request.region, ...tags }, arn));

        const ids: string[] = [];
        for (const { resource } of live) {
          const properties = resource.properties ?? {};
          if (resource.type === 'AWS::ServiceDiscovery::Instance' && properties['ServiceId'] === serviceId) ids.push(String(properties['InstanceId'] ?? resource.physicalId));
          if (resource.type !== 'AWS::ECS::Service') continue;
          const registries = Array.isArray(properties['ServiceRegistries']) ? (properties['ServiceRegistries'] as Array<Record<string, unknown> | null>) : [];
          if (!registries.some((registry) => String(registry?.['RegistryArn'] ?? '').endsWith(`:service/${serviceId}`))) continue;
          const tasks = Number(properties['DesiredCount'] ?? 1);
          for (let task = 0; task < tasks; task += 1) ids.push(createHash('sha256').update(`${resource.physicalId ?? ''}#${task}`).digest('hex').slice(0, 32));
        }
        return { Instances: ids.map((id) => ({ Id: id })) };
      },
    },
  });

  return [ecs, cloudMap, createLogsService({ engine, caller, deny })];
}
