import { arns, SERVICE_ACCOUNT } from '../config';
// The same EventBridge pattern check as the local event bus's, so a rule is refused alike in both.
import { assertValidPattern } from '../services/event-pattern';
import { TemplateResolutionError, ValidationError } from './errors';
import { nameClaim, type NameClaim } from './resource-names';
import type { AccountRecord, ExportRecord, OutputRecord, ResourceRecord, RoleRecord, SandboxState, StackRecord } from './sandbox-state';
import type { PrincipalPolicies } from '../iam/evaluate-policies';
import type { TemplateEvaluator } from './template-evaluator';
import { trustPolicyAllows } from './trust-policy';

/** The kinds of record an account holds outside its stacks. */
export type HeldKind = 'keyPairs' | 'certificates' | 'dbSnapshots';
export type HeldRecord<K extends HeldKind> = NonNullable<AccountRecord[K]>[number];

/**
 * What the sandbox accounts hold besides their stacks: the IAM roles and EventBridge rules that
 * stacks created (STS assumes the roles, CloudFormation's events go to the rules), the stacks'
 * exports, and the names resources claim, which no two live resources may share.
 */

/** The Groundwork service role: in SERVICE_ACCOUNT without any stack, assumable by that account. */
const SERVICE_ROLE: RoleRecord = {
  arn: arns.serviceRole,
  name: arns.serviceRole.split('/').at(-1) ?? '',
  roleId: 'AROAGROUNDWORKSERVICE',
  maxSessionDuration: 43_200,
  trustPolicy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${SERVICE_ACCOUNT}:root` }, Action: 'sts:AssumeRole' }] },
};

const CLOUDFORMATION_SERVICE = 'cloudformation.amazonaws.com';
/** The resource type whose ids an AWS-specific parameter type names. */
const PARAMETER_RESOURCE_TYPES: Readonly<Record<string, string>> = {
  'AWS::EC2::VPC::Id': 'AWS::EC2::VPC',
  'AWS::EC2::Subnet::Id': 'AWS::EC2::Subnet',
  'AWS::EC2::SecurityGroup::Id': 'AWS::EC2::SecurityGroup',
};
/** Statuses of a resource its stack is done with (deleted, or left in the account). */
export const GONE = new Set(['DELETE_COMPLETE', 'DELETE_SKIPPED']);

/**
 * Whether the resource is in the account: created (or being created) and not deleted. One its stack
 * retained (DeletionPolicy Retain, or RetainResources: DELETE_SKIPPED) stays, and keeps its name,
 * after the stack is deleted — "CloudFormation keeps the resource without deleting the resource or
 * its contents when its stack is deleted" (Template Reference, "DeletionPolicy attribute",
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-attribute-deletionpolicy.html).
 */
export function inAccount(resource: ResourceRecord): boolean {
  return resource.exists === true && resource.status !== 'DELETE_COMPLETE';
}

export class AccountRegistry {
  constructor(
    private readonly state: SandboxState,
    private readonly changed: () => void,
  ) {}

  /** The account of that id, created on first use. */
  account(id: string): AccountRecord {
    const existing = this.state.accounts[id];
    if (existing) return existing;
    const created: AccountRecord = { id, stacks: [], roles: [], rules: [], exports: [] };
    this.state.accounts[id] = created;
    this.changed();
    return created;
  }

  findRole(arn: string): RoleRecord | undefined {
    if (arn === SERVICE_ROLE.arn) return SERVICE_ROLE;
    const account = /^arn:aws[a-z-]*:iam::(\d{12}):role\//.exec(arn)?.[1];
    return account === undefined ? undefined : this.state.accounts[account]?.roles.find((role) => role.arn === arn);
  }

  /**
   * The role an instance profile of the account holds (by its name or ARN), if a live stack of the
   * account made the profile and the role (IAM is global: any region).
   */
  instanceProfileRole(accountId: string, profile: string): RoleRecord | undefined {
    const name = profile.split(':instance-profile/').at(-1)?.split('/').at(-1) ?? profile;
    const account = this.state.accounts[accountId];
    for (const stack of account?.stacks ?? []) {
      if (stack.status === 'DELETE_COMPLETE') continue;
      const made = stack.resources.find((resource) => resource.type === 'AWS::IAM::InstanceProfile' && resource.exists && !GONE.has(resource.status ?? '') && resource.physicalId === name);
      const roleName = asStrings(made?.properties?.['Roles'])[0];
      if (roleName !== undefined) return account?.roles.find((role) => role.name === roleName);
    }
    return undefined;
  }

  /**
   * CloudFormation must be able to assume the role a stack is created with: a role of the account
   * that trusts it. A role the account does not hold (no sandbox stack made it, and it is not the
   * Groundwork service role) cannot be assumed, and AWS answers so in the same words.
   */
  checkStackRole(accountId: string, roleArn: string): void {
    const invalid = new ValidationError(`Role ${roleArn} is invalid or cannot be assumed`);
    const roleAccount = /^arn:aws[a-z-]*:iam::(\d{12}):role\/.+$/.exec(roleArn)?.[1];
    if (roleAccount !== accountId) throw invalid;
    const role = this.findRole(roleArn);
    if (!role) throw invalid;
    // No aws:SourceAccount or aws:SourceArn: AWS does not document that CloudFormation sends them
    // when it assumes a stack's role, so a trust policy that requires them is refused here, as it
    // may be in AWS (real-AWS review U1).
    const allowed = trustPolicyAllows(role.trustPolicy, { kind: 'service', service: CLOUDFORMATION_SERVICE, arn: CLOUDFORMATION_SERVICE }, 'sts:AssumeRole', {});
    if (!allowed) throw invalid;
  }

  registerCreated(stack: StackRecord, resource: ResourceRecord, evaluator: TemplateEvaluator): void {
    const account = this.account(stack.account);
    const properties = resource.properties ?? {};
    if (resource.type === 'AWS::IAM::Role') {
      account.roles.push({
        arn: String(evaluator.attribute(resource.logicalId, 'Arn')),
        name: resource.physicalId ?? '',
        roleId: String(evaluator.attribute(resource.logicalId, 'RoleId')),
        trustPolicy: parseJson(properties['AssumeRolePolicyDocument']),
        maxSessionDuration: Number(properties['MaxSessionDuration'] ?? 3600),
        policies: asRecords(properties['Policies']).map((policy) => ({ name: String(policy['PolicyName'] ?? ''), document: parseJson(policy['PolicyDocument']) })),
        managedPolicyArns: asStrings(properties['ManagedPolicyArns']),
        ...(properties['PermissionsBoundary'] === undefined ? {} : { permissionsBoundary: String(properties['PermissionsBoundary']) }),
        stackId: stack.stackId,
        logicalId: resource.logicalId,
      });
    }
    if (resource.type === 'AWS::IAM::ManagedPolicy') {
      (account.managedPolicies ??= []).push({
        arn: String(evaluator.value({ Ref: resource.logicalId })),
        document: parseJson(properties['PolicyDocument']),
        stackId: stack.stackId,
        logicalId: resource.logicalId,
      });
      for (const role of account.roles.filter((candidate) => asStrings(properties['Roles']).includes(candidate.name))) {
        (role.managedPolicyArns ??= []).push(String(evaluator.value({ Ref: resource.logicalId })));
      }
    }
    if (resource.type === 'AWS::IAM::Policy' || resource.type === 'AWS::IAM::RolePolicy') {
      const roles = resource.type === 'AWS::IAM::Policy' ? asStrings(properties['Roles']) : asStrings(properties['RoleName']);
      for (const role of account.roles.filter((candidate) => roles.includes(candidate.name))) {
        (role.policies ??= []).push({ name: String(properties['PolicyName'] ?? ''), document: parseJson(properties['PolicyDocument']), stackId: stack.stackId, logicalId: resource.logicalId });
      }
    }
    if (resource.type === 'AWS::Events::Rule') {
      const targets = Array.isArray(properties['Targets']) ? (properties['Targets'] as Array<Record<string, unknown>>) : [];
      account.rules.push({
        arn: String(evaluator.attribute(resource.logicalId, 'Arn')),
        name: resource.physicalId ?? '',
        eventBusName: String(properties['EventBusName'] ?? 'default'),
        enabled: (properties['State'] ?? 'ENABLED') === 'ENABLED',
        pattern: parseJson(properties['EventPattern']),
        targets: targets.map((target) => ({
          id: String(target['Id'] ?? ''),
          arn: String(target['Arn'] ?? ''),
          ...(target['RoleArn'] === undefined ? {} : { roleArn: String(target['RoleArn']) }),
        })),
        stackId: stack.stackId,
        logicalId: resource.logicalId,
      });
    }
  }

  unregisterDeleted(stack: StackRecord, resource: ResourceRecord): void {
    const account = this.account(stack.account);
    const mine = (entry: { stackId?: string; logicalId?: string }) => entry.stackId === stack.stackId && entry.logicalId === resource.logicalId;
    account.roles = account.roles.filter((role) => !mine(role));
    account.rules = account.rules.filter((rule) => !mine(rule));
    const policy = account.managedPolicies?.find(mine);
    account.managedPolicies = account.managedPolicies?.filter((candidate) => !mine(candidate));
    for (const role of account.roles) {
      role.policies = role.policies?.filter((candidate) => !mine(candidate));
      if (policy) role.managedPolicyArns = role.managedPolicyArns?.filter((arn) => arn !== policy.arn);
    }
  }

  /**
   * What IAM evaluates for a role of the account: its inline and managed policies and its boundary,
   * as the account holds them. AWS managed policies (`arn:aws:iam::aws:policy/…`) are not known
   * to the sandbox and count as granting nothing.
   */
  rolePolicies(role: RoleRecord): PrincipalPolicies {
    const account = /^arn:aws[a-z-]*:iam::(\d{12}):/.exec(role.arn)?.[1] ?? '';
    const managed = this.state.accounts[account]?.managedPolicies ?? [];
    const documentOf = (arn: string) => managed.find((policy) => policy.arn === arn)?.document;
    const boundary = role.permissionsBoundary === undefined ? undefined : documentOf(role.permissionsBoundary);
    return {
      identity: [
        ...(role.policies ?? []).map(({ name, document }) => ({ name, document })),
        ...(role.managedPolicyArns ?? []).flatMap((arn) => (documentOf(arn) === undefined ? [] : [{ name: arn, document: documentOf(arn) }])),
      ],
      // A boundary the sandbox does not hold (made outside it) allows nothing, as an empty one would.
      ...(role.permissionsBoundary === undefined ? {} : { boundary: boundary ?? { Version: '2012-10-17', Statement: [] } }),
    };
  }

  /** The live resource, of this stack or another, that already holds the name the resource claims. */
  nameHolder(stack: StackRecord, resource: ResourceRecord, claim: NameClaim): ResourceRecord | undefined {
    const accounts = claim.everyAccount ? Object.values(this.state.accounts) : [this.account(stack.account)];
    for (const other of accounts.flatMap((account) => account.stacks)) {
      const found = other.resources.find((candidate) => {
        if (candidate.type !== resource.type || !inAccount(candidate) || candidate.physicalId === undefined) return false;
        if (other.stackId === stack.stackId && candidate.logicalId === resource.logicalId) return false;
        const held = nameClaim({ type: candidate.type, physicalId: candidate.physicalId, properties: candidate.properties ?? {} }, other);
        return held !== undefined && held.scope === claim.scope && held.key === claim.key;
      });
      if (found) return found;
    }
    return undefined;
  }

  /** The resources that exist in the account and region, made by any of its stacks (those retained too), each with its stack. */
  *liveResources(accountId: string, region: string): Generator<{ stack: StackRecord; resource: ResourceRecord }> {
    for (const stack of this.state.accounts[accountId]?.stacks ?? []) {
      if (stack.region !== region) continue;
      for (const resource of stack.resources) if (inAccount(resource)) yield { stack, resource };
    }
  }

  /**
   * The live resource of the account (in any of its stacks) named by that id: its physical id (or
   * ARN), or another id it is known by (`otherIds`: an Elastic IP's allocation id).
   */
  liveResource(
    accountId: string,
    region: string,
    id: string,
    otherIds: (stack: StackRecord, resource: ResourceRecord) => readonly string[] = () => [],
  ): { stack: StackRecord; resource: ResourceRecord } | undefined {
    for (const live of this.liveResources(accountId, region)) {
      if (live.resource.physicalId === id || otherIds(live.stack, live.resource).includes(id)) return live;
    }
    return undefined;
  }

  /** Whether a live resource of that type and physical id exists in any account and region (an S3 bucket, whose names are global). */
  liveAnywhere(type: string, physicalId: string): boolean {
    return Object.values(this.state.accounts).some((account) =>
      account.stacks.some((stack) => stack.status !== 'DELETE_COMPLETE' && stack.resources.some((resource) => resource.type === type && resource.physicalId === physicalId && resource.exists === true && !GONE.has(resource.status ?? ''))),
    );
  }

  /** The live resource of that type and physical id in the account and region (of any stack), if there is one. */
  liveResourceOfType(account: string, region: string, type: string, physicalId: string): ResourceRecord | undefined {
    const found = this.liveResource(account, region, physicalId)?.resource;
    return found?.type === type ? found : undefined;
  }

  /** Fn::RefAll in a rule: the ids of that AWS-specific parameter type (a VPC, subnet or security group id) live in the account and region. */
  liveIdsOfParameterType(accountId: string, region: string, parameterType: string): string[] {
    const type = PARAMETER_RESOURCE_TYPES[parameterType];
    return type === undefined ? [] : [...this.liveResources(accountId, region)].flatMap(({ resource }) => (resource.type === type && resource.physicalId !== undefined ? [resource.physicalId] : []));
  }

  /**
   * What the account holds outside any stack, in every region (each record names its region): the key
   * pairs made with EC2's CreateKeyPair or ImportKeyPair, the ACM certificates seeded into it, its RDS
   * snapshots (oldest first).
   */
  held<K extends HeldKind>(accountId: string, kind: K): readonly HeldRecord<K>[] {
    return (this.state.accounts[accountId]?.[kind] ?? []) as readonly HeldRecord<K>[];
  }

  hold<K extends HeldKind>(accountId: string, kind: K, record: HeldRecord<K>): void {
    const account = this.account(accountId);
    account[kind] = [...this.held(accountId, kind), record] as AccountRecord[K];
    this.changed();
  }

  release<K extends HeldKind>(accountId: string, kind: K, record: HeldRecord<K>): void {
    const account = this.account(accountId);
    account[kind] = this.held(accountId, kind).filter((candidate) => candidate !== record) as AccountRecord[K];
    this.changed();
  }

  /** Refuses outputs whose export name another stack of the region already exports. */
  checkExportsFree(stack: StackRecord, outputs: readonly OutputRecord[]): void {
    const account = this.account(stack.account);
    for (const output of outputs) {
      // The stack's own exports (an update keeping one) are not taken.
      const taken = account.exports.find((existing) => existing.name === output.exportName && existing.region === stack.region && existing.stackId !== stack.stackId);
      if (taken) throw new TemplateResolutionError(`Export with name ${output.exportName} is already exported by stack ${taken.stackId.split('/')[1] ?? taken.stackId}`);
    }
  }

  addExports(stack: StackRecord, outputs: readonly OutputRecord[]): void {
    const account = this.account(stack.account);
    for (const output of outputs) {
      if (output.exportName !== undefined) account.exports.push({ name: output.exportName, value: output.value, stackId: stack.stackId, region: stack.region });
    }
  }

  /**
   * Why the stack's exports cannot go, if another live stack of the region imports one: "Export
   * <name> cannot be deleted as it is in use by <stack> and <stack>" (CloudFormation's status reason,
   * seen in aws/aws-cdk#604 and rlister/stax#40; the Fn::ImportValue docs: "You can't delete a
   * stack if another stack references one of its outputs",
   * https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/intrinsic-function-reference-importvalue.html).
   * A stack rolled back holds nothing, so it imports nothing. With `change` (an update): only the
   * exports it changes or drops count, in the update's words.
   */
  exportInUse(stack: StackRecord, importedNames: (other: StackRecord) => readonly string[], change?: (exported: ExportRecord) => 'update' | 'delete' | undefined): string | undefined {
    const account = this.account(stack.account);
    const importers = account.stacks.filter((other) => other.stackId !== stack.stackId && other.region === stack.region && other.status !== 'DELETE_COMPLETE' && other.status !== 'ROLLBACK_COMPLETE');
    for (const exported of account.exports.filter((candidate) => candidate.stackId === stack.stackId)) {
      const changing = change === undefined ? 'delete' : change(exported);
      if (changing === undefined) continue;
      const users = importers.filter((other) => importedNames(other).includes(exported.name)).map((other) => other.stackName);
      if (users.length === 0) continue;
      const named = users.length === 1 ? users[0] : `${users.slice(0, -1).join(', ')} and ${users.at(-1)}`;
      if (change === undefined) return `Export ${exported.name} cannot be deleted as it is in use by ${named}`;
      // An update that changes or drops an export another stack imports rolls back (stack-update.ts):
      // "Cannot update export <name> as it is in use by <stack>." and "Cannot delete export …" (AWS
      // re:Post, https://repost.aws/articles/ARrtwG71pqTYi3bGme27_3bg; Knowledge Center,
      // https://aws.amazon.com/premiumsupport/knowledge-center/cloudformation-stack-export-name-error/).
      return `Cannot ${changing} export ${exported.name} as it is in use by ${named}.`;
    }
    return undefined;
  }

  removeExports(stack: StackRecord): void {
    const account = this.account(stack.account);
    account.exports = account.exports.filter((exported) => exported.stackId !== stack.stackId);
  }

  /** The value a stack of that account and region exports under that name. */
  exportValue(stack: StackRecord, name: string): string | undefined {
    return this.state.accounts[stack.account]?.exports.find((exported) => exported.name === name && exported.region === stack.region)?.value;
  }
}

/** What the resource's service refuses outright, as CloudFormation reports it. */
export function refusedProperties(type: string, properties: Record<string, unknown>): string | undefined {
  if (type === 'AWS::Events::Rule' && properties['EventPattern'] !== undefined) {
    try {
      assertValidPattern(parseJson(properties['EventPattern']));
    } catch (error) {
      return `Event pattern is not valid. Reason: ${error instanceof Error ? error.message : String(error)}`;
    }
  }
  return undefined;
}

function asRecords(value: unknown): Array<Record<string, unknown>> {
  return Array.isArray(value) ? value.filter((entry): entry is Record<string, unknown> => typeof entry === 'object' && entry !== null) : [];
}

function asStrings(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  return (Array.isArray(value) ? value : [value]).map(String);
}

function parseJson(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}
