import type { NetworkPlan } from '../../model/network-plan';
import { hasInternetAddresses } from './cidr-relations';
import { NetworkModelError, UnsupportedTemplateError } from './errors';
import type { Placement, Route, RouteTargetKind, Rule, SecurityGroup, Subnet } from './network-model-types';
import { COMPONENT_ROLES, placementOf } from './placements';
import { ALL_TRAFFIC, portSetOfRule } from './port-set';
import { describe, ResolvedValues } from './resolved-values';
import { isResolvedObject, type ResolvedResource, type ResolvedStack, type ResolvedValue } from './resolve-stack';

/**
 * The network of one stack as AWS would see it, read from the merged templates (resolve-stack.ts):
 * the VPC, its subnets with their planned tier and route table, the routes, the security groups
 * with all their rules, and every *placement* — a resource that puts network interfaces in
 * subnets — with its role, subnets, groups and public addresses.
 *
 * ## Roles
 * - by type, where the type says what it is for: a load balancer, an API Gateway VPC link or
 *   HTTP API → `frontend`; an RDS instance or cluster → `database`; an interface VPC endpoint →
 *   `endpoints`; a NAT gateway → `nat`; an ECS service (awsvpc) → `app`.
 * - by the component that declares it, for general-purpose compute (auto-scaling groups, EC2
 *   instances, standalone network interfaces, Lambda functions in the VPC), because the same
 *   type serves several roles: `cluster` → `app`, `nat` → `nat`, `bastion` → `bastion` (and
 *   `frontend`, `database`, `endpoints` → themselves). Every Groundwork resource carries the
 *   `groundwork:component` tag with that component; the merged key `<component>.<LogicalId>`
 *   carries the same fact, and is what is read here.
 * Compute declared by any other component has no role and is an error.
 *
 * ## Subnet tiers
 * A subnet's tier is what the NetworkPlan meant it to be, found by its CIDR — not what its routes
 * make it, or "isolated subnets have no internet route" would be true by definition.
 *
 * ## Faithful to AWS where it matters
 * - A security group that declares no inline egress keeps AWS's default allow-all egress rule;
 *   standalone AWS::EC2::SecurityGroupEgress resources do not remove it.
 * - A placement given no security group gets the VPC's default group (ingress from its own
 *   members, all egress); NAT gateways (and NLBs without groups) filter nothing.
 * - Public addresses: an internet-facing load balancer; a NAT gateway of public connectivity;
 *   instances (and auto-scaling groups) by their AssociatePublicIpAddress, else the subnet's
 *   MapPublicIpOnLaunch, or an Elastic IP; a network interface by an EIP association; RDS by
 *   PubliclyAccessible.
 * - IPv6 is not modelled; a VPC or subnet with IPv6 blocks is refused rather than half-analysed.
 * Anything that names a resource outside the stack, or that is known only at deploy time where a
 * concrete id or block is needed, is an error (NetworkModelError) — never a guess.
 */
const SECURITY_GROUP = 'AWS::EC2::SecurityGroup';
const SUBNET = 'AWS::EC2::Subnet';

export function readNetworkModel(stack: ResolvedStack, plan: NetworkPlan): NetworkModel {
  return new NetworkModel(stack, plan);
}

export class NetworkModel {
  readonly vpc: string;
  readonly vpcCidr: string;
  readonly subnets = new Map<string, Subnet>();
  readonly routes: Route[] = [];
  readonly groups = new Map<string, SecurityGroup>();
  readonly placements: Placement[] = [];
  private readonly values: ResolvedValues;
  private readonly defaultGroup: string;

  constructor(stack: ResolvedStack, private readonly plan: NetworkPlan) {
    this.values = new ResolvedValues(stack);
    const vpcs = this.values.ofType('AWS::EC2::VPC');
    const [vpc, ...others] = vpcs;
    if (vpc === undefined || others.length > 0) {
      throw new NetworkModelError('AWS::EC2::VPC', `a stack has exactly one VPC; found ${vpcs.map((r) => r.key).join(', ') || 'none'}`);
    }
    this.vpc = vpc.key;
    this.vpcCidr = this.values.cidr(vpc.properties.CidrBlock, `${vpc.key}.CidrBlock`);
    if (this.vpcCidr !== plan.vpcCidr) {
      throw new NetworkModelError(`${vpc.key}.CidrBlock`, `is ${this.vpcCidr} but the network plan says ${plan.vpcCidr}`);
    }
    if (this.values.ofType('AWS::EC2::VPCCidrBlock').length > 0 || vpc.properties.Ipv6CidrBlocks !== undefined) {
      throw new UnsupportedTemplateError(vpc.key, 'secondary and IPv6 VPC blocks are not modelled by the reachability analyser');
    }
    this.defaultGroup = `${vpc.key}.DefaultSecurityGroup`;
    // AWS's default group: members reach each other, everything may leave.
    this.groups.set(this.defaultGroup, {
      key: this.defaultGroup,
      ingress: [{ ports: ALL_TRAFFIC, peer: { kind: 'group', group: this.defaultGroup } }],
      egress: [{ ports: ALL_TRAFFIC, peer: { kind: 'cidr', cidr: '0.0.0.0/0' } }],
    });

    this.readSubnets();
    this.readRoutes();
    this.readSecurityGroups();
    this.readPlacements();
  }

  subnet(key: string): Subnet {
    const found = this.subnets.get(key);
    if (found === undefined) throw new NetworkModelError(key, 'is not a subnet of the stack VPC');
    return found;
  }

  group(key: string): SecurityGroup {
    const found = this.groups.get(key);
    if (found === undefined) throw new NetworkModelError(key, 'is not a security group of the stack');
    return found;
  }

  routesOf(subnet: Subnet): Route[] {
    return subnet.routeTable === null ? [] : this.routes.filter((route) => route.routeTable === subnet.routeTable);
  }

  placement(key: string): Placement | undefined {
    return this.placements.find((placement) => placement.key === key);
  }

  // --- subnets and routes ---------------------------------------------------------------------

  private readSubnets(): void {
    for (const resource of this.values.ofType(SUBNET)) {
      const props = resource.properties;
      this.expectVpc(props.VpcId, `${resource.key}.VpcId`);
      if (props.Ipv6CidrBlock !== undefined || props.Ipv6Native === true || props.AssignIpv6AddressOnCreation === true) {
        throw new UnsupportedTemplateError(resource.key, 'IPv6 subnets are not modelled by the reachability analyser');
      }
      const cidr = this.values.cidr(props.CidrBlock, `${resource.key}.CidrBlock`);
      const planned = this.plan.subnets.find((subnet) => subnet.cidr === cidr);
      if (planned === undefined) {
        throw new NetworkModelError(`${resource.key}.CidrBlock`, `${cidr} is not a subnet of the network plan, so its tier is unknown`);
      }
      this.subnets.set(resource.key, {
        key: resource.key,
        cidr,
        tier: planned.tier,
        azIndex: planned.azIndex,
        mapPublicIp: this.values.boolean(props.MapPublicIpOnLaunch, `${resource.key}.MapPublicIpOnLaunch`) ?? false,
        routeTable: null,
      });
    }

    const routeTables = new Set(this.values.ofType('AWS::EC2::RouteTable').map((table) => {
      this.expectVpc(table.properties.VpcId, `${table.key}.VpcId`);
      return table.key;
    }));
    for (const association of this.values.ofType('AWS::EC2::SubnetRouteTableAssociation')) {
      const subnet = this.subnet(this.values.refTo(association.properties.SubnetId, [SUBNET], `${association.key}.SubnetId`));
      const table = this.values.refTo(association.properties.RouteTableId, ['AWS::EC2::RouteTable'], `${association.key}.RouteTableId`);
      if (!routeTables.has(table)) throw new NetworkModelError(`${association.key}.RouteTableId`, `${table} is not a route table`);
      if (subnet.routeTable !== null) {
        throw new NetworkModelError(association.key, `${subnet.key} is already associated with ${subnet.routeTable}; a subnet has one route table`);
      }
      subnet.routeTable = table;
    }
  }

  private readRoutes(): void {
    for (const route of this.values.ofType('AWS::EC2::Route')) {
      const props = route.properties;
      const path = route.key;
      const routeTable = this.values.refTo(props.RouteTableId, ['AWS::EC2::RouteTable'], `${path}.RouteTableId`);
      let destination: string;
      let toInternet: boolean;
      if (props.DestinationCidrBlock !== undefined) {
        destination = this.values.cidr(props.DestinationCidrBlock, `${path}.DestinationCidrBlock`);
        toInternet = hasInternetAddresses(destination);
      } else if (props.DestinationPrefixListId !== undefined) {
        // A prefix list's entries are not known here; count it as internet-bound to stay on the safe side.
        destination = `prefix-list:${describe(props.DestinationPrefixListId)}`;
        toInternet = true;
      } else if (props.DestinationIpv6CidrBlock !== undefined) {
        // No IPv6 addresses exist in the VPC (refused above), so an IPv6 route carries nothing.
        continue;
      } else {
        throw new NetworkModelError(path, 'a route needs a destination');
      }

      const target = this.routeTarget(route);
      this.routes.push({ routeTable, destination, toInternet, ...target });
    }

    // Gateway endpoints (S3, DynamoDB) add prefix-list routes to the route tables they name.
    for (const endpoint of this.values.ofType('AWS::EC2::VPCEndpoint')) {
      const type = endpoint.properties.VpcEndpointType ?? 'Gateway';
      if (type !== 'Gateway') continue;
      const service = describe(endpoint.properties.ServiceName);
      for (const table of this.values.refsTo(endpoint.properties.RouteTableIds ?? [], ['AWS::EC2::RouteTable'], `${endpoint.key}.RouteTableIds`)) {
        this.routes.push({ routeTable: table, destination: `prefix-list:${service}`, toInternet: false, target: 'gateway-endpoint', via: endpoint.key });
      }
    }
  }

  private routeTarget(route: ResolvedResource): { target: RouteTargetKind; via: string } {
    const props = route.properties;
    const targets = [
      'GatewayId', 'NatGatewayId', 'NetworkInterfaceId', 'InstanceId', 'VpcEndpointId', 'TransitGatewayId', 'VpcPeeringConnectionId',
      'EgressOnlyInternetGatewayId', 'CarrierGatewayId', 'LocalGatewayId', 'CoreNetworkArn',
    ].filter((name) => props[name] !== undefined);
    const [name, ...more] = targets;
    if (name === undefined || more.length > 0) {
      throw new NetworkModelError(route.key, `a route has exactly one target; found ${targets.join(', ') || 'none'}`);
    }
    const path = `${route.key}.${name}`;
    switch (name) {
      case 'GatewayId': {
        const via = this.values.refTo(props.GatewayId, ['AWS::EC2::InternetGateway', 'AWS::EC2::VPNGateway'], path);
        return { target: this.values.resource(via, path).type === 'AWS::EC2::InternetGateway' ? 'internet-gateway' : 'other', via };
      }
      case 'NatGatewayId':
        return { target: 'nat-gateway', via: this.values.refTo(props.NatGatewayId, ['AWS::EC2::NatGateway'], path) };
      case 'NetworkInterfaceId': {
        const via = this.values.refTo(props.NetworkInterfaceId, ['AWS::EC2::NetworkInterface'], path);
        return { target: COMPONENT_ROLES[this.values.resource(via, path).component] === 'nat' ? 'nat-instance' : 'network-interface', via };
      }
      case 'InstanceId': {
        const via = this.values.refTo(props.InstanceId, ['AWS::EC2::Instance'], path);
        return { target: COMPONENT_ROLES[this.values.resource(via, path).component] === 'nat' ? 'nat-instance' : 'instance', via };
      }
      default:
        // Peering, transit, VPN and gateway-load-balancer targets lead to networks we do not model, not to the internet.
        return { target: 'other', via: describe(props[name]) };
    }
  }

  // --- security groups ------------------------------------------------------------------------

  private readSecurityGroups(): void {
    for (const resource of this.values.ofType(SECURITY_GROUP)) {
      const props = resource.properties;
      this.expectVpc(props.VpcId, `${resource.key}.VpcId`);
      const ingress = this.values.list(props.SecurityGroupIngress ?? [], `${resource.key}.SecurityGroupIngress`).map((entry, index) =>
        this.rule(entry, 'ingress', `${resource.key}.SecurityGroupIngress[${index}]`),
      );
      const declaredEgress = this.values.list(props.SecurityGroupEgress ?? [], `${resource.key}.SecurityGroupEgress`);
      // AWS removes its default allow-all egress rule only when the group declares egress inline.
      const egress = declaredEgress.length === 0
        ? [{ ports: ALL_TRAFFIC, peer: { kind: 'cidr', cidr: '0.0.0.0/0' } } satisfies Rule]
        : declaredEgress.map((entry, index) => this.rule(entry, 'egress', `${resource.key}.SecurityGroupEgress[${index}]`));
      this.groups.set(resource.key, { key: resource.key, ingress, egress });
    }
    for (const [type, direction] of [['AWS::EC2::SecurityGroupIngress', 'ingress'], ['AWS::EC2::SecurityGroupEgress', 'egress']] as const) {
      for (const resource of this.values.ofType(type)) {
        if (resource.properties.GroupId === undefined) {
          throw new NetworkModelError(resource.key, 'names its group by GroupName, which only works in a default VPC; use GroupId');
        }
        const group = this.group(this.values.refTo(resource.properties.GroupId, [SECURITY_GROUP], `${resource.key}.GroupId`));
        group[direction].push(this.rule(resource.properties, direction, resource.key));
      }
    }
  }

  private rule(entry: ResolvedValue, direction: 'ingress' | 'egress', path: string): Rule {
    if (!isResolvedObject(entry)) throw new NetworkModelError(path, 'a security group rule must be an object');
    const protocol = entry.IpProtocol;
    if (typeof protocol !== 'string' && typeof protocol !== 'number') throw new NetworkModelError(`${path}.IpProtocol`, 'is required and must be literal');
    const ports = portSetOfRule(protocol, this.values.number(entry.FromPort, `${path}.FromPort`), this.values.number(entry.ToPort, `${path}.ToPort`));

    const groupProperty = direction === 'ingress' ? 'SourceSecurityGroupId' : 'DestinationSecurityGroupId';
    const prefixListProperty = direction === 'ingress' ? 'SourcePrefixListId' : 'DestinationPrefixListId';
    const peers = ['CidrIp', 'CidrIpv6', groupProperty, prefixListProperty, 'SourceSecurityGroupName'].filter((name) => entry[name] !== undefined);
    const [peerProperty, ...more] = peers;
    if (peerProperty === undefined || more.length > 0) {
      throw new NetworkModelError(path, `a rule names exactly one peer; found ${peers.join(', ') || 'none'}`);
    }
    if (entry.SourceSecurityGroupOwnerId !== undefined) {
      throw new UnsupportedTemplateError(path, 'rules on another account\'s security group are not modelled');
    }
    switch (peerProperty) {
      case 'CidrIp':
        return { ports, peer: { kind: 'cidr', cidr: this.values.cidr(entry.CidrIp, `${path}.CidrIp`) } };
      case groupProperty:
        return { ports, peer: { kind: 'group', group: this.values.refTo(entry[groupProperty], [SECURITY_GROUP], `${path}.${groupProperty}`) } };
      case 'SourceSecurityGroupName':
        throw new NetworkModelError(path, 'SourceSecurityGroupName only works in a default VPC; use SourceSecurityGroupId');
      default:
        // IPv6 blocks (no IPv6 in the VPC) and AWS-managed prefix lists (AWS service ranges such as
        // S3's) are neither a placement of this stack nor the open internet.
        return { ports, peer: { kind: 'elsewhere', what: `${peerProperty} ${describe(entry[peerProperty])}` } };
    }
  }

  // --- placements ------------------------------------------------------------------------------

  private readPlacements(): void {
    const context = { values: this.values, defaultGroup: this.defaultGroup, subnet: (key: string) => this.subnet(key) };
    for (const resource of this.values.all()) {
      const placement = placementOf(resource, context);
      if (placement === undefined) continue;
      for (const subnet of placement.subnets) this.subnet(subnet);
      for (const group of placement.groups ?? []) this.group(group);
      this.placements.push(placement);
    }
  }

  private expectVpc(value: ResolvedValue | undefined, path: string): void {
    const vpc = this.values.refTo(value, ['AWS::EC2::VPC'], path);
    if (vpc !== this.vpc) throw new NetworkModelError(path, `is ${vpc}, not the stack VPC ${this.vpc}`);
  }
}

