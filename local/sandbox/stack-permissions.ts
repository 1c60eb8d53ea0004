import { accessDenial, handlerAccessDenied } from '../iam/access-denied';
import type { PrincipalPolicies } from '../iam/evaluate-policies';
import { handlerRequests, PARENT_REFERENCES, referenceArn, requestTagContext, valuesAt, type HandlerOperation, type ParentResource } from '../iam/handler-requests';
import type { AccountRegistry } from './account-registry';
import type { Caller } from './caller-identity';
import { AwsApiError } from './errors';
import type { ResourceRecord, StackRecord } from './sandbox-state';

/**
 * IAM as CloudFormation meets it in the sandbox accounts. CloudFormation acts on a stack's resources
 * with the stack's role (RoleARN), or else with the credentials of whoever created the stack: each
 * handler call is evaluated against that role's policies and boundary as the account holds them.
 * The caller's own CloudFormation calls (CreateStack, DeleteStack, and the iam:PassRole of the
 * RoleARN) are evaluated the same way. An account's own access keys act as its root, which IAM
 * policies do not restrict; so does a role the sandbox does not know (made outside it).
 */

const CLOUDFORMATION_SESSION = 'AWSCloudFormation';

interface Actor {
  principal: string;
  policies: PrincipalPolicies;
}

export class StackPermissions {
  constructor(
    private readonly accounts: AccountRegistry,
    private readonly requestId: () => string,
    /** Ids a resource is named by besides its physical id (see AccountRegistry.liveResource). */
    private readonly otherIds: (stack: StackRecord, resource: ResourceRecord) => readonly string[] = () => [],
  ) {}

  /** Why the handler may not create or delete this resource, in CloudFormation's words; undefined if it may. */
  handlerDenial(stack: StackRecord, resource: ResourceRecord, physicalId: string, operation: HandlerOperation): string | undefined {
    const actor = this.stackActor(stack);
    if (!actor) return undefined;
    const properties = resource.properties ?? {};
    const boundary = properties['PermissionsBoundary'];
    const requests = handlerRequests(
      {
        type: resource.type,
        properties,
        physicalId,
        region: stack.region,
        account: stack.account,
        tags: resourceTags(stack, resource),
        ...(resource.type === 'AWS::IAM::Role' && typeof boundary === 'string' ? { serviceContext: { 'iam:PermissionsBoundary': boundary } } : {}),
        ...(resource.type === 'AWS::ECS::Service' ? { serviceContext: { 'ecs:cluster': ecsClusterArn(properties['Cluster'], stack.region, stack.account) } } : {}),
        parents: this.parentsOf(stack, resource.type, properties),
      },
      operation,
      actor.principal,
    );
    for (const request of requests) {
      const denial = accessDenial(actor.policies, request);
      if (denial !== undefined) return handlerAccessDenied(denial, request.action, this.requestId());
    }
    return undefined;
  }

  /**
   * The other resources the properties name, each with its ARN and its tags as the account holds
   * them: a resource no sandbox stack made is the customer's own, and carries no Groundwork tag.
   */
  private parentsOf(stack: StackRecord, type: string, properties: Record<string, unknown>): ParentResource[] {
    const parents: ParentResource[] = [];
    const add = (service: string, parentType: string, id: string, extra: Pick<ParentResource, 'context' | 'actions'> = {}) => {
      const arn = referenceArn(service, parentType, id, stack.region, stack.account);
      if (arn === undefined) return;
      // Only an Elastic IP is named by another id (its allocation id), which takes a template evaluation to know.
      const found = this.accounts.liveResource(stack.account, stack.region, id, parentType === 'elastic-ip' ? this.otherIds : undefined);
      parents.push({ service, type: parentType, arn, tags: found ? resourceTags(found.stack, found.resource) : {}, ...extra });
    };
    for (const reference of PARENT_REFERENCES[type] ?? []) {
      for (const id of valuesAt(properties, reference.path)) {
        add(reference.service, reference.type, id, reference.type === 'image' ? { context: { 'ec2:Owner': this.imageOwner(stack, id) } } : {});
      }
    }
    // A database that names no parameter or option group gets the engine's defaults, which RDS
    // authorizes too (RDS User Guide, "Allow a user to create DB instances in an AWS account").
    if (type === 'AWS::RDS::DBInstance') {
      const engine = String(properties['Engine'] ?? '');
      const major = String(properties['EngineVersion'] ?? '').split('.')[0] ?? '';
      if (properties['DBParameterGroupName'] === undefined) add('rds', 'pg', `default.${engine}${major}`, { actions: ['rds:CreateDBInstance'] });
      if (properties['OptionGroupName'] === undefined) add('rds', 'og', `default:${engine}-${major}`, { actions: ['rds:CreateDBInstance'] });
    }
    return parents;
  }

  /**
   * Who owns an AMI the stack names: Amazon for one read from AWS's public parameters
   * (/aws/service/…, resolved by CloudFormation from an SSM parameter type), else the account.
   */
  private imageOwner(stack: StackRecord, imageId: string): string {
    const fromPublicParameter = Object.entries(stack.resolvedParameters).some(([key, value]) => value.split(',').includes(imageId) && (stack.parameters[key] ?? '').startsWith('/aws/service/'));
    return fromPublicParameter ? 'amazon' : stack.account;
  }

  /**
   * CreateStack by the caller: the stack (with its RoleARN and resource types), and passing that
   * role. Every request carries the region it was sent to as aws:RequestedRegion (IAM User Guide,
   * "AWS global condition context keys"), which the access role's policy confines (decision 0013).
   */
  checkCreateStack(caller: Caller, region: string, stackId: string, roleArn: string | undefined, resourceTypes: readonly string[], tags: Record<string, string>): void {
    const actor = this.callerActor(caller);
    if (!actor) return;
    const context: Record<string, string | string[]> = { 'aws:RequestedRegion': region, 'cloudformation:ResourceTypes': [...new Set(resourceTypes)], ...requestTagContext(tags) };
    if (roleArn !== undefined) context['cloudformation:RoleArn'] = roleArn;
    this.require(actor, { action: 'cloudformation:CreateStack', resource: stackId, account: caller.account, context });
    if (roleArn !== undefined) this.requirePassRole(actor, caller, region, roleArn);
  }

  /**
   * The Parameter Store reads CloudFormation makes to resolve SSM parameter types, as the caller
   * (AWS's CDK bootstrap template grants its deploy role, the caller, ssm:GetParameters on the
   * parameter its templates' SSM-typed parameter names; the execution role is not asked).
   * AWS's public parameters have no account in their ARN.
   */
  checkParameterReads(caller: Caller, region: string, names: readonly string[]): void {
    const actor = this.callerActor(caller);
    if (!actor || names.length === 0) return;
    for (const name of names) {
      const account = name.startsWith('/aws/service/') ? '' : caller.account;
      this.require(actor, { action: 'ssm:GetParameters', resource: `arn:aws:ssm:${region}:${account}:parameter${name}`, account: caller.account, context: { 'aws:RequestedRegion': region } });
    }
  }

  checkDeleteStack(caller: Caller, region: string, stack: StackRecord, roleArn: string | undefined): void {
    const actor = this.callerActor(caller);
    if (!actor) return;
    // The stack's own tags are its aws:ResourceTag (the stack resource type takes the key).
    const context: Record<string, string | string[]> = { 'aws:RequestedRegion': region, ...Object.fromEntries(stack.tags.map(({ Key, Value }) => [`aws:ResourceTag/${Key}`, Value])) };
    if (roleArn !== undefined) context['cloudformation:RoleArn'] = roleArn;
    this.require(actor, { action: 'cloudformation:DeleteStack', resource: stack.stackId, account: caller.account, context });
    if (roleArn !== undefined) this.requirePassRole(actor, caller, region, roleArn);
  }

  /**
   * UpdateStack by the caller: the stack (its tags as aws:ResourceTag, the resource types of the new
   * template, the RoleARN given) and passing that role, as CreateStack's (IAM Service Authorization
   * Reference, AWS CloudFormation: UpdateStack takes cloudformation:ResourceTypes, RoleArn and the tag keys).
   * A change set's CreateChangeSet is evaluated the same way, as its own action with its ChangeSetName.
   */
  checkUpdateStack(caller: Caller, region: string, stack: StackRecord, roleArn: string | undefined, resourceTypes: readonly string[], as: { action: string; context?: Record<string, string> } = { action: 'cloudformation:UpdateStack' }): void {
    const actor = this.callerActor(caller);
    if (!actor) return;
    const context: Record<string, string | string[]> = {
      'aws:RequestedRegion': region,
      'cloudformation:ResourceTypes': [...new Set(resourceTypes)],
      ...Object.fromEntries(stack.tags.map(({ Key, Value }) => [`aws:ResourceTag/${Key}`, Value])),
      ...as.context,
    };
    if (roleArn !== undefined) context['cloudformation:RoleArn'] = roleArn;
    this.require(actor, { action: as.action, resource: stack.stackId, account: caller.account, context });
    if (roleArn !== undefined) this.requirePassRole(actor, caller, region, roleArn);
  }

  /** The iam:PassRole of a stack's RoleARN, within the caller's CloudFormation request. */
  private requirePassRole(actor: Actor, caller: Caller, region: string, roleArn: string): void {
    this.require(actor, { action: 'iam:PassRole', resource: roleArn, account: caller.account, context: { 'aws:RequestedRegion': region, 'iam:PassedToService': 'cloudformation.amazonaws.com' } });
  }

  /**
   * A role session's own call of an action AWS cannot scope to a resource (EC2 and RDS reads: the IAM
   * authorization reference lists no resource type for them), evaluated on `*`. Why IAM refuses it,
   * in IAM's words, or undefined when it allows it.
   */
  callDenial(caller: Caller, action: string, context: Record<string, string>, resource = '*'): string | undefined {
    const actor = this.callerActor(caller);
    if (!actor) return undefined;
    return accessDenial(actor.policies, { principal: actor.principal, action, resource, account: caller.account, context });
  }

  /**
   * A call a service makes as the stack's role on CloudFormation's behalf, besides the handler's own
   * (API Gateway setting up log delivery): why IAM refuses it, or undefined when it allows it.
   */
  stackCallDenial(stack: StackRecord, action: string, resource = '*'): string | undefined {
    const actor = this.stackActor(stack);
    if (!actor) return undefined;
    return accessDenial(actor.policies, { principal: actor.principal, action, resource, account: stack.account, context: { 'aws:RequestedRegion': stack.region } });
  }

  /**
   * The calls a final snapshot takes, as the stack's role: the snapshot action on the database and on
   * the new snapshot (IAM Service Authorization Reference, Amazon RDS: CreateDBSnapshot requires both
   * the db and the snapshot resource types; CreateDBClusterSnapshot the cluster and cluster-snapshot),
   * and rds:AddTagsToResource on the snapshot when the database's tags are copied to it (a delete with
   * a final snapshot refused "is not authorized to perform: rds:AddTagsToResource on resource:
   * arn:aws:rds:…:cluster-snapshot:…", YaleSpinup/rds-api v0.19.2 release notes, 2025-09-04). Why IAM
   * refuses one, as CloudFormation reports it, or undefined when it allows them.
   */
  finalSnapshotDenial(stack: StackRecord, request: { action: string; database: string; databaseTags: Record<string, string>; snapshot: string; copiedTags: Record<string, string> | undefined }): string | undefined {
    const actor = this.stackActor(stack);
    if (!actor) return undefined;
    const base = { principal: actor.principal, account: stack.account };
    const requests = [
      { ...base, action: request.action, resource: request.database, context: Object.fromEntries(Object.entries(request.databaseTags).map(([key, value]) => [`aws:ResourceTag/${key}`, value])) },
      { ...base, action: request.action, resource: request.snapshot, context: request.copiedTags === undefined ? {} : requestTagContext(request.copiedTags) },
      ...(request.copiedTags === undefined ? [] : [{ ...base, action: 'rds:AddTagsToResource', resource: request.snapshot, context: requestTagContext(request.copiedTags) }]),
    ];
    for (const iamRequest of requests) {
      const denial = accessDenial(actor.policies, iamRequest);
      if (denial !== undefined) return handlerAccessDenied(denial, iamRequest.action, this.requestId());
    }
    return undefined;
  }

  /** A call of the caller's on the stack that names nothing else (SignalResource, SetStackPolicy…; the stack resource type has no condition keys). */
  checkStackAction(caller: Caller, stack: StackRecord, action: string, context: Record<string, string> = {}): void {
    const actor = this.callerActor(caller);
    if (actor) this.require(actor, { action, resource: stack.stackId, account: caller.account, context });
  }

  /**
   * Why an instance running with this instance profile may not call SignalResource on the stack
   * (the AWS CLI signs with the profile's role), or undefined if it may — or if the profile or its
   * role was not made by a sandbox stack (made outside, trusted as given).
   */
  instanceSignalDenial(stack: StackRecord, instanceProfile: string, instanceId: string): string | undefined {
    const role = this.accounts.instanceProfileRole(stack.account, instanceProfile);
    if (role?.stackId === undefined) return undefined;
    return accessDenial(this.accounts.rolePolicies(role), {
      principal: `arn:aws:sts::${stack.account}:assumed-role/${role.name}/${instanceId}`,
      action: 'cloudformation:SignalResource',
      resource: stack.stackId,
      account: stack.account,
      context: {},
    });
  }

  /** The API answer IAM's refusal gets: AccessDenied, 403, with AWS's wording. */
  private require(actor: Actor, request: { action: string; resource: string; account: string; context: Record<string, string | string[]> }): void {
    const denial = accessDenial(actor.policies, { principal: actor.principal, ...request });
    if (denial !== undefined) throw new AwsApiError('AccessDenied', denial, 403);
  }

  private callerActor(caller: Caller): Actor | undefined {
    if (caller.kind !== 'assumed-role') return undefined;
    const role = this.accounts.findRole(caller.roleArn);
    return role?.stackId === undefined ? undefined : { principal: caller.arn, policies: this.accounts.rolePolicies(role) };
  }

  private stackActor(stack: StackRecord): Actor | undefined {
    const roleArn = stack.roleArn ?? stack.callerRoleArn;
    if (roleArn === undefined) return undefined;
    const role = this.accounts.findRole(roleArn);
    if (role?.stackId === undefined) return undefined;
    const session = stack.roleArn === undefined ? (stack.callerSession ?? CLOUDFORMATION_SESSION) : CLOUDFORMATION_SESSION;
    return { principal: `arn:aws:sts::${stack.account}:assumed-role/${role.name}/${session}`, policies: this.accounts.rolePolicies(role) };
  }
}

/** The tags CloudFormation gives a resource: the template's, the stack's, and its own aws:cloudformation:* tags. */
export function resourceTags(stack: StackRecord, resource: ResourceRecord): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const { Key, Value } of stack.tags) tags[Key] = Value;
  const addList = (list: unknown) => {
    if (!Array.isArray(list)) return;
    for (const tag of list) if (typeof tag === 'object' && tag !== null && 'Key' in tag) tags[String(tag.Key)] = String((tag as { Value?: unknown }).Value ?? '');
  };
  const own = resource.properties?.['Tags'];
  if (Array.isArray(own)) addList(own);
  else if (typeof own === 'object' && own !== null) for (const [key, value] of Object.entries(own)) tags[key] = String(value);
  // A launch template's own tags sit in its TagSpecifications, as ResourceType launch-template.
  const specifications = resource.type === 'AWS::EC2::LaunchTemplate' ? resource.properties?.['TagSpecifications'] : undefined;
  if (Array.isArray(specifications)) {
    for (const specification of specifications as Array<{ ResourceType?: unknown; Tags?: unknown } | null>) {
      if (specification?.ResourceType === 'launch-template') addList(specification.Tags);
    }
  }
  tags['aws:cloudformation:stack-name'] = stack.stackName;
  tags['aws:cloudformation:stack-id'] = stack.stackId;
  tags['aws:cloudformation:logical-id'] = resource.logicalId;
  return tags;
}

/**
 * The cluster an ECS service names, as the ecs:cluster condition key carries it (an ARN): its
 * Cluster property (a name or an ARN), or the account's `default` cluster when it names none
 * (ECS API Reference, CreateService, `cluster`).
 */
function ecsClusterArn(cluster: unknown, region: string, account: string): string {
  const named = typeof cluster === 'string' && cluster !== '' ? cluster : 'default';
  return named.startsWith('arn:') ? named : `arn:aws:ecs:${region}:${account}:cluster/${named}`;
}
