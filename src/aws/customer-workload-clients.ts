import { ECSClient, ListServicesCommand } from '@aws-sdk/client-ecs';
import type { STSClient } from '@aws-sdk/client-sts';
import { customerClientFactory, type CustomerAccess } from './customer-session';

/**
 * ECS in a customer's account, through its access role (customer-session.ts): the services running
 * in a Groundwork cluster, read before a teardown. ECS refuses to delete a cluster (and a capacity
 * provider) that services still use, so a stack deleted under them would end DELETE_FAILED
 * (real-AWS review D9). The access role may list only groundwork-* clusters.
 */
export type ClusterServicesOf = (access: CustomerAccess, region: string, clusterName: string) => Promise<string[]>;

export function clusterServicesFactory(serviceRoleSts: STSClient, now: () => number = Date.now): ClusterServicesOf {
  const clients = customerClientFactory(serviceRoleSts, (config) => new ECSClient(config), now);
  return async (access, region, clusterName) => {
    const ecs = await clients(access, region);
    const arns: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await ecs.send(new ListServicesCommand({ cluster: clusterName, maxResults: 100, ...(nextToken ? { nextToken } : {}) }));
      arns.push(...(page.serviceArns ?? []));
      nextToken = page.nextToken;
    } while (nextToken);
    return arns;
  };
}
