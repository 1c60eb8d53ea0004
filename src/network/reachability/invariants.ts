import type { StackRequest } from '../../model/stack-request';
import type { ReachabilityFlow, ReachabilityReport } from './analyse-reachability';
import { cidrContains } from './cidr-relations';
import { describeFlow } from './summarise-reachability';

/**
 * The network promises every Groundwork stack keeps (issue 3, "Network planning"), checked on a
 * reachability report. Each returns what breaks it, precisely enough to find the resource.
 *
 * (a) internet-ingress: the internet reaches only the frontend, on 80/443 (an HTTP API counts:
 *     API Gateway is outside the VPC and reaches the app through its VPC link), and the
 *     bastion, on 22, from inside its allowed CIDR only.
 * (b) database-access: the database is reached only by the app and the bastion, only on 5432 —
 *     not by any other role, and not by "any other address in the VPC" (a rule by CIDR rather
 *     than by the app's or bastion's group).
 * (c) app-internet-egress: the app reaches the internet iff nat is not none — with a NAT, from
 *     every subnet it runs in and at least on 443 (what pulling images and calling AWS APIs
 *     need); without one, not at all, by no route.
 * (d) isolated-stays-isolated: no isolated subnet (nor private subnet when nat is none) has a
 *     route to the internet, through an internet gateway or a NAT.
 */
export const INVARIANTS = ['internet-ingress', 'database-access', 'app-internet-egress', 'isolated-stays-isolated'] as const;
export type InvariantName = (typeof INVARIANTS)[number];

export interface InvariantViolation {
  invariant: InvariantName;
  message: string;
  flow?: ReachabilityFlow;
  subnet?: string;
  placement?: string;
}

const WEB_PORTS = [80, 443];
const SSH_PORT = 22;
const POSTGRES_PORT = 5432;
const HTTPS_PORT = 443;

export function checkInvariants(report: ReachabilityReport, request: StackRequest): InvariantViolation[] {
  return [
    ...internetIngress(report, request),
    ...databaseAccess(report),
    ...appInternetEgress(report, request),
    ...isolatedStaysIsolated(report, request),
  ];
}

function isSinglePort(flow: ReachabilityFlow, ports: readonly number[]): boolean {
  return flow.protocol === 'tcp' && flow.fromPort === flow.toPort && ports.includes(flow.fromPort);
}

function internetIngress(report: ReachabilityReport, request: StackRequest): InvariantViolation[] {
  const violations: InvariantViolation[] = [];
  const allowedCidr = request.bastion.enabled ? request.bastion.allowedCidr : undefined;
  for (const flow of report.flows.filter((candidate) => candidate.source === 'internet')) {
    if (flow.destination === 'frontend' && request.frontend.type !== 'none' && isSinglePort(flow, WEB_PORTS)) continue;
    if (
      flow.destination === 'bastion' && isSinglePort(flow, [SSH_PORT]) &&
      allowedCidr !== undefined && flow.sourceCidr !== undefined && cidrContains(allowedCidr, flow.sourceCidr)
    ) continue;
    const expected = flow.destination === 'bastion'
      ? `only tcp ${SSH_PORT} from ${allowedCidr ?? 'its allowed CIDR'}`
      : flow.destination === 'frontend' ? 'only tcp 80 and 443' : 'nothing';
    violations.push({
      invariant: 'internet-ingress',
      message: `${describeFlow(flow)}: the internet may reach the ${flow.destination} on ${expected}`,
      flow,
    });
  }
  return violations;
}

function databaseAccess(report: ReachabilityReport): InvariantViolation[] {
  return report.flows
    .filter((flow) => flow.destination === 'database')
    .filter((flow) => !((flow.source === 'app' || flow.source === 'bastion') && isSinglePort(flow, [POSTGRES_PORT])))
    .map((flow) => ({
      invariant: 'database-access' as const,
      message: `${describeFlow(flow)}: the database may be reached only by the app and the bastion, on tcp ${POSTGRES_PORT}`,
      flow,
    }));
}

function appInternetEgress(report: ReachabilityReport, request: StackRequest): InvariantViolation[] {
  const apps = report.placements.filter((placement) => placement.role === 'app');
  if (apps.length === 0) return []; // no cluster: there is no app to reach anything
  const nat = request.network.nat;
  const violations: InvariantViolation[] = [];
  const outbound = report.flows.filter((flow) => flow.source === 'app' && flow.destination === 'internet');

  if (nat === 'none') {
    for (const flow of outbound) {
      violations.push({ invariant: 'app-internet-egress', message: `${describeFlow(flow)}, although nat is none`, flow });
    }
    for (const egress of report.internetEgress.filter((candidate) => candidate.role === 'app' && candidate.reachesInternet)) {
      const how = egress.paths.map((path) => `${path.subnet} via ${path.via}`).join(', ');
      violations.push({
        invariant: 'app-internet-egress',
        placement: egress.placement,
        message: `${egress.placement} has a route to the internet (${how}), although nat is none`,
      });
    }
    return violations;
  }

  for (const app of apps) {
    const egress = report.internetEgress.find((candidate) => candidate.placement === app.placement);
    for (const subnet of app.subnets) {
      if (egress?.paths.some((path) => path.subnet === subnet)) continue;
      violations.push({
        invariant: 'app-internet-egress',
        placement: app.placement,
        subnet,
        message: `${app.placement} has no route to the internet from ${subnet}, although nat is ${nat}`,
      });
    }
  }
  const https = outbound.some((flow) => (flow.protocol === 'all' || flow.protocol === 'tcp') && flow.fromPort <= HTTPS_PORT && HTTPS_PORT <= flow.toPort);
  if (!https) {
    violations.push({
      invariant: 'app-internet-egress',
      message: `the app cannot open tcp ${HTTPS_PORT} to the internet (security groups or NAT), although nat is ${nat}`,
    });
  }
  return violations;
}

function isolatedStaysIsolated(report: ReachabilityReport, request: StackRequest): InvariantViolation[] {
  const closedTiers = request.network.nat === 'none' ? ['isolated', 'private'] : ['isolated'];
  return report.subnets
    .filter((subnet) => closedTiers.includes(subnet.tier) && subnet.internetRoute !== null)
    .map((subnet) => {
      const routes = subnet.routes.filter((route) => route.target !== 'gateway-endpoint' && route.target !== 'other');
      const how = routes.map((route) => `${route.destination} → ${route.via}`).join(', ');
      return {
        invariant: 'isolated-stays-isolated' as const,
        subnet: subnet.subnet,
        message: `${subnet.tier} subnet ${subnet.subnet} routes to the internet through ${subnet.routeTable} (${how})` +
          (subnet.tier === 'private' ? ', although nat is none' : ''),
      };
    });
}
