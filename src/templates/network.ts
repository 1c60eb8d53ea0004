import type { CfnValue } from '../cfn/template-types';
import type { PlannedSubnet, SubnetTier } from '../model/network-plan';
import type { ComponentTemplate, StackTemplateInput } from './component-template';
import { getAtt, join, ref, sub } from './intrinsics';
import { nameTag } from './tags';
import { TemplateBuilder } from './template-builder';

/**
 * The network component: the VPC and its three tiers in every AZ of the plan.
 * - public: routes 0.0.0.0/0 to the internet gateway (ALB, VPC Link, NAT, bastion live here);
 * - private: one route table per AZ with no default route; the nat component adds 0.0.0.0/0 to it,
 *   and without a NAT the app subnets simply have no way off the VPC;
 * - isolated: one route table that never gets a route off the VPC (the database).
 * The S3 gateway endpoint is free and lets private and isolated subnets reach S3 (ECR image layers)
 * without a NAT.
 */
export const NetworkOutputs = {
  VpcId: 'VpcId',
  VpcCidr: 'VpcCidr',
  PublicSubnetIds: 'PublicSubnetIds',
  PrivateSubnetIds: 'PrivateSubnetIds',
  IsolatedSubnetIds: 'IsolatedSubnetIds',
  publicSubnetId: (azIndex: number) => `PublicSubnet${azIndex}Id`,
  privateRouteTableId: (azIndex: number) => `PrivateRouteTable${azIndex}Id`,
} as const;

const TIER_LOGICAL_PREFIX: Record<SubnetTier, string> = { public: 'Public', private: 'Private', isolated: 'Isolated' };

/** Logical id of a subnet in the network template: PublicSubnet0, PrivateSubnet1, IsolatedSubnet2. */
export const subnetLogicalId = (tier: SubnetTier, azIndex: number): string => `${TIER_LOGICAL_PREFIX[tier]}Subnet${azIndex}`;

const privateRouteTableLogicalId = (azIndex: number): string => `PrivateRouteTable${azIndex}`;

export function buildNetworkTemplate(input: StackTemplateInput): ComponentTemplate {
  const b = new TemplateBuilder('network', input, 'VPC, subnets in three tiers, route tables, S3 gateway endpoint');
  const plan = input.network;
  const azIndexes = Array.from({ length: plan.azCount }, (_, index) => index);
  const subnetsOf = (tier: SubnetTier): PlannedSubnet[] => azIndexes.map((az) => plannedSubnet(plan.subnets, tier, az));

  const vpc = b.resource('Vpc', {
    Type: 'AWS::EC2::VPC',
    Properties: {
      CidrBlock: plan.vpcCidr,
      // Both are needed for interface endpoints' private DNS names and Cloud Map.
      EnableDnsSupport: true,
      EnableDnsHostnames: true,
      Tags: [nameTag(b.stackName)],
    },
  });
  const internetGateway = b.resource('InternetGateway', { Type: 'AWS::EC2::InternetGateway', Properties: { Tags: [nameTag(b.stackName)] } });
  b.resource('InternetGatewayAttachment', {
    Type: 'AWS::EC2::VPCGatewayAttachment',
    Properties: { VpcId: vpc, InternetGatewayId: internetGateway },
  });

  const addSubnet = (tier: SubnetTier, planned: PlannedSubnet): CfnValue =>
    b.resource(subnetLogicalId(tier, planned.azIndex), {
      Type: 'AWS::EC2::Subnet',
      Properties: {
        VpcId: vpc,
        CidrBlock: planned.cidr,
        AvailabilityZone: b.fromZone(planned.azIndex),
        // No subnet hands out public addresses on its own (an instance the customer launches here
        // later would get a billed one unasked): the NAT instance and the bastion ask for theirs.
        MapPublicIpOnLaunch: false,
        Tags: [nameTag(`${b.stackName}-${tier}-${planned.azIndex}`), { Key: 'groundwork:tier', Value: tier }],
      },
    });
  const routeTable = (logicalId: string, name: string): CfnValue =>
    b.resource(logicalId, { Type: 'AWS::EC2::RouteTable', Properties: { VpcId: vpc, Tags: [nameTag(name)] } });
  const associate = (subnetId: string, routeTableId: CfnValue): void => {
    b.resource(`${subnetId}RouteTableAssociation`, {
      Type: 'AWS::EC2::SubnetRouteTableAssociation',
      Properties: { SubnetId: { Ref: subnetId }, RouteTableId: routeTableId },
    });
  };

  // Public tier: one route table, default route to the internet gateway.
  const publicRouteTable = routeTable('PublicRouteTable', `${b.stackName}-public`);
  b.resource('PublicDefaultRoute', {
    Type: 'AWS::EC2::Route',
    // The route is refused until the gateway is attached to the VPC.
    DependsOn: 'InternetGatewayAttachment',
    Properties: { RouteTableId: publicRouteTable, DestinationCidrBlock: '0.0.0.0/0', GatewayId: internetGateway },
  });
  const publicSubnets = subnetsOf('public').map((planned) => {
    const subnet = addSubnet('public', planned);
    associate(subnetLogicalId('public', planned.azIndex), publicRouteTable);
    return subnet;
  });

  // Private tier: a route table per AZ, so each AZ can get its own NAT; no default route here.
  const privateSubnets = subnetsOf('private').map((planned) => {
    const subnet = addSubnet('private', planned);
    const table = routeTable(privateRouteTableLogicalId(planned.azIndex), `${b.stackName}-private-${planned.azIndex}`);
    associate(subnetLogicalId('private', planned.azIndex), table);
    return subnet;
  });
  const privateRouteTables = azIndexes.map((az) => ref(privateRouteTableLogicalId(az)));

  // Isolated tier: one route table with only the VPC's local route (and S3 through the gateway endpoint).
  const isolatedRouteTable = routeTable('IsolatedRouteTable', `${b.stackName}-isolated`);
  const isolatedSubnets = subnetsOf('isolated').map((planned) => {
    const subnet = addSubnet('isolated', planned);
    associate(subnetLogicalId('isolated', planned.azIndex), isolatedRouteTable);
    return subnet;
  });

  b.resource('S3GatewayEndpoint', {
    Type: 'AWS::EC2::VPCEndpoint',
    Properties: {
      VpcId: vpc,
      VpcEndpointType: 'Gateway',
      ServiceName: sub('com.amazonaws.${AWS::Region}.s3'),
      RouteTableIds: [...privateRouteTables, isolatedRouteTable],
      Tags: [nameTag(`${b.stackName}-s3`)],
    },
  });

  b.output(NetworkOutputs.VpcId, vpc, 'VPC id');
  b.output(NetworkOutputs.VpcCidr, getAtt('Vpc', 'CidrBlock'), 'VPC IPv4 block');
  b.output(NetworkOutputs.PublicSubnetIds, join(',', publicSubnets), 'Public subnet ids, AZ order');
  b.output(NetworkOutputs.PrivateSubnetIds, join(',', privateSubnets), 'Private subnet ids, AZ order');
  b.output(NetworkOutputs.IsolatedSubnetIds, join(',', isolatedSubnets), 'Isolated subnet ids, AZ order');
  azIndexes.forEach((az) => {
    b.output(NetworkOutputs.publicSubnetId(az), ref(subnetLogicalId('public', az)), `Public subnet of AZ ${az}`);
    b.output(NetworkOutputs.privateRouteTableId(az), ref(privateRouteTableLogicalId(az)), `Route table of the private subnet of AZ ${az}`);
  });
  return b.build();
}

/** The plan's subnet of one tier in one AZ; a plan without it is a bug upstream, not a user error. */
function plannedSubnet(subnets: PlannedSubnet[], tier: SubnetTier, azIndex: number): PlannedSubnet {
  const matches = subnets.filter((subnet) => subnet.tier === tier && subnet.azIndex === azIndex);
  if (matches.length !== 1) throw new Error(`the network plan has ${matches.length} ${tier} subnets in AZ ${azIndex}; expected exactly one`);
  return matches[0] as PlannedSubnet;
}
