import type { CfnResource, CfnValue } from '../cfn/template-types';
import type { ComponentName } from '../model/components';

/**
 * Every resource that can carry tags carries who it belongs to: the tenant, the Groundwork stack and
 * the component. Customers find, cost-allocate and clean up by them, and IAM conditions (the NAT
 * instance's) rely on them.
 */
export interface TagContext {
  tenantId: string;
  stackId: string;
  /** The component, or `svc-<name>` for a service's stack (serviceTagComponent). */
  component: ComponentName | `svc-${string}`;
}

export const TAG_KEYS = {
  tenant: 'groundwork:tenant',
  stack: 'groundwork:stack',
  component: 'groundwork:component',
} as const;

/** A type, not an interface, so that it is assignable to CfnValue. */
export type Tag = { Key: string; Value: string };

export function groundworkTags(context: TagContext): Tag[] {
  return [
    { Key: TAG_KEYS.tenant, Value: context.tenantId },
    { Key: TAG_KEYS.stack, Value: context.stackId },
    { Key: TAG_KEYS.component, Value: context.component },
  ];
}

export const nameTag = (name: string): Tag => ({ Key: 'Name', Value: name });

/**
 * How each resource type we use takes tags, read off the CloudFormation specification: a list of
 * {Key, Value}, a string map (API Gateway v2), the auto-scaling group's list with PropagateAtLaunch,
 * or no `Tags` property at all. A type missing here is a programming error, so that adding a
 * resource type forces the question; the template tests check this table against the specification.
 */
type TagStyle = 'list' | 'map' | 'asg' | 'launch-template' | 'none';
const TAG_STYLE: Record<string, TagStyle> = {
  'AWS::EC2::VPC': 'list',
  'AWS::EC2::InternetGateway': 'list',
  'AWS::EC2::VPCGatewayAttachment': 'none',
  'AWS::EC2::Subnet': 'list',
  'AWS::EC2::RouteTable': 'list',
  'AWS::EC2::Route': 'none',
  'AWS::EC2::SubnetRouteTableAssociation': 'none',
  'AWS::EC2::VPCEndpoint': 'list',
  'AWS::EC2::NetworkInterface': 'list',
  // The template itself, in its top-level TagSpecifications (ResourceType launch-template): the
  // execution role may create a launch template only with the stack tag in the request.
  'AWS::EC2::LaunchTemplate': 'launch-template',
  'AWS::EC2::EIP': 'list',
  'AWS::EC2::NatGateway': 'list',
  'AWS::EC2::SecurityGroup': 'list',
  'AWS::EC2::SecurityGroupIngress': 'none',
  'AWS::EC2::SecurityGroupEgress': 'none',
  'AWS::EC2::Instance': 'list',
  'AWS::AutoScaling::AutoScalingGroup': 'asg',
  'AWS::IAM::Role': 'list',
  'AWS::IAM::InstanceProfile': 'none',
  'AWS::IAM::Policy': 'none',
  'AWS::SecretsManager::Secret': 'list',
  'AWS::SecretsManager::SecretTargetAttachment': 'none',
  'AWS::RDS::DBSubnetGroup': 'list',
  'AWS::RDS::DBInstance': 'list',
  'AWS::ECS::Cluster': 'list',
  'AWS::ECS::CapacityProvider': 'list',
  'AWS::ECS::ClusterCapacityProviderAssociations': 'none',
  'AWS::ECS::TaskDefinition': 'list',
  'AWS::ECS::Service': 'list',
  'AWS::ElasticLoadBalancingV2::ListenerRule': 'list',
  // Tagged so that RegisterScalableTarget is allowed by the request's tag (a new target has none of
  // its own). The vendored resource schema (src/cfn/data/) still marks the type not taggable; the
  // specification lists its Tags property.
  'AWS::ApplicationAutoScaling::ScalableTarget': 'list',
  'AWS::ApplicationAutoScaling::ScalingPolicy': 'none',
  'AWS::ElasticLoadBalancingV2::LoadBalancer': 'list',
  'AWS::ElasticLoadBalancingV2::TargetGroup': 'list',
  'AWS::ElasticLoadBalancingV2::Listener': 'list',
  'AWS::ApiGatewayV2::Api': 'map',
  'AWS::ApiGatewayV2::VpcLink': 'map',
  'AWS::ApiGatewayV2::Integration': 'none',
  'AWS::ApiGatewayV2::Route': 'none',
  'AWS::ApiGatewayV2::Stage': 'map',
  'AWS::ServiceDiscovery::PrivateDnsNamespace': 'list',
  'AWS::ServiceDiscovery::Service': 'list',
  'AWS::Logs::LogGroup': 'list',
  'AWS::CloudFormation::WaitConditionHandle': 'none',
};

/**
 * The resource with the Groundwork tags added in the shape its type takes; tags the builder already
 * set (a Name) are kept, and a Groundwork key is never duplicated.
 */
export function withGroundworkTags(resource: CfnResource, context: TagContext): CfnResource {
  const style = TAG_STYLE[resource.Type];
  if (style === undefined) throw new Error(`no tag style recorded for ${resource.Type}; add it to TAG_STYLE`);
  if (style === 'none') return resource;
  const ours = groundworkTags(context);
  const ourKeys = new Set(ours.map((tag) => tag.Key));
  const properties = resource.Properties ?? {};
  if (style === 'launch-template') {
    const given = Array.isArray(properties['TagSpecifications']) ? properties['TagSpecifications'] : [];
    return { ...resource, Properties: { ...properties, TagSpecifications: [...given, { ResourceType: 'launch-template', Tags: ours.map((tag) => ({ ...tag })) }] } };
  }
  const existing = properties['Tags'];

  let tags: CfnValue;
  if (style === 'map') {
    const given = isStringMap(existing) ? existing : {};
    tags = { ...given, ...Object.fromEntries(ours.map((tag) => [tag.Key, tag.Value])) };
  } else {
    const given = (Array.isArray(existing) ? existing : []).filter(
      (tag) => !(isStringMap(tag) && typeof tag['Key'] === 'string' && ourKeys.has(tag['Key'])),
    );
    const all: CfnValue[] = [...ours, ...given];
    // An auto-scaling group copies its tags onto the instances it launches only when asked to.
    tags = style === 'asg' ? all.map((tag) => (isStringMap(tag) ? { PropagateAtLaunch: true, ...tag } : tag)) : all;
  }
  return { ...resource, Properties: { ...properties, Tags: tags } };
}

/** Tags for a launch template's TagSpecifications (instances, volumes, interfaces it launches). */
export function tagSpecifications(context: TagContext, resourceTypes: string[], name?: string): CfnValue[] {
  const tags = [...groundworkTags(context), ...(name === undefined ? [] : [nameTag(name)])];
  return resourceTypes.map((resourceType) => ({ ResourceType: resourceType, Tags: tags.map((tag) => ({ ...tag })) }));
}

function isStringMap(value: CfnValue | undefined): value is { [key: string]: CfnValue } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
