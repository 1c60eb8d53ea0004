import type { NetworkPlan, SubnetTier } from '../../model/network-plan';
import { cidrsOverlap, hasInternetAddresses } from './cidr-relations';
import { NetworkModelError } from './errors';
import {
  ALL_TRAFFIC, EMPTY_PORT_SET, PROTOCOLS, intersectPortSets, isAllTraffic, isEmptyPortSet, portSetOfRule, unionPortSets,
  type PortSet, type Protocol,
} from './port-set';
import { ROLES, type Peer, type Placement, type Role, type Route, type RouteTargetKind, type Rule, type Subnet } from './network-model-types';
import { readNetworkModel, type NetworkModel } from './read-network-model';
import type { ResolvedStack } from './resolve-stack';

/**
 * `vpc`: any other network interface in the VPC — one Groundwork did not create (a customer's
 * Lambda or task in the private subnets), whose groups and egress we cannot know. It reaches
 * whatever admits VPC addresses by CIDR, which is why "only the app reaches the database" needs
 * the database's rules to name the app's group, not a block.
 */
export type FlowParty = Role | 'internet' | 'vpc';
export type FlowProtocol = Protocol | 'all';

export interface ReachabilityFlow {
  source: FlowParty;
  destination: FlowParty;
  protocol: FlowProtocol;
  fromPort: number;
  toPort: number;
  /** When the source is the internet: the block an ingress rule admits it from ('0.0.0.0/0': anyone). */
  sourceCidr?: string;
  /** The resources the flow passes through on its way: an HTTP API, a NAT, an internet gateway. */
  via?: string[];
}

export interface SubnetRoute {
  /** A CIDR block, or `prefix-list:<id or service>`. */
  destination: string;
  target: RouteTargetKind;
  /** The resource the route sends traffic to. */
  via: string;
}

export interface SubnetReport {
  subnet: string;
  tier: SubnetTier;
  azIndex: number;
  cidr: string;
  /** null: no association, so the VPC's main route table (which holds only the local route). */
  routeTable: string | null;
  routes: SubnetRoute[];
  /**
   * Whether the route table sends internet-bound traffic off the VPC, and how. Deliberately
   * route-level: 'nat' is any such route to a NAT gateway, network interface or instance, whether
   * or not that device then gets the traffic out (InternetEgressReport says that).
   */
  internetRoute: 'internet-gateway' | 'nat' | null;
}

export interface PlacementReport {
  placement: string;
  role: Role;
  type: string;
  subnets: string[];
  securityGroups: string[];
  /** Whether it has a public IPv4 address in at least one of its subnets. */
  publicIp: boolean;
  /** AWS-managed and outside the VPC (an HTTP API). */
  managed: boolean;
}

export interface InternetEgressPath {
  subnet: string;
  kind: 'internet-gateway' | 'nat';
  via: string;
}

export interface InternetEgressReport {
  placement: string;
  role: Role;
  /** A way to the internet from at least one subnet — an internet gateway with a public address, or a working NAT — security groups aside. */
  reachesInternet: boolean;
  paths: InternetEgressPath[];
}

/** Plain JSON: returned as is by `POST /v1/plans`. */
export interface ReachabilityReport {
  vpc: string;
  vpcCidr: string;
  subnets: SubnetReport[];
  placements: PlacementReport[];
  flows: ReachabilityFlow[];
  internetEgress: InternetEgressReport[];
}

/**
 * Which roles of a stack can reach which others, on what, and which can reach the internet,
 * computed over the network model (read-network-model.ts) the way AWS would decide it. NACLs are
 * not modelled: Groundwork creates none, and a VPC's default NACL allows everything.
 *
 * - Inside the VPC the local route always exists, so A → B is A's egress ∩ B's ingress. A CIDR
 *   rule admits a placement when the block overlaps one of its subnets; a group rule, when the
 *   placement carries the group.
 * - Internet → X needs X to have a public address in a subnet whose route table sends internet
 *   traffic to an internet gateway, and an ingress rule admitting internet addresses (a block that
 *   is not only RFC 1918 & co; the flow names the block, so the bastion's allowed CIDR shows as
 *   such). An HTTP API is AWS-managed and public: it is reached on 443 and reaches the app only
 *   through its VPC link, whose groups then decide.
 * - X → internet needs an egress rule to internet addresses and a path: a public address in a
 *   subnet routed to an internet gateway, or a route to a NAT (gateway, or NAT-instance network
 *   interface / instance) that itself reaches the internet — through a NAT instance, its groups'
 *   ingress from X and egress to the internet must allow the traffic too.
 * - Routes are not longest-prefix matched: any route to an internet gateway or NAT whose
 *   destination holds internet addresses counts. That can only over-state reachability, the safe
 *   direction for proving that something is not reachable.
 */
export function analyseReachability(stack: ResolvedStack, plan: NetworkPlan): ReachabilityReport {
  const model = readNetworkModel(stack, plan);
  return new ReachabilityAnalysis(model).report();
}

// ---------------------------------------------------------------------------------------------
// Reachability over the model.

class ReachabilityAnalysis {
  constructor(private readonly model: NetworkModel) {}

  report(): ReachabilityReport {
    const model = this.model;
    return {
      vpc: model.vpc,
      vpcCidr: model.vpcCidr,
      subnets: [...model.subnets.values()].map((subnet) => this.subnetReport(subnet)),
      placements: model.placements.map((placement) => ({
        placement: placement.key,
        role: placement.role,
        type: placement.type,
        subnets: [...placement.subnets],
        securityGroups: [...(placement.groups ?? [])],
        publicIp: placement.publicIn.size > 0,
        managed: placement.managed,
      })),
      flows: this.flows(),
      internetEgress: model.placements.filter((placement) => !placement.managed).map((placement) => {
        const paths = this.internetPaths(placement).map(({ subnet, kind, via }) => ({ subnet, kind, via }));
        return { placement: placement.key, role: placement.role, reachesInternet: paths.length > 0, paths };
      }),
    };
  }

  private subnetReport(subnet: Subnet): SubnetReport {
    const routes = this.model.routesOf(subnet);
    const internet = routes.filter((route) => route.toInternet);
    const internetRoute = internet.some((route) => route.target === 'internet-gateway')
      ? 'internet-gateway'
      : internet.some((route) => isForwarder(route.target)) ? 'nat' : null;
    return {
      subnet: subnet.key,
      tier: subnet.tier,
      azIndex: subnet.azIndex,
      cidr: subnet.cidr,
      routeTable: subnet.routeTable,
      routes: routes.map(({ destination, target, via }) => ({ destination, target, via })),
      internetRoute,
    };
  }

  // --- flows ----------------------------------------------------------------------------------

  private flows(): ReachabilityFlow[] {
    const flows = new FlowCollector();
    const placements = this.model.placements;
    for (const source of placements) {
      for (const destination of placements) {
        if (source.role === destination.role || source.managed || destination.managed || source.forwardsOnly || destination.forwardsOnly) continue;
        flows.add(source.role, destination.role, this.between(source, destination));
      }
    }
    for (const destination of placements) {
      if (destination.managed && destination.type === 'AWS::ApiGatewayV2::Api') {
        // An HTTP API is public by nature and HTTPS-only; behind it, the VPC link's groups decide what it reaches.
        flows.add('internet', destination.role, portSetOfRule('tcp', 443, 443), { sourceCidr: '0.0.0.0/0', via: [destination.key] });
        continue;
      }
      if (!this.acceptsFromInternet(destination)) continue;
      for (const [cidr, ports] of this.ingressFromInternet(destination)) {
        flows.add('internet', destination.role, ports, { sourceCidr: cidr });
      }
    }
    for (const destination of placements) {
      if (destination.managed || destination.forwardsOnly) continue;
      flows.add('vpc', destination.role, this.ingressFromVpc(destination));
    }
    for (const source of placements) {
      if (source.managed || source.forwardsOnly) continue;
      for (const path of this.internetPaths(source)) flows.add(source.role, 'internet', path.ports, { via: [path.via] });
    }
    return flows.toList();
  }

  /** What `source` may open to `destination` inside the VPC (the local route always exists). */
  private between(source: Placement, destination: Placement): PortSet {
    return intersectPortSets(this.egressTo(source, destination), this.ingressFrom(destination, source));
  }

  private rulesOf(placement: Placement, direction: 'ingress' | 'egress'): Rule[] | null {
    if (placement.groups === null) return null;
    return placement.groups.flatMap((group) => this.model.group(group)[direction]);
  }

  private matches(peer: Peer, placement: Placement): boolean {
    switch (peer.kind) {
      case 'group':
        return placement.groups?.includes(peer.group) ?? false;
      case 'cidr':
        return placement.subnets.some((subnet) => cidrsOverlap(peer.cidr, this.model.subnet(subnet).cidr));
      case 'elsewhere':
        return false;
    }
  }

  private ingressFrom(destination: Placement, source: Placement): PortSet {
    const rules = this.rulesOf(destination, 'ingress');
    if (rules === null) return ALL_TRAFFIC;
    return unionPortSets(EMPTY_PORT_SET, ...rules.filter((rule) => this.matches(rule.peer, source)).map((rule) => rule.ports));
  }

  private egressTo(source: Placement, destination: Placement): PortSet {
    const rules = this.rulesOf(source, 'egress');
    if (rules === null) return ALL_TRAFFIC;
    return unionPortSets(EMPTY_PORT_SET, ...rules.filter((rule) => this.matches(rule.peer, destination)).map((rule) => rule.ports));
  }

  private egressToInternet(source: Placement): PortSet {
    const rules = this.rulesOf(source, 'egress');
    if (rules === null) return ALL_TRAFFIC;
    return unionPortSets(EMPTY_PORT_SET, ...rules.filter((rule) => isInternetPeer(rule.peer)).map((rule) => rule.ports));
  }

  /** What ingress rules admit from any address of the VPC (rules naming a group admit only its members). */
  private ingressFromVpc(destination: Placement): PortSet {
    const rules = this.rulesOf(destination, 'ingress');
    if (rules === null) return ALL_TRAFFIC;
    const fromVpc = rules.filter((rule) => rule.peer.kind === 'cidr' && cidrsOverlap(rule.peer.cidr, this.model.vpcCidr));
    return unionPortSets(EMPTY_PORT_SET, ...fromVpc.map((rule) => rule.ports));
  }

  /** Per internet block an ingress rule names, what it admits. */
  private ingressFromInternet(destination: Placement): Map<string, PortSet> {
    const byCidr = new Map<string, PortSet>();
    const rules = this.rulesOf(destination, 'ingress');
    // No groups (an NLB without any): its listeners, which are not modelled, are the only filter.
    if (rules === null) return new Map([['0.0.0.0/0', ALL_TRAFFIC]]);
    for (const rule of rules) {
      if (rule.peer.kind !== 'cidr' || !isInternetPeer(rule.peer)) continue;
      byCidr.set(rule.peer.cidr, unionPortSets(byCidr.get(rule.peer.cidr) ?? EMPTY_PORT_SET, rule.ports));
    }
    return byCidr;
  }

  private acceptsFromInternet(placement: Placement): boolean {
    if (placement.managed || placement.forwardsOnly) return false;
    return [...placement.publicIn].some((subnet) => this.gatewayRoutes(this.model.subnet(subnet)).length > 0);
  }

  private gatewayRoutes(subnet: Subnet): Route[] {
    return this.model.routesOf(subnet).filter((route) => route.toInternet && route.target === 'internet-gateway');
  }

  // --- internet egress ------------------------------------------------------------------------

  /** Each way `placement` gets to the internet, with the traffic the security groups on that way let through. */
  private internetPaths(placement: Placement): Array<InternetEgressPath & { ports: PortSet }> {
    const paths: Array<InternetEgressPath & { ports: PortSet }> = [];
    // A NAT interface without an address of its own goes out through the instance it is attached to.
    const exits = placement.type === 'AWS::EC2::NetworkInterface' && placement.publicIn.size === 0 ? this.directExits(placement) : [placement];
    const exitPorts = unionPortSets(EMPTY_PORT_SET, ...exits.map((exit) => this.egressToInternet(exit)));
    for (const key of placement.subnets) {
      const subnet = this.model.subnet(key);
      if (exits.some((exit) => exit.publicIn.has(key))) {
        for (const route of this.gatewayRoutes(subnet)) paths.push({ subnet: key, kind: 'internet-gateway', via: route.via, ports: exitPorts });
      }
      for (const route of this.model.routesOf(subnet)) {
        if (!route.toInternet || !isForwarder(route.target) || route.via === placement.key) continue;
        const device = this.forwardingDevice(route);
        if (!device.forwards) continue;
        const exits = this.directExits(device);
        if (exits.length === 0) continue;
        // Through a NAT instance: our egress, its ingress from us, and its own egress all apply.
        const ports = intersectPortSets(
          this.egressToInternet(placement),
          this.ingressFrom(device, placement),
          unionPortSets(EMPTY_PORT_SET, ...exits.map((exit) => this.egressToInternet(exit))),
        );
        paths.push({ subnet: key, kind: 'nat', via: route.via, ports });
      }
    }
    return paths;
  }

  private forwardingDevice(route: Route): Placement {
    const device = this.model.placement(route.via);
    if (device === undefined) throw new NetworkModelError(route.via, 'is the target of a route but sits in no subnet of the stack');
    return device;
  }

  /**
   * The placements through which a NAT device itself reaches an internet gateway: the device, if
   * it has a public address in a subnet routed to one; otherwise, for a NAT-instance network
   * interface that an auto-scaling group's instances attach at boot (user data, invisible to the
   * template), the instances of that group in the same subnet whose own public address does.
   */
  private directExits(device: Placement): Placement[] {
    const direct = (placement: Placement, subnets: readonly string[]) =>
      subnets.some((subnet) => placement.publicIn.has(subnet) && this.gatewayRoutes(this.model.subnet(subnet)).length > 0);
    if (direct(device, device.subnets)) return [device];
    if (device.type !== 'AWS::EC2::NetworkInterface') return [];
    return this.model.placements.filter((companion) =>
      companion !== device && companion.component === device.component && companion.role === device.role &&
      (companion.type === 'AWS::AutoScaling::AutoScalingGroup' || companion.type === 'AWS::EC2::Instance') &&
      direct(companion, device.subnets.filter((subnet) => companion.subnets.includes(subnet))));
  }
}

function isForwarder(target: RouteTargetKind): boolean {
  return target === 'nat-gateway' || target === 'nat-instance' || target === 'network-interface' || target === 'instance';
}

function isInternetPeer(peer: Peer): boolean {
  return peer.kind === 'cidr' && hasInternetAddresses(peer.cidr);
}

/** Gathers port sets per (source, destination, source block) and lists them as merged flows. */
class FlowCollector {
  private readonly entries = new Map<string, { source: FlowParty; destination: FlowParty; sourceCidr?: string; ports: PortSet; via: Set<string> }>();

  add(source: FlowParty, destination: FlowParty, ports: PortSet, extra: { sourceCidr?: string; via?: string[] } = {}): void {
    if (isEmptyPortSet(ports)) return;
    const key = `${source}|${destination}|${extra.sourceCidr ?? ''}`;
    const entry = this.entries.get(key) ?? { source, destination, ports: EMPTY_PORT_SET, via: new Set<string>(), ...(extra.sourceCidr === undefined ? {} : { sourceCidr: extra.sourceCidr }) };
    entry.ports = unionPortSets(entry.ports, ports);
    for (const via of extra.via ?? []) entry.via.add(via);
    this.entries.set(key, entry);
  }

  toList(): ReachabilityFlow[] {
    const flows: ReachabilityFlow[] = [];
    for (const { source, destination, sourceCidr, ports, via } of this.entries.values()) {
      const common = {
        source,
        destination,
        ...(sourceCidr === undefined ? {} : { sourceCidr }),
        ...(via.size === 0 ? {} : { via: [...via].sort() }),
      };
      if (isAllTraffic(ports)) {
        flows.push({ ...common, protocol: 'all', fromPort: 0, toPort: 65535 });
        continue;
      }
      for (const protocol of PROTOCOLS) {
        for (const [fromPort, toPort] of ports[protocol]) flows.push({ ...common, protocol, fromPort, toPort });
      }
    }
    return flows.sort((a, b) =>
      a.source.localeCompare(b.source) || a.destination.localeCompare(b.destination) ||
      (a.sourceCidr ?? '').localeCompare(b.sourceCidr ?? '') || a.protocol.localeCompare(b.protocol) || a.fromPort - b.fromPort);
  }
}
