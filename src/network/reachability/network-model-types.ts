import type { SubnetTier } from '../../model/network-plan';
import type { PortSet } from './port-set';

/**
 * The network of one stack as the reachability analyser sees it (read-network-model.ts reads it
 * from the merged templates): subnets, routes, security groups and placements, with each
 * placement's role.
 */
export const ROLES = ['frontend', 'app', 'database', 'bastion', 'endpoints', 'nat'] as const;
export type Role = (typeof ROLES)[number];

export type RouteTargetKind = 'internet-gateway' | 'nat-gateway' | 'nat-instance' | 'network-interface' | 'instance' | 'gateway-endpoint' | 'other';

export type Peer = { kind: 'cidr'; cidr: string } | { kind: 'group'; group: string } | { kind: 'elsewhere'; what: string };

export interface Rule {
  ports: PortSet;
  peer: Peer;
}

export interface SecurityGroup {
  key: string;
  ingress: Rule[];
  egress: Rule[];
}

export interface Subnet {
  key: string;
  cidr: string;
  tier: SubnetTier;
  azIndex: number;
  mapPublicIp: boolean;
  routeTable: string | null;
}

export interface Route {
  routeTable: string;
  destination: string;
  /** The destination holds internet addresses. */
  toInternet: boolean;
  target: RouteTargetKind;
  via: string;
}

export interface Placement {
  key: string;
  component: string;
  role: Role;
  type: string;
  subnets: string[];
  /** null: no security group applies (NAT gateway, NLB without groups). */
  groups: string[] | null;
  /** The subnets in which it has a public IPv4 address. */
  publicIn: Set<string>;
  managed: boolean;
  /** Only forwards others' traffic: never accepts nor opens a connection of its own (NAT gateway). */
  forwardsOnly: boolean;
  /**
   * Passes on traffic neither from nor to itself, so it can serve as a route target: a NAT
   * gateway, or an interface / instance whose source/destination check is off (AWS drops such
   * traffic at an interface that keeps the check, its default).
   */
  forwards: boolean;
}
