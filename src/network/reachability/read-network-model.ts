import type { NetworkPlan, SubnetTier } from '../../model/network-plan';
import { isIpv4Cidr } from '../../model/cidr';
import { hasInternetAddresses } from './cidr-relations';
import { NetworkModelError, UnsupportedTemplateError } from './errors';
import { ALL_TRAFFIC, portSetOfRule, type PortSet } from './port-set';
import {
  isDeployTimeValue, isResolvedObject, isResourceAttribute, isResourceRef,
  type ResolvedObject, type ResolvedResource, type ResolvedStack, type ResolvedValue,
} from './resolve-stack';

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

const COMPONENT_ROLES: Partial<Record<string, Role>> = {
  cluster: 'app',
  nat: 'nat',
  bastion: 'bastion',
  frontend: 'frontend',
  database: 'database',
  endpoints: 'endpoints',
};

/** GetAtt attributes that are the resource's id, i.e. what Ref would give. */
const ID_ATTRIBUTES = new Set([
  'Id', 'GroupId', 'VpcId', 'SubnetId', 'RouteTableId', 'InternetGatewayId', 'NatGatewayId', 'NetworkInterfaceId',
  'InstanceId', 'LaunchTemplateId', 'AllocationId', 'VpcLinkId', 'ApiId',
]);

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
  private readonly resources: ResolvedResource[];
  private readonly defaultGroup: string;

  constructor(private readonly stack: ResolvedStack, private readonly plan: NetworkPlan) {
    this.resources = Object.values(stack.resources);
    const vpcs = this.ofType('AWS::EC2::VPC');
    const [vpc, ...others] = vpcs;
    if (vpc === undefined || others.length > 0) {
      throw new NetworkModelError('AWS::EC2::VPC', `a stack has exactly one VPC; found ${vpcs.map((r) => r.key).join(', ') || 'none'}`);
    }
    this.vpc = vpc.key;
    this.vpcCidr = this.cidr(vpc.properties.CidrBlock, `${vpc.key}.CidrBlock`);
    if (this.vpcCidr !== plan.vpcCidr) {
      throw new NetworkModelError(`${vpc.key}.CidrBlock`, `is ${this.vpcCidr} but the network plan says ${plan.vpcCidr}`);
    }
    if (this.ofType('AWS::EC2::VPCCidrBlock').length > 0 || vpc.properties.Ipv6CidrBlocks !== undefined) {
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

  private ofType(type: string): ResolvedResource[] {
    return this.resources.filter((resource) => resource.type === type);
  }

  private resource(key: string, path: string): ResolvedResource {
    const found = this.stack.resources[key];
    if (found === undefined) throw new NetworkModelError(path, `names ${key}, which is not a resource of the stack`);
    return found;
  }

  // --- subnets and routes ---------------------------------------------------------------------

  private readSubnets(): void {
    for (const resource of this.ofType(SUBNET)) {
      const props = resource.properties;
      this.expectVpc(props.VpcId, `${resource.key}.VpcId`);
      if (props.Ipv6CidrBlock !== undefined || props.Ipv6Native === true || props.AssignIpv6AddressOnCreation === true) {
        throw new UnsupportedTemplateError(resource.key, 'IPv6 subnets are not modelled by the reachability analyser');
      }
      const cidr = this.cidr(props.CidrBlock, `${resource.key}.CidrBlock`);
      const planned = this.plan.subnets.find((subnet) => subnet.cidr === cidr);
      if (planned === undefined) {
        throw new NetworkModelError(`${resource.key}.CidrBlock`, `${cidr} is not a subnet of the network plan, so its tier is unknown`);
      }
      this.subnets.set(resource.key, {
        key: resource.key,
        cidr,
        tier: planned.tier,
        azIndex: planned.azIndex,
        mapPublicIp: this.boolean(props.MapPublicIpOnLaunch, `${resource.key}.MapPublicIpOnLaunch`) ?? false,
        routeTable: null,
      });
    }

    const routeTables = new Set(this.ofType('AWS::EC2::RouteTable').map((table) => {
      this.expectVpc(table.properties.VpcId, `${table.key}.VpcId`);
      return table.key;
    }));
    for (const association of this.ofType('AWS::EC2::SubnetRouteTableAssociation')) {
      const subnet = this.subnet(this.refTo(association.properties.SubnetId, [SUBNET], `${association.key}.SubnetId`));
      const table = this.refTo(association.properties.RouteTableId, ['AWS::EC2::RouteTable'], `${association.key}.RouteTableId`);
      if (!routeTables.has(table)) throw new NetworkModelError(`${association.key}.RouteTableId`, `${table} is not a route table`);
      if (subnet.routeTable !== null) {
        throw new NetworkModelError(association.key, `${subnet.key} is already associated with ${subnet.routeTable}; a subnet has one route table`);
      }
      subnet.routeTable = table;
    }
  }

  private readRoutes(): void {
    for (const route of this.ofType('AWS::EC2::Route')) {
      const props = route.properties;
      const path = route.key;
      const routeTable = this.refTo(props.RouteTableId, ['AWS::EC2::RouteTable'], `${path}.RouteTableId`);
      let destination: string;
      let toInternet: boolean;
      if (props.DestinationCidrBlock !== undefined) {
        destination = this.cidr(props.DestinationCidrBlock, `${path}.DestinationCidrBlock`);
        toInternet = hasInternetAddresses(destination);
      } else if (props.DestinationPrefixListId !== undefined) {
        // A prefix list's entries are not known here; count it as internet-bound to stay on the safe side.
        destination = `prefix-list:${this.describe(props.DestinationPrefixListId)}`;
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
    for (const endpoint of this.ofType('AWS::EC2::VPCEndpoint')) {
      const type = endpoint.properties.VpcEndpointType ?? 'Gateway';
      if (type !== 'Gateway') continue;
      const service = this.describe(endpoint.properties.ServiceName);
      for (const table of this.refsTo(endpoint.properties.RouteTableIds ?? [], ['AWS::EC2::RouteTable'], `${endpoint.key}.RouteTableIds`)) {
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
        const via = this.refTo(props.GatewayId, ['AWS::EC2::InternetGateway', 'AWS::EC2::VPNGateway'], path);
        return { target: this.resource(via, path).type === 'AWS::EC2::InternetGateway' ? 'internet-gateway' : 'other', via };
      }
      case 'NatGatewayId':
        return { target: 'nat-gateway', via: this.refTo(props.NatGatewayId, ['AWS::EC2::NatGateway'], path) };
      case 'NetworkInterfaceId': {
        const via = this.refTo(props.NetworkInterfaceId, ['AWS::EC2::NetworkInterface'], path);
        return { target: COMPONENT_ROLES[this.resource(via, path).component] === 'nat' ? 'nat-instance' : 'network-interface', via };
      }
      case 'InstanceId': {
        const via = this.refTo(props.InstanceId, ['AWS::EC2::Instance'], path);
        return { target: COMPONENT_ROLES[this.resource(via, path).component] === 'nat' ? 'nat-instance' : 'instance', via };
      }
      default:
        // Peering, transit, VPN and gateway-load-balancer targets lead to networks we do not model, not to the internet.
        return { target: 'other', via: this.describe(props[name]) };
    }
  }

  // --- security groups ------------------------------------------------------------------------

  private readSecurityGroups(): void {
    for (const resource of this.ofType(SECURITY_GROUP)) {
      const props = resource.properties;
      this.expectVpc(props.VpcId, `${resource.key}.VpcId`);
      const ingress = this.list(props.SecurityGroupIngress ?? [], `${resource.key}.SecurityGroupIngress`).map((entry, index) =>
        this.rule(entry, 'ingress', `${resource.key}.SecurityGroupIngress[${index}]`),
      );
      const declaredEgress = this.list(props.SecurityGroupEgress ?? [], `${resource.key}.SecurityGroupEgress`);
      // AWS removes its default allow-all egress rule only when the group declares egress inline.
      const egress = declaredEgress.length === 0
        ? [{ ports: ALL_TRAFFIC, peer: { kind: 'cidr', cidr: '0.0.0.0/0' } } satisfies Rule]
        : declaredEgress.map((entry, index) => this.rule(entry, 'egress', `${resource.key}.SecurityGroupEgress[${index}]`));
      this.groups.set(resource.key, { key: resource.key, ingress, egress });
    }
    for (const [type, direction] of [['AWS::EC2::SecurityGroupIngress', 'ingress'], ['AWS::EC2::SecurityGroupEgress', 'egress']] as const) {
      for (const resource of this.ofType(type)) {
        if (resource.properties.GroupId === undefined) {
          throw new NetworkModelError(resource.key, 'names its group by GroupName, which only works in a default VPC; use GroupId');
        }
        const group = this.group(this.refTo(resource.properties.GroupId, [SECURITY_GROUP], `${resource.key}.GroupId`));
        group[direction].push(this.rule(resource.properties, direction, resource.key));
      }
    }
  }

  private rule(entry: ResolvedValue, direction: 'ingress' | 'egress', path: string): Rule {
    if (!isResolvedObject(entry)) throw new NetworkModelError(path, 'a security group rule must be an object');
    const protocol = entry.IpProtocol;
    if (typeof protocol !== 'string' && typeof protocol !== 'number') throw new NetworkModelError(`${path}.IpProtocol`, 'is required and must be literal');
    const ports = portSetOfRule(protocol, this.number(entry.FromPort, `${path}.FromPort`), this.number(entry.ToPort, `${path}.ToPort`));

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
        return { ports, peer: { kind: 'cidr', cidr: this.cidr(entry.CidrIp, `${path}.CidrIp`) } };
      case groupProperty:
        return { ports, peer: { kind: 'group', group: this.refTo(entry[groupProperty], [SECURITY_GROUP], `${path}.${groupProperty}`) } };
      case 'SourceSecurityGroupName':
        throw new NetworkModelError(path, 'SourceSecurityGroupName only works in a default VPC; use SourceSecurityGroupId');
      default:
        // IPv6 blocks (no IPv6 in the VPC) and AWS-managed prefix lists (AWS service ranges such as
        // S3's) are neither a placement of this stack nor the open internet.
        return { ports, peer: { kind: 'elsewhere', what: `${peerProperty} ${this.describe(entry[peerProperty])}` } };
    }
  }

  // --- placements ------------------------------------------------------------------------------

  private readPlacements(): void {
    for (const resource of this.resources) {
      const placement = this.placementOf(resource);
      if (placement === undefined) continue;
      for (const subnet of placement.subnets) this.subnet(subnet);
      for (const group of placement.groups ?? []) this.group(group);
      this.placements.push(placement);
    }
  }

  private placementOf(resource: ResolvedResource): Placement | undefined {
    const props = resource.properties;
    const key = resource.key;
    const base = { key, component: resource.component, type: resource.type, managed: false, forwardsOnly: false, forwards: false };
    switch (resource.type) {
      case 'AWS::ElasticLoadBalancingV2::LoadBalancer': {
        const subnets = props.SubnetMappings !== undefined
          ? this.list(props.SubnetMappings, `${key}.SubnetMappings`).map((mapping, index) =>
            this.refTo(isResolvedObject(mapping) ? mapping.SubnetId : undefined, [SUBNET], `${key}.SubnetMappings[${index}].SubnetId`))
          : this.refsTo(props.Subnets, [SUBNET], `${key}.Subnets`);
        const isNetwork = props.Type === 'network' || props.Type === 'gateway';
        const groups = props.SecurityGroups !== undefined
          ? this.refsTo(props.SecurityGroups, [SECURITY_GROUP], `${key}.SecurityGroups`)
          : isNetwork ? null : [this.defaultGroup];
        const internetFacing = (props.Scheme ?? 'internet-facing') === 'internet-facing';
        return { ...base, role: 'frontend', subnets, groups, publicIn: new Set(internetFacing ? subnets : []) };
      }
      case 'AWS::ApiGatewayV2::VpcLink': {
        const subnets = this.refsTo(props.SubnetIds, [SUBNET], `${key}.SubnetIds`);
        return { ...base, role: 'frontend', subnets, groups: this.groupsOr(props.SecurityGroupIds, `${key}.SecurityGroupIds`), publicIn: new Set() };
      }
      case 'AWS::ApiGatewayV2::Api':
        return { ...base, role: 'frontend', subnets: [], groups: null, publicIn: new Set(), managed: true };
      case 'AWS::RDS::DBInstance': {
        if (props.DBClusterIdentifier !== undefined) return undefined; // its cluster is the placement
        return this.databasePlacement(resource, props.VPCSecurityGroups, `${key}.VPCSecurityGroups`);
      }
      case 'AWS::RDS::DBCluster':
        return this.databasePlacement(resource, props.VpcSecurityGroupIds, `${key}.VpcSecurityGroupIds`);
      case 'AWS::EC2::VPCEndpoint': {
        if ((props.VpcEndpointType ?? 'Gateway') !== 'Interface') return undefined;
        const subnets = this.refsTo(props.SubnetIds, [SUBNET], `${key}.SubnetIds`);
        return { ...base, role: 'endpoints', subnets, groups: this.groupsOr(props.SecurityGroupIds, `${key}.SecurityGroupIds`), publicIn: new Set() };
      }
      case 'AWS::EC2::NatGateway': {
        const subnet = this.refTo(props.SubnetId, [SUBNET], `${key}.SubnetId`);
        const isPublic = (props.ConnectivityType ?? 'public') === 'public';
        return { ...base, role: 'nat', subnets: [subnet], groups: null, publicIn: new Set(isPublic ? [subnet] : []), forwardsOnly: true, forwards: true };
      }
      case 'AWS::ECS::Service': {
        const awsvpc = isResolvedObject(props.NetworkConfiguration) ? props.NetworkConfiguration.AwsvpcConfiguration : undefined;
        if (!isResolvedObject(awsvpc)) return undefined; // bridge/host mode: tasks use the instance's interface
        const subnets = this.refsTo(awsvpc.Subnets, [SUBNET], `${key}.NetworkConfiguration.AwsvpcConfiguration.Subnets`);
        const publicIn = new Set(awsvpc.AssignPublicIp === 'ENABLED' ? subnets : []);
        return { ...base, role: 'app', subnets, groups: this.groupsOr(awsvpc.SecurityGroups, `${key}.NetworkConfiguration.AwsvpcConfiguration.SecurityGroups`), publicIn };
      }
      case 'AWS::Lambda::Function': {
        const config = props.VpcConfig;
        if (!isResolvedObject(config) || config.SubnetIds === undefined) return undefined;
        const subnets = this.refsTo(config.SubnetIds, [SUBNET], `${key}.VpcConfig.SubnetIds`);
        if (subnets.length === 0) return undefined;
        return { ...base, role: this.componentRole(resource), subnets, groups: this.groupsOr(config.SecurityGroupIds, `${key}.VpcConfig.SecurityGroupIds`), publicIn: new Set() };
      }
      case 'AWS::AutoScaling::AutoScalingGroup':
        return this.autoScalingPlacement(resource);
      case 'AWS::EC2::Instance':
        return this.instancePlacement(resource);
      case 'AWS::EC2::NetworkInterface': {
        const subnet = this.refTo(props.SubnetId, [SUBNET], `${key}.SubnetId`);
        const withAddress = this.ofType('AWS::EC2::EIPAssociation').some((association) =>
          association.properties.NetworkInterfaceId !== undefined &&
          this.refTo(association.properties.NetworkInterfaceId, ['AWS::EC2::NetworkInterface'], `${association.key}.NetworkInterfaceId`) === key);
        return {
          ...base, role: this.componentRole(resource), subnets: [subnet],
          groups: this.groupsOr(props.GroupSet, `${key}.GroupSet`), publicIn: new Set(withAddress ? [subnet] : []),
          forwards: this.boolean(props.SourceDestCheck, `${key}.SourceDestCheck`) === false,
        };
      }
      default:
        return undefined;
    }
  }

  private databasePlacement(resource: ResolvedResource, groups: ResolvedValue | undefined, groupsPath: string): Placement {
    const props = resource.properties;
    const key = resource.key;
    if (props.DBSubnetGroupName === undefined) {
      throw new NetworkModelError(`${key}.DBSubnetGroupName`, 'is missing: the database would land in the default VPC');
    }
    const subnetGroup = this.resource(this.refTo(props.DBSubnetGroupName, ['AWS::RDS::DBSubnetGroup'], `${key}.DBSubnetGroupName`), key);
    const subnets = this.refsTo(subnetGroup.properties.SubnetIds, [SUBNET], `${subnetGroup.key}.SubnetIds`);
    const isPublic = this.boolean(props.PubliclyAccessible, `${key}.PubliclyAccessible`) ?? false;
    return {
      key, component: resource.component, type: resource.type, role: 'database', subnets,
      groups: this.groupsOr(groups, groupsPath), publicIn: new Set(isPublic ? subnets : []), managed: false, forwardsOnly: false, forwards: false,
    };
  }

  private autoScalingPlacement(resource: ResolvedResource): Placement {
    const props = resource.properties;
    const key = resource.key;
    const subnets = this.refsTo(props.VPCZoneIdentifier, [SUBNET], `${key}.VPCZoneIdentifier`);
    let launch: { groups: string[]; associatePublicIp: boolean | undefined };
    if (props.LaunchConfigurationName !== undefined) {
      const config = this.resource(this.refTo(props.LaunchConfigurationName, ['AWS::AutoScaling::LaunchConfiguration'], `${key}.LaunchConfigurationName`), key);
      launch = {
        groups: this.refsTo(config.properties.SecurityGroups ?? [], [SECURITY_GROUP], `${config.key}.SecurityGroups`),
        associatePublicIp: this.boolean(config.properties.AssociatePublicIpAddress, `${config.key}.AssociatePublicIpAddress`),
      };
    } else {
      const mixed = isResolvedObject(props.MixedInstancesPolicy) && isResolvedObject(props.MixedInstancesPolicy.LaunchTemplate)
        ? props.MixedInstancesPolicy.LaunchTemplate.LaunchTemplateSpecification
        : undefined;
      const specification = props.LaunchTemplate ?? mixed;
      if (!isResolvedObject(specification)) throw new NetworkModelError(key, 'has no launch template or launch configuration');
      launch = this.launchTemplate(specification, `${key}.LaunchTemplate`);
    }
    return {
      key, component: resource.component, type: resource.type, role: this.componentRole(resource), subnets,
      groups: launch.groups.length > 0 ? launch.groups : [this.defaultGroup],
      publicIn: new Set(subnets.filter((subnet) => launch.associatePublicIp ?? this.subnet(subnet).mapPublicIp)),
      managed: false, forwardsOnly: false, forwards: false,
    };
  }

  private launchTemplate(specification: ResolvedObject, path: string): { groups: string[]; associatePublicIp: boolean | undefined } {
    let template: ResolvedResource;
    if (specification.LaunchTemplateId !== undefined) {
      template = this.resource(this.refTo(specification.LaunchTemplateId, ['AWS::EC2::LaunchTemplate'], `${path}.LaunchTemplateId`), path);
    } else {
      const name = specification.LaunchTemplateName;
      const byName = isResourceRef(name) || isResourceAttribute(name)
        ? this.resource(this.refTo(name, ['AWS::EC2::LaunchTemplate'], `${path}.LaunchTemplateName`), path)
        : this.ofType('AWS::EC2::LaunchTemplate').find((candidate) => name !== undefined && candidate.properties.LaunchTemplateName === name);
      if (byName === undefined) throw new NetworkModelError(`${path}.LaunchTemplateName`, `names no launch template of the stack (${this.describe(name)})`);
      template = byName;
    }
    const data = template.properties.LaunchTemplateData;
    if (!isResolvedObject(data)) throw new NetworkModelError(`${template.key}.LaunchTemplateData`, 'is missing');
    const base = `${template.key}.LaunchTemplateData`;
    if (data.SecurityGroups !== undefined && this.list(data.SecurityGroups, `${base}.SecurityGroups`).length > 0) {
      throw new NetworkModelError(`${base}.SecurityGroups`, 'names groups by name, which only works in a default VPC; use SecurityGroupIds');
    }
    const groups = this.refsTo(data.SecurityGroupIds ?? [], [SECURITY_GROUP], `${base}.SecurityGroupIds`);
    let associatePublicIp: boolean | undefined;
    const interfaces = this.list(data.NetworkInterfaces ?? [], `${base}.NetworkInterfaces`);
    interfaces.forEach((entry, index) => {
      if (!isResolvedObject(entry)) return;
      const where = `${base}.NetworkInterfaces[${index}]`;
      groups.push(...this.refsTo(entry.Groups ?? [], [SECURITY_GROUP], `${where}.Groups`));
      if ((this.number(entry.DeviceIndex, `${where}.DeviceIndex`) ?? 0) === 0) {
        associatePublicIp = this.boolean(entry.AssociatePublicIpAddress, `${where}.AssociatePublicIpAddress`);
      }
    });
    return { groups: [...new Set(groups)], associatePublicIp };
  }

  private instancePlacement(resource: ResolvedResource): Placement {
    const props = resource.properties;
    const key = resource.key;
    const subnets: string[] = [];
    const groups: string[] = [];
    let associatePublicIp: boolean | undefined;
    if (props.SubnetId !== undefined) subnets.push(this.refTo(props.SubnetId, [SUBNET], `${key}.SubnetId`));
    groups.push(...this.refsTo(props.SecurityGroupIds ?? [], [SECURITY_GROUP], `${key}.SecurityGroupIds`));
    if (props.SecurityGroups !== undefined && this.list(props.SecurityGroups, `${key}.SecurityGroups`).length > 0) {
      throw new NetworkModelError(`${key}.SecurityGroups`, 'names groups by name, which only works in a default VPC; use SecurityGroupIds');
    }
    this.list(props.NetworkInterfaces ?? [], `${key}.NetworkInterfaces`).forEach((entry, index) => {
      if (!isResolvedObject(entry)) return;
      const where = `${key}.NetworkInterfaces[${index}]`;
      if (entry.NetworkInterfaceId !== undefined) {
        const eni = this.resource(this.refTo(entry.NetworkInterfaceId, ['AWS::EC2::NetworkInterface'], `${where}.NetworkInterfaceId`), where);
        subnets.push(this.refTo(eni.properties.SubnetId, [SUBNET], `${eni.key}.SubnetId`));
        groups.push(...this.groupsOr(eni.properties.GroupSet, `${eni.key}.GroupSet`));
        return;
      }
      subnets.push(this.refTo(entry.SubnetId, [SUBNET], `${where}.SubnetId`));
      groups.push(...this.refsTo(entry.GroupSet ?? [], [SECURITY_GROUP], `${where}.GroupSet`));
      if ((this.number(entry.DeviceIndex, `${where}.DeviceIndex`) ?? 0) === 0) {
        associatePublicIp = this.boolean(entry.AssociatePublicIpAddress, `${where}.AssociatePublicIpAddress`);
      }
    });
    if (props.LaunchTemplate !== undefined && isResolvedObject(props.LaunchTemplate)) {
      const launch = this.launchTemplate(props.LaunchTemplate, `${key}.LaunchTemplate`);
      groups.push(...launch.groups);
      associatePublicIp ??= launch.associatePublicIp;
    }
    if (subnets.length === 0) throw new NetworkModelError(key, 'names no subnet: it would land in the default VPC');
    const elasticIp = [...this.ofType('AWS::EC2::EIP'), ...this.ofType('AWS::EC2::EIPAssociation')].some((eip) =>
      eip.properties.InstanceId !== undefined && this.refTo(eip.properties.InstanceId, ['AWS::EC2::Instance'], `${eip.key}.InstanceId`) === key);
    const [primary] = subnets;
    const publicIn = new Set(subnets.filter((subnet) =>
      elasticIp || (subnet === primary && (associatePublicIp ?? this.subnet(subnet).mapPublicIp))));
    return {
      key, component: resource.component, type: resource.type, role: this.componentRole(resource), subnets: [...new Set(subnets)],
      groups: groups.length > 0 ? [...new Set(groups)] : [this.defaultGroup], publicIn, managed: false, forwardsOnly: false,
      forwards: this.boolean(props.SourceDestCheck, `${key}.SourceDestCheck`) === false,
    };
  }

  private componentRole(resource: ResolvedResource): Role {
    const role = COMPONENT_ROLES[resource.component];
    if (role === undefined) {
      throw new NetworkModelError(resource.key, `is ${resource.type} in the ${resource.component} component, which has no network role`);
    }
    return role;
  }

  private groupsOr(value: ResolvedValue | undefined, path: string): string[] {
    const groups = value === undefined ? [] : this.refsTo(value, [SECURITY_GROUP], path);
    return groups.length > 0 ? groups : [this.defaultGroup];
  }

  // --- reading resolved values ----------------------------------------------------------------

  private expectVpc(value: ResolvedValue | undefined, path: string): void {
    const vpc = this.refTo(value, ['AWS::EC2::VPC'], path);
    if (vpc !== this.vpc) throw new NetworkModelError(path, `is ${vpc}, not the stack VPC ${this.vpc}`);
  }

  /** The key of the resource a Ref (or a GetAtt of its id) names, checking its type. */
  private refTo(value: ResolvedValue | undefined, types: readonly string[], path: string): string {
    let key: string | undefined;
    if (isResourceRef(value)) key = value.$ref;
    else if (isResourceAttribute(value) && ID_ATTRIBUTES.has(value.attribute)) key = value.$getAtt;
    if (key === undefined) {
      throw new NetworkModelError(path, `is ${this.describe(value)}, not a reference to a ${types.join(' or ')} of this stack`);
    }
    const resource = this.resource(key, path);
    if (!types.includes(resource.type)) throw new NetworkModelError(path, `names ${key}, a ${resource.type}, where a ${types.join(' or ')} belongs`);
    return key;
  }

  private refsTo(value: ResolvedValue | undefined, types: readonly string[], path: string): string[] {
    return this.list(value, path).map((item, index) => this.refTo(item, types, `${path}[${index}]`));
  }

  private list(value: ResolvedValue | undefined, path: string): ResolvedValue[] {
    if (!Array.isArray(value)) throw new NetworkModelError(path, `is ${this.describe(value)}, not a list`);
    return value;
  }

  /** A CIDR: literal, or the CidrBlock attribute of the VPC or a subnet of the stack. */
  private cidr(value: ResolvedValue | undefined, path: string): string {
    if (isResourceAttribute(value) && value.attribute === 'CidrBlock') {
      const target = this.resource(value.$getAtt, path);
      if (target.type === 'AWS::EC2::VPC' || target.type === SUBNET) return this.cidr(target.properties.CidrBlock, `${target.key}.CidrBlock`);
    }
    if (typeof value !== 'string' || !isIpv4Cidr(value)) throw new NetworkModelError(path, `is ${this.describe(value)}, not a known IPv4 CIDR block`);
    return value;
  }

  private boolean(value: ResolvedValue | undefined, path: string): boolean | undefined {
    if (value === undefined) return undefined;
    if (value === true || value === 'true') return true;
    if (value === false || value === 'false') return false;
    throw new NetworkModelError(path, `is ${this.describe(value)}, not a literal boolean`);
  }

  private number(value: ResolvedValue | undefined, path: string): number | undefined {
    if (value === undefined) return undefined;
    if (typeof value === 'number') return value;
    if (typeof value === 'string' && /^-?\d+$/.test(value)) return Number(value);
    throw new NetworkModelError(path, `is ${this.describe(value)}, not a literal number`);
  }

  describe(value: ResolvedValue | undefined): string {
    if (value === undefined) return 'missing';
    if (isResourceRef(value)) return `Ref ${value.$ref}`;
    if (isResourceAttribute(value)) return `GetAtt ${value.$getAtt}.${value.attribute}`;
    if (isDeployTimeValue(value)) return `a value known only at deploy time (${value.$deployTime})`;
    return JSON.stringify(value);
  }
}

