import type { AwsRequest, AwsService } from '../contracts';
import { jsonProtocolService } from '../edge/aws-protocols';
import { AwsServiceError } from '../edge/errors';
import { identifyCaller } from './caller-identity';
import { AwsApiError } from './errors';
import type { AccountApiOptions } from './sts-service';

/**
 * What a customer runs in a sandbox account's ECS clusters, as ECS lists it (AWS JSON 1.1):
 * `ListServices` of a cluster, the live AWS::ECS::Service resources of the account's stacks whose
 * Cluster is that cluster's name or ARN. Groundwork reads it before a teardown (real-AWS review D9).
 * A role session's call is evaluated against its role's policies (no resource-level permission;
 * the cluster is the `ecs:cluster` condition key).
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
    },
  });

  return [ecs];
}
