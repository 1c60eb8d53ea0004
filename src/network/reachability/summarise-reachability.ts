import type { ReachabilityFlow, ReachabilityReport } from './analyse-reachability';
import { ROLES } from './network-model-types';
import { SUBNET_TIERS } from '../../model/network-plan';

/**
 * A few lines a person can read in the plan response or a log: how each tier routes, who reaches
 * whom on what, and which roles get out to the internet.
 */
export function summariseReachability(report: ReachabilityReport): string[] {
  const lines: string[] = [];
  for (const tier of SUBNET_TIERS) {
    const subnets = report.subnets.filter((subnet) => subnet.tier === tier);
    if (subnets.length === 0) continue;
    const routes = [...new Set(subnets.map((subnet) => subnet.internetRoute ?? 'no route off the VPC'))];
    lines.push(`${tier} subnets (${subnets.length}): ${routes.map((route) => route === 'nat' ? 'internet via NAT' : route === 'internet-gateway' ? 'internet via the internet gateway' : route).join(' / ')}`);
  }

  const grouped = new Map<string, ReachabilityFlow[]>();
  for (const flow of report.flows) {
    const key = `${partyLabel(flow, 'source')} → ${partyLabel(flow, 'destination')}`;
    grouped.set(key, [...(grouped.get(key) ?? []), flow]);
  }
  for (const [parties, flows] of grouped) lines.push(`${parties}: ${flows.map(portsLabel).join(', ')}`);

  for (const role of ROLES) {
    const egress = report.internetEgress.filter((entry) => entry.role === role);
    if (egress.length === 0) continue;
    const out = egress.filter((entry) => entry.reachesInternet);
    const via = [...new Set(out.flatMap((entry) => entry.paths.map((path) => path.kind === 'nat' ? 'NAT' : 'internet gateway')))];
    lines.push(out.length === 0
      ? `${role}: no route to the internet`
      : `${role}: routes to the internet via ${via.join(' and ')}${out.length < egress.length ? ` (${out.length} of ${egress.length} placements)` : ''}`);
  }
  return lines;
}

/** `internet (0.0.0.0/0) → frontend tcp 443` */
export function describeFlow(flow: ReachabilityFlow): string {
  return `${partyLabel(flow, 'source')} → ${partyLabel(flow, 'destination')} ${portsLabel(flow)}`;
}

function partyLabel(flow: ReachabilityFlow, end: 'source' | 'destination'): string {
  if (end === 'source' && flow.source === 'internet' && flow.sourceCidr !== undefined) return `internet (${flow.sourceCidr})`;
  return flow[end] === 'vpc' ? 'any other address in the VPC' : flow[end];
}

function portsLabel(flow: ReachabilityFlow): string {
  if (flow.protocol === 'all') return 'all traffic';
  if (flow.protocol === 'icmp' || flow.protocol === 'other') return flow.protocol === 'icmp' ? 'icmp' : 'other IP protocols';
  return flow.fromPort === flow.toPort ? `${flow.protocol} ${flow.fromPort}` : `${flow.protocol} ${flow.fromPort}-${flow.toPort}`;
}
