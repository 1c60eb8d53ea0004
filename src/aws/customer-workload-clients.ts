import { ECSClient, ListServicesCommand } from '@aws-sdk/client-ecs';
import { ListInstancesCommand, ServiceDiscoveryClient } from '@aws-sdk/client-servicediscovery';
import type { STSClient } from '@aws-sdk/client-sts';
import { clientSet, customerClientFactory, type CustomerAccess } from './customer-session';

/**
 * What runs on a Groundwork stack without Groundwork having made it, read through the customer's
 * access role (customer-session.ts) before a teardown (real-AWS review D9):
 * - the ECS services in its cluster: ECS refuses to delete a cluster (and a capacity provider) that
 *   services still use;
 * - the instances registered in its frontend's Cloud Map service (by an ECS service of any cluster,
 *   or by hand): Cloud Map refuses to delete a service that still has instances ("Before you delete a
 *   service, you must deregister all service instances", AWS Cloud Map Developer Guide, "Deleting an
 *   AWS Cloud Map service", https://docs.aws.amazon.com/cloud-map/latest/dg/deleting-services.html).
 * Either would end the teardown DELETE_FAILED. The access role may list only groundwork-* clusters
 * and Cloud Map services tagged groundwork:stack.
 */
export interface StackWorkloadSites {
  /** The stack's ECS cluster, once built. */
  clusterName?: string;
  /** The id of the stack's Cloud Map service (the apigateway frontend's), once built. */
  cloudMapServiceId?: string;
}

export interface StackWorkloads {
  /** ARNs of the ECS services in the cluster. */
  ecsServices: string[];
  /** Ids of the instances registered in the Cloud Map service. */
  cloudMapInstances: string[];
  /**
   * The reads that failed (an onboarding stack older than the permission, a throttled call), each with
   * the error: what could be read still counts.
   */
  unreadable: Array<{ site: keyof StackWorkloadSites; error: unknown }>;
}

export type StackWorkloadsOf = (access: CustomerAccess, region: string, sites: StackWorkloadSites) => Promise<StackWorkloads>;

export function stackWorkloadsFactory(serviceRoleSts: STSClient, now: () => number = Date.now): StackWorkloadsOf {
  const clients = customerClientFactory(
    serviceRoleSts,
    (config) => clientSet({ ecs: new ECSClient(config), cloudMap: new ServiceDiscoveryClient(config) }),
    now,
  );
  return async (access, region, { clusterName, cloudMapServiceId }) => {
    const { ecs, cloudMap } = await clients(access, region);
    // Each read on its own: an account whose onboarding stack predates one permission keeps the other check.
    const [services, instances] = await Promise.allSettled([
      clusterName === undefined ? [] : pages(async (nextToken) => {
        const page = await ecs.send(new ListServicesCommand({ cluster: clusterName, maxResults: 100, ...(nextToken ? { nextToken } : {}) }));
        return { items: page.serviceArns ?? [], nextToken: page.nextToken };
      }),
      cloudMapServiceId === undefined ? [] : pages(async (nextToken) => {
        const page = await cloudMap.send(new ListInstancesCommand({ ServiceId: cloudMapServiceId, MaxResults: 100, ...(nextToken ? { NextToken: nextToken } : {}) }));
        return { items: (page.Instances ?? []).map((instance) => instance.Id ?? ''), nextToken: page.NextToken };
      }),
    ]);
    const unreadable: StackWorkloads['unreadable'] = [];
    if (services.status === 'rejected') unreadable.push({ site: 'clusterName', error: services.reason });
    if (instances.status === 'rejected') unreadable.push({ site: 'cloudMapServiceId', error: instances.reason });
    return {
      ecsServices: services.status === 'fulfilled' ? services.value : [],
      cloudMapInstances: instances.status === 'fulfilled' ? instances.value : [],
      unreadable,
    };
  };
}

async function pages(read: (nextToken: string | undefined) => Promise<{ items: string[]; nextToken: string | undefined }>): Promise<string[]> {
  const all: string[] = [];
  let nextToken: string | undefined;
  do {
    const page = await read(nextToken);
    all.push(...page.items);
    nextToken = page.nextToken;
  } while (nextToken);
  return all;
}
