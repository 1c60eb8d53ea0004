import type { StackRequest } from './stack-request';
import { wantsEndpoints } from './stack-request';

/**
 * The components of a stack, each deployed as its own CloudFormation stack
 * `groundwork-<stackId>-<component>`, and what each needs first (DESIGN.md §1 "Provisioning").
 * A dependency that the request does not deploy counts as met (its step is SKIPPED).
 */
export const COMPONENTS = ['network', 'nat', 'security', 'endpoints', 'secrets', 'database', 'cluster', 'frontend', 'bastion'] as const;
export type ComponentName = (typeof COMPONENTS)[number];

export const COMPONENT_DEPENDENCIES: Record<ComponentName, readonly ComponentName[]> = {
  network: [],
  nat: ['network'],
  security: ['network'],
  endpoints: ['network', 'security'],
  secrets: [],
  database: ['network', 'security', 'secrets'],
  // The container instances register with ECS and pull images as they boot: every way out of the
  // private subnets the stack has (the NAT, the interface endpoints, or both) is up before them, and
  // is deleted only after them (decision 0015).
  cluster: ['network', 'security', 'nat', 'endpoints'],
  frontend: ['network', 'security', 'cluster'],
  bastion: ['network', 'security'],
};

/** The components a request deploys, in a dependency-respecting order. */
export function componentsFor(request: StackRequest): ComponentName[] {
  const wanted: Record<ComponentName, boolean> = {
    network: true,
    nat: request.network.nat !== 'none',
    security: true,
    endpoints: wantsEndpoints(request),
    secrets: request.database !== null,
    database: request.database !== null,
    cluster: request.compute !== null,
    frontend: request.compute !== null && request.frontend.type !== 'none',
    bastion: request.bastion.enabled,
  };
  return COMPONENTS.filter((component) => wanted[component]);
}

/** The CloudFormation stack name of one component of one Groundwork stack. */
export function componentStackName(stackId: string, component: ComponentName): string {
  return `groundwork-${stackId}-${component}`;
}

/**
 * What a service stack takes outputs from (src/templates/service.ts): where its tasks run
 * (network, security, cluster), how traffic reaches them (frontend) and the database it is wired to
 * (secrets, database). Services are deployed once the Groundwork stack is complete.
 */
export const SERVICE_DEPENDENCIES: readonly ComponentName[] = ['network', 'security', 'secrets', 'database', 'cluster', 'frontend'];

/** The CloudFormation stack name of one service of one Groundwork stack (issue 13). */
export function serviceStackName(stackId: string, service: string): string {
  return `groundwork-${stackId}-svc-${service}`;
}

/** The value of a service stack's resources' `groundwork:component` tag. */
export const serviceTagComponent = (service: string): `svc-${string}` => `svc-${service}`;
