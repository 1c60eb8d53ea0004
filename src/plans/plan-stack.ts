import { estimateMonthlyCost, type CostEstimate } from '../cost/estimate-cost';
import { allocateVpcCidr } from '../network/allocate-cidr';
import type { AvailabilityZone, NetworkPlan } from '../model/network-plan';
import { planSubnets } from '../network/plan-subnets';
import { analyseReachability, type ReachabilityReport } from '../network/reachability/analyse-reachability';
import { checkInvariants, type InvariantViolation } from '../network/reachability/invariants';
import { resolveStack } from '../network/reachability/resolve-stack';
import { summariseReachability } from '../network/reachability/summarise-reachability';
import { COMPONENT_DEPENDENCIES, type ComponentName } from '../model/components';
import type { StackRequest } from '../model/stack-request';
import { buildStackTemplates } from '../templates/build-stack-templates';
import type { ComponentTemplate } from '../templates/component-template';
import { renderStackDiagram } from './stack-diagram';

/**
 * Whether the plan was checked against what the account's region offers (src/region/): its AZs
 * chosen, its instance types, PostgreSQL version and class checked. Skipped, with the reason, for an
 * account Groundwork cannot read yet.
 */
export type RegionCheck = { status: 'checked' } | { status: 'skipped'; reason: string };

/**
 * Everything a stack request would become: its address plan and AZs, one CloudFormation template
 * per component (with where each parameter comes from), the monthly cost, who can reach what, and
 * a diagram. Computed here without AWS calls; the AZs come from the region check the caller made.
 */
export interface StackPlan {
  request: StackRequest;
  network: NetworkPlan;
  regionCheck: RegionCheck;
  components: Array<ComponentTemplate & { dependsOn: ComponentName[] }>;
  estimate: CostEstimate;
  reachability: { summary: string[]; violations: InvariantViolation[]; report: ReachabilityReport };
  diagram: string;
}

export interface PlanStackInput {
  request: StackRequest;
  tenantId: string;
  stackId: string;
  /** Blocks held by the tenant's other stacks in this account and region. */
  takenCidrs: readonly string[];
  /** The AZs the region check chose; absent when it was skipped. */
  availabilityZones?: AvailabilityZone[];
  regionCheck: RegionCheck;
}

export function planStack({ request, tenantId, stackId, takenCidrs, availabilityZones, regionCheck }: PlanStackInput): StackPlan {
  const vpcCidr = allocateVpcCidr({ taken: takenCidrs, ...(request.network.cidr ? { requested: request.network.cidr } : {}) });
  const network: NetworkPlan = { ...planSubnets(vpcCidr, request.network.azCount), ...(availabilityZones ? { availabilityZones } : {}) };
  const templates = buildStackTemplates({ request, network, tenantId, stackId });
  const deployed = new Set(templates.map((t) => t.component));
  const report = analyseReachability(resolveStack(templates), network);
  return {
    request,
    network,
    regionCheck,
    components: templates.map((t) => ({ ...t, dependsOn: COMPONENT_DEPENDENCIES[t.component].filter((d) => deployed.has(d)) })),
    estimate: estimateMonthlyCost(request),
    reachability: { summary: summariseReachability(report), violations: checkInvariants(report, request), report },
    diagram: renderStackDiagram(request, network),
  };
}
