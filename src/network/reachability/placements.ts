import { NetworkModelError } from './errors';
import type { Placement, Role, Subnet } from './network-model-types';
import { describe, type ResolvedValues } from './resolved-values';
import { isResolvedObject, isResourceAttribute, isResourceRef, type ResolvedObject, type ResolvedResource, type ResolvedValue } from './resolve-stack';

/**
 * Placements: the resources that put network interfaces in the stack's subnets, one reader per
 * resource type, each saying the role, subnets, security groups and public addresses AWS would
 * give it. A type without a reader places nothing.
 *
 * Roles come by type where the type says what it is for, and by the declaring component for
 * general-purpose compute (auto-scaling groups, EC2 instances, network interfaces, Lambda
 * functions in the VPC), which serves several roles (read-network-model.ts says more).
 */

/** What a placement reader needs of the model being read. */
export interface PlacementContext {
  values: ResolvedValues;
  /** The VPC's default security group, which applies where a placement names none. */
  defaultGroup: string;
  subnet(key: string): Subnet;
}

type PlacementReader = (resource: ResolvedResource, context: PlacementContext) => Placement | undefined;

export const COMPONENT_ROLES: Partial<Record<string, Role>> = {
  cluster: 'app',
  nat: 'nat',
  bastion: 'bastion',
  frontend: 'frontend',
  database: 'database',
  endpoints: 'endpoints',
};

const SECURITY_GROUP = 'AWS::EC2::SecurityGroup';
const SUBNET = 'AWS::EC2::Subnet';

const base = (resource: ResolvedResource) => ({
  key: resource.key, component: resource.component, type: resource.type, managed: false, forwardsOnly: false, forwards: false,
});

const PLACEMENT_READERS: Readonly<Record<string, PlacementReader>> = {
  'AWS::ElasticLoadBalancingV2::LoadBalancer': (resource, context) => {
    const { values } = context;
    const { properties: props, key } = resource;
    const subnets = props.SubnetMappings !== undefined
      ? values.list(props.SubnetMappings, `${key}.SubnetMappings`).map((mapping, index) =>
        values.refTo(isResolvedObject(mapping) ? mapping.SubnetId : undefined, [SUBNET], `${key}.SubnetMappings[${index}].SubnetId`))
      : values.refsTo(props.Subnets, [SUBNET], `${key}.Subnets`);
    const isNetwork = props.Type === 'network' || props.Type === 'gateway';
    const groups = props.SecurityGroups !== undefined
      ? values.refsTo(props.SecurityGroups, [SECURITY_GROUP], `${key}.SecurityGroups`)
      : isNetwork ? null : [context.defaultGroup];
    const internetFacing = (props.Scheme ?? 'internet-facing') === 'internet-facing';
    return { ...base(resource), role: 'frontend', subnets, groups, publicIn: new Set(internetFacing ? subnets : []) };
  },
  'AWS::ApiGatewayV2::VpcLink': (resource, context) => {
    const { properties: props, key } = resource;
    const subnets = context.values.refsTo(props.SubnetIds, [SUBNET], `${key}.SubnetIds`);
    return { ...base(resource), role: 'frontend', subnets, groups: groupsOr(context, props.SecurityGroupIds, `${key}.SecurityGroupIds`), publicIn: new Set() };
  },
  'AWS::ApiGatewayV2::Api': (resource) => ({ ...base(resource), role: 'frontend', subnets: [], groups: null, publicIn: new Set(), managed: true }),
  'AWS::RDS::DBInstance': (resource, context) => {
    if (resource.properties.DBClusterIdentifier !== undefined) return undefined; // its cluster is the placement
    return databasePlacement(context, resource, resource.properties.VPCSecurityGroups, `${resource.key}.VPCSecurityGroups`);
  },
  'AWS::RDS::DBCluster': (resource, context) => databasePlacement(context, resource, resource.properties.VpcSecurityGroupIds, `${resource.key}.VpcSecurityGroupIds`),
  'AWS::EC2::VPCEndpoint': (resource, context) => {
    const { properties: props, key } = resource;
    if ((props.VpcEndpointType ?? 'Gateway') !== 'Interface') return undefined;
    const subnets = context.values.refsTo(props.SubnetIds, [SUBNET], `${key}.SubnetIds`);
    return { ...base(resource), role: 'endpoints', subnets, groups: groupsOr(context, props.SecurityGroupIds, `${key}.SecurityGroupIds`), publicIn: new Set() };
  },
  'AWS::EC2::NatGateway': (resource, context) => {
    const { properties: props, key } = resource;
    const subnet = context.values.refTo(props.SubnetId, [SUBNET], `${key}.SubnetId`);
    const isPublic = (props.ConnectivityType ?? 'public') === 'public';
    return { ...base(resource), role: 'nat', subnets: [subnet], groups: null, publicIn: new Set(isPublic ? [subnet] : []), forwardsOnly: true, forwards: true };
  },
  'AWS::ECS::Service': (resource, context) => {
    const { properties: props, key } = resource;
    const awsvpc = isResolvedObject(props.NetworkConfiguration) ? props.NetworkConfiguration.AwsvpcConfiguration : undefined;
    if (!isResolvedObject(awsvpc)) return undefined; // bridge/host mode: tasks use the instance's interface
    const subnets = context.values.refsTo(awsvpc.Subnets, [SUBNET], `${key}.NetworkConfiguration.AwsvpcConfiguration.Subnets`);
    const publicIn = new Set(awsvpc.AssignPublicIp === 'ENABLED' ? subnets : []);
    return { ...base(resource), role: 'app', subnets, groups: groupsOr(context, awsvpc.SecurityGroups, `${key}.NetworkConfiguration.AwsvpcConfiguration.SecurityGroups`), publicIn };
  },
  'AWS::Lambda::Function': (resource, context) => {
    const { properties: props, key } = resource;
    const config = props.VpcConfig;
    if (!isResolvedObject(config) || config.SubnetIds === undefined) return undefined;
    const subnets = context.values.refsTo(config.SubnetIds, [SUBNET], `${key}.VpcConfig.SubnetIds`);
    if (subnets.length === 0) return undefined;
    return { ...base(resource), role: componentRole(resource), subnets, groups: groupsOr(context, config.SecurityGroupIds, `${key}.VpcConfig.SecurityGroupIds`), publicIn: new Set() };
  },
  'AWS::AutoScaling::AutoScalingGroup': (resource, context) => autoScalingPlacement(context, resource),
  'AWS::EC2::Instance': (resource, context) => instancePlacement(context, resource),
  'AWS::EC2::NetworkInterface': (resource, context) => {
    const { values } = context;
    const { properties: props, key } = resource;
    const subnet = values.refTo(props.SubnetId, [SUBNET], `${key}.SubnetId`);
    const withAddress = values.ofType('AWS::EC2::EIPAssociation').some((association) =>
      association.properties.NetworkInterfaceId !== undefined &&
      values.refTo(association.properties.NetworkInterfaceId, ['AWS::EC2::NetworkInterface'], `${association.key}.NetworkInterfaceId`) === key);
    return {
      ...base(resource), role: componentRole(resource), subnets: [subnet],
      groups: groupsOr(context, props.GroupSet, `${key}.GroupSet`), publicIn: new Set(withAddress ? [subnet] : []),
      forwards: values.boolean(props.SourceDestCheck, `${key}.SourceDestCheck`) === false,
    };
  },
};

/** Where the resource puts network interfaces, if it does. */
export function placementOf(resource: ResolvedResource, context: PlacementContext): Placement | undefined {
  return PLACEMENT_READERS[resource.type]?.(resource, context);
}

function databasePlacement(context: PlacementContext, resource: ResolvedResource, groups: ResolvedValue | undefined, groupsPath: string): Placement {
  const { values } = context;
  const props = resource.properties;
  const key = resource.key;
  if (props.DBSubnetGroupName === undefined) {
    throw new NetworkModelError(`${key}.DBSubnetGroupName`, 'is missing: the database would land in the default VPC');
  }
  const subnetGroup = values.resource(values.refTo(props.DBSubnetGroupName, ['AWS::RDS::DBSubnetGroup'], `${key}.DBSubnetGroupName`), key);
  const subnets = values.refsTo(subnetGroup.properties.SubnetIds, [SUBNET], `${subnetGroup.key}.SubnetIds`);
  const isPublic = values.boolean(props.PubliclyAccessible, `${key}.PubliclyAccessible`) ?? false;
  return {
    key, component: resource.component, type: resource.type, role: 'database', subnets,
    groups: groupsOr(context, groups, groupsPath), publicIn: new Set(isPublic ? subnets : []), managed: false, forwardsOnly: false, forwards: false,
  };
}

function autoScalingPlacement(context: PlacementContext, resource: ResolvedResource): Placement {
  const { values } = context;
  const props = resource.properties;
  const key = resource.key;
  const subnets = values.refsTo(props.VPCZoneIdentifier, [SUBNET], `${key}.VPCZoneIdentifier`);
  let launch: { groups: string[]; associatePublicIp: boolean | undefined };
  if (props.LaunchConfigurationName !== undefined) {
    const config = values.resource(values.refTo(props.LaunchConfigurationName, ['AWS::AutoScaling::LaunchConfiguration'], `${key}.LaunchConfigurationName`), key);
    launch = {
      groups: values.refsTo(config.properties.SecurityGroups ?? [], [SECURITY_GROUP], `${config.key}.SecurityGroups`),
      associatePublicIp: values.boolean(config.properties.AssociatePublicIpAddress, `${config.key}.AssociatePublicIpAddress`),
    };
  } else {
    const mixed = isResolvedObject(props.MixedInstancesPolicy) && isResolvedObject(props.MixedInstancesPolicy.LaunchTemplate)
      ? props.MixedInstancesPolicy.LaunchTemplate.LaunchTemplateSpecification
      : undefined;
    const specification = props.LaunchTemplate ?? mixed;
    if (!isResolvedObject(specification)) throw new NetworkModelError(key, 'has no launch template or launch configuration');
    launch = launchTemplate(context, specification, `${key}.LaunchTemplate`);
  }
  return {
    key, component: resource.component, type: resource.type, role: componentRole(resource), subnets,
    groups: launch.groups.length > 0 ? launch.groups : [context.defaultGroup],
    publicIn: new Set(subnets.filter((subnet) => launch.associatePublicIp ?? context.subnet(subnet).mapPublicIp)),
    managed: false, forwardsOnly: false, forwards: false,
  };
}

function launchTemplate(context: PlacementContext, specification: ResolvedObject, path: string): { groups: string[]; associatePublicIp: boolean | undefined } {
  const { values } = context;
  let template: ResolvedResource;
  if (specification.LaunchTemplateId !== undefined) {
    template = values.resource(values.refTo(specification.LaunchTemplateId, ['AWS::EC2::LaunchTemplate'], `${path}.LaunchTemplateId`), path);
  } else {
    const name = specification.LaunchTemplateName;
    const byName = isResourceRef(name) || isResourceAttribute(name)
      ? values.resource(values.refTo(name, ['AWS::EC2::LaunchTemplate'], `${path}.LaunchTemplateName`), path)
      : values.ofType('AWS::EC2::LaunchTemplate').find((candidate) => name !== undefined && candidate.properties.LaunchTemplateName === name);
    if (byName === undefined) throw new NetworkModelError(`${path}.LaunchTemplateName`, `names no launch template of the stack (${describe(name)})`);
    template = byName;
  }
  const data = template.properties.LaunchTemplateData;
  if (!isResolvedObject(data)) throw new NetworkModelError(`${template.key}.LaunchTemplateData`, 'is missing');
  const base = `${template.key}.LaunchTemplateData`;
  if (data.SecurityGroups !== undefined && values.list(data.SecurityGroups, `${base}.SecurityGroups`).length > 0) {
    throw new NetworkModelError(`${base}.SecurityGroups`, 'names groups by name, which only works in a default VPC; use SecurityGroupIds');
  }
  const groups = values.refsTo(data.SecurityGroupIds ?? [], [SECURITY_GROUP], `${base}.SecurityGroupIds`);
  let associatePublicIp: boolean | undefined;
  const interfaces = values.list(data.NetworkInterfaces ?? [], `${base}.NetworkInterfaces`);
  interfaces.forEach((entry, index) => {
    if (!isResolvedObject(entry)) return;
    const where = `${base}.NetworkInterfaces[${index}]`;
    groups.push(...values.refsTo(entry.Groups ?? [], [SECURITY_GROUP], `${where}.Groups`));
    if ((values.number(entry.DeviceIndex, `${where}.DeviceIndex`) ?? 0) === 0) {
      associatePublicIp = values.boolean(entry.AssociatePublicIpAddress, `${where}.AssociatePublicIpAddress`);
    }
  });
  return { groups: [...new Set(groups)], associatePublicIp };
}

function instancePlacement(context: PlacementContext, resource: ResolvedResource): Placement {
  const { values } = context;
  const props = resource.properties;
  const key = resource.key;
  const subnets: string[] = [];
  const groups: string[] = [];
  let associatePublicIp: boolean | undefined;
  if (props.SubnetId !== undefined) subnets.push(values.refTo(props.SubnetId, [SUBNET], `${key}.SubnetId`));
  groups.push(...values.refsTo(props.SecurityGroupIds ?? [], [SECURITY_GROUP], `${key}.SecurityGroupIds`));
  if (props.SecurityGroups !== undefined && values.list(props.SecurityGroups, `${key}.SecurityGroups`).length > 0) {
    throw new NetworkModelError(`${key}.SecurityGroups`, 'names groups by name, which only works in a default VPC; use SecurityGroupIds');
  }
  values.list(props.NetworkInterfaces ?? [], `${key}.NetworkInterfaces`).forEach((entry, index) => {
    if (!isResolvedObject(entry)) return;
    const where = `${key}.NetworkInterfaces[${index}]`;
    if (entry.NetworkInterfaceId !== undefined) {
      const eni = values.resource(values.refTo(entry.NetworkInterfaceId, ['AWS::EC2::NetworkInterface'], `${where}.NetworkInterfaceId`), where);
      subnets.push(values.refTo(eni.properties.SubnetId, [SUBNET], `${eni.key}.SubnetId`));
      groups.push(...groupsOr(context, eni.properties.GroupSet, `${eni.key}.GroupSet`));
      return;
    }
    subnets.push(values.refTo(entry.SubnetId, [SUBNET], `${where}.SubnetId`));
    groups.push(...values.refsTo(entry.GroupSet ?? [], [SECURITY_GROUP], `${where}.GroupSet`));
    if ((values.number(entry.DeviceIndex, `${where}.DeviceIndex`) ?? 0) === 0) {
      associatePublicIp = values.boolean(entry.AssociatePublicIpAddress, `${where}.AssociatePublicIpAddress`);
    }
  });
  if (props.LaunchTemplate !== undefined && isResolvedObject(props.LaunchTemplate)) {
    const launch = launchTemplate(context, props.LaunchTemplate, `${key}.LaunchTemplate`);
    groups.push(...launch.groups);
    associatePublicIp ??= launch.associatePublicIp;
  }
  if (subnets.length === 0) throw new NetworkModelError(key, 'names no subnet: it would land in the default VPC');
  const elasticIp = [...values.ofType('AWS::EC2::EIP'), ...values.ofType('AWS::EC2::EIPAssociation')].some((eip) =>
    eip.properties.InstanceId !== undefined && values.refTo(eip.properties.InstanceId, ['AWS::EC2::Instance'], `${eip.key}.InstanceId`) === key);
  const [primary] = subnets;
  const publicIn = new Set(subnets.filter((subnet) =>
    elasticIp || (subnet === primary && (associatePublicIp ?? context.subnet(subnet).mapPublicIp))));
  return {
    key, component: resource.component, type: resource.type, role: componentRole(resource), subnets: [...new Set(subnets)],
    groups: groups.length > 0 ? [...new Set(groups)] : [context.defaultGroup], publicIn, managed: false, forwardsOnly: false,
    forwards: values.boolean(props.SourceDestCheck, `${key}.SourceDestCheck`) === false,
  };
}

function componentRole(resource: ResolvedResource): Role {
  const role = COMPONENT_ROLES[resource.component];
  if (role === undefined) {
    throw new NetworkModelError(resource.key, `is ${resource.type} in the ${resource.component} component, which has no network role`);
  }
  return role;
}

function groupsOr(context: PlacementContext, value: ResolvedValue | undefined, path: string): string[] {
  const { values } = context;
  const groups = value === undefined ? [] : values.refsTo(value, [SECURITY_GROUP], path);
  return groups.length > 0 ? groups : [context.defaultGroup];
}
