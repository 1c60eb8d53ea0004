import type { CfnTemplate } from '../../src/cfn/template-types';
import type { Caller } from './caller-identity';
import { AwsApiError, ValidationError } from './errors';
import type { XmlValue } from './query-protocol';
import { scaledMilliseconds } from './sandbox-clock';
import type { ChangeSetRecord, ResourceChange, ResourceChangeDetail, StackRecord } from './sandbox-state';
import type { StackPermissions } from './stack-permissions';
import type { StackTemplates } from './stack-templates';
import type { PreparedUpdate, StackUpdates, UpdateStackRequest } from './stack-update';
import { createOnlyProperty, sameValue, type PlannedResource } from './update-plan';

/**
 * Change sets of the sandbox accounts, as CloudFormation makes them (API Reference, CreateChangeSet,
 * DescribeChangeSet, ExecuteChangeSet, DeleteChangeSet, ListChangeSets,
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_CreateChangeSet.html and its
 * siblings; User Guide, "Update CloudFormation stacks using change sets",
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-cfn-updating-stacks-changesets.html).
 *
 * A change set of type UPDATE is an UpdateStack request checked as UpdateStack checks it
 * (stack-update.ts `prepareUpdate`) and the plan UpdateStack would run (`planUpdate`, update-plan.ts),
 * described as ResourceChange structures; executing it starts that same update (`startUpdate`), so
 * what a change set says and what it does cannot disagree. It shows CREATE_PENDING, then
 * CREATE_IN_PROGRESS, then CREATE_COMPLETE (ExecutionStatus AVAILABLE), or FAILED when the request
 * changes nothing. Once the stack is updated another way (UpdateStack) its change sets are OBSOLETE
 * ("a change set might be … in an OBSOLETE state because the stack was already updated", API
 * Reference, ChangeSetSummary); executing one deletes the others ("When you execute a change set,
 * CloudFormation deletes all other change sets associated with the stack because they aren't valid
 * for the updated stack", API Reference, ExecuteChangeSet).
 *
 * How the ResourceChange of a Modify is worked out (API Reference, ResourceChange,
 * ResourceChangeDetail, ResourceTargetDefinition):
 * - one detail per top-level property whose resolved value changes: RequiresRecreation Always when a
 *   createOnlyProperties path of AWS's schema lies under it, else Never; Evaluation Static;
 *   ChangeSource ParameterReference (CausingEntity the parameter) when the property refers to a
 *   parameter whose value changes, else DirectModification. A change of `Tags` is Attribute Tags.
 * - a property that refers (Ref, Fn::GetAtt, Fn::Sub) to a resource being replaced (or added) gets a
 *   Dynamic detail, ChangeSource ResourceReference or ResourceAttribute with the resource (or
 *   `Resource.Attribute`) as CausingEntity, as AWS describes "a reference to a resource that's
 *   conditionally recreated" (ResourceChangeDetail.Evaluation). AWS's Replacement follows the details:
 *   any Always with Static evaluation is True; Always with only Dynamic ones is Conditional; else False.
 *   The sandbox applies this transitively (a resource conditionally replaced makes its referrers'
 *   details Dynamic too); which of AWS's own rules go further is not documented.
 * - with DescribeChangeSet's IncludePropertyValues, Static details carry BeforeValue/AfterValue (strings; JSON for
 *   objects and lists) and AttributeChangeType, and each change its BeforeContext/AfterContext (the
 *   resource's resolved properties as `{"Properties":{…}}` JSON, the sandbox's reading of "an encoded
 *   JSON string that contains the context of the resource"). A Dynamic detail has no AfterValue (it is
 *   known only when the update runs).
 * A Remove carries PolicyAction Delete or Retain (DeletionPolicy), a replacement ReplaceAndDelete or
 * ReplaceAndRetain (UpdateReplacePolicy); Snapshot policies are the Snapshot forms.
 *
 * IAM: a role session's CreateChangeSet is evaluated as its UpdateStack is (stack-permissions.ts), as
 * its own action; CreateChangeSet, DescribeChangeSet, ExecuteChangeSet and DeleteChangeSet carry
 * `cloudformation:ChangeSetName`, the condition key the Service Authorization Reference lists for
 * CloudFormation (https://docs.aws.amazon.com/service-authorization/latest/reference/list_awscloudformation.html).
 * The project holds no copy of that table, so which actions AWS gives the key is not checked here
 * against AWS's data; ListChangeSets is given none.
 */

/** "The submitted information didn't contain changes. Submit different information to create a change set." (AWS's StatusReason, as ansible-collections/amazon.aws#507 quotes it.) */
export const NO_CHANGES = "The submitted information didn't contain changes. Submit different information to create a change set.";
/** ChangeSetName: "Pattern: [a-zA-Z][-a-zA-Z0-9]*", 1 to 128 characters (API Reference, CreateChangeSet). */
const NAME_PATTERN = /^[a-zA-Z][-a-zA-Z0-9]*$/;
/** How long a change set takes to be worked out, unscaled seconds: pending, then in progress (AWS documents no time). */
const PENDING_SECONDS = 1;
const CREATING_SECONDS = 3;

export interface CreateChangeSetRequest extends UpdateStackRequest {
  changeSetName: string;
  changeSetType: string;
  description?: string;
}

export interface ChangeSetsOptions {
  updates: StackUpdates;
  permissions: StackPermissions;
  templates: StackTemplates;
  uuid(purpose: string): string;
  now(): number;
  speed: number;
  changed(): void;
}

export class ChangeSets {
  constructor(private readonly options: ChangeSetsOptions) {}

  /** CreateChangeSet (ChangeSetType UPDATE): the change set's id. */
  create(stack: StackRecord | undefined, stackName: string, request: CreateChangeSetRequest, caller: Caller): ChangeSetRecord {
    const name = request.changeSetName;
    if (name.length > 128 || !NAME_PATTERN.test(name)) {
      throw new ValidationError(`1 validation error detected: Value '${name}' at 'changeSetName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z][-a-zA-Z0-9]*`);
    }
    if (request.changeSetType === 'CREATE' || request.changeSetType === 'IMPORT') {
      throw new ValidationError(`The sandbox account makes change sets of type UPDATE only (ChangeSetType ${request.changeSetType}); create the stack with CreateStack.`);
    }
    if (request.changeSetType !== 'UPDATE') {
      throw new ValidationError(`1 validation error detected: Value '${request.changeSetType}' at 'changeSetType' failed to satisfy constraint: Member must satisfy enum value set: [UPDATE, IMPORT, CREATE]`);
    }
    // As CloudFormation answers a change set of type UPDATE for a stack that does not exist.
    if (stack === undefined || stack.status === 'DELETE_COMPLETE') throw new ValidationError(`Stack [${stackName}] does not exist`);
    // AWS's words for a name already used on the stack are not documented (AlreadyExistsException is the code the reference lists).
    if ((stack.changeSets ?? []).some((changeSet) => changeSet.changeSetName === name)) throw new AwsApiError('AlreadyExistsException', `ChangeSet [${name}] already exists`);

    const { updates, now, speed } = this.options;
    const prepared = updates.prepareUpdate(stack, request, caller, { action: 'cloudformation:CreateChangeSet', context: { 'cloudformation:ChangeSetName': name } });
    const plan = updates.planUpdate(stack, prepared);
    const created = now();
    const changeSet: ChangeSetRecord = {
      changeSetId: `arn:aws:cloudformation:${stack.region}:${stack.account}:changeSet/${name}/${this.options.uuid(`changeset:${stack.stackId}:${name}`)}`,
      changeSetName: name,
      ...(request.description === undefined ? {} : { description: request.description }),
      createdAt: created,
      readyAt: created + scaledMilliseconds(PENDING_SECONDS + CREATING_SECONDS, speed),
      status: plan.changes ? 'CREATE_COMPLETE' : 'FAILED',
      ...(plan.changes ? {} : { statusReason: NO_CHANGES }),
      executionStatus: plan.changes ? 'AVAILABLE' : 'UNAVAILABLE',
      request: {
        templateBody: prepared.templateBody,
        ...(request.templateFromUrl === undefined ? {} : { templateFromUrl: request.templateFromUrl }),
        parameters: Object.entries(prepared.parameters).map(([ParameterKey, ParameterValue]) => ({ ParameterKey, ParameterValue })),
        capabilities: request.capabilities,
        tags: prepared.tags,
        ...(request.roleArn === undefined ? {} : { roleArn: request.roleArn }),
      },
      parameters: prepared.parameters,
      changes: describeChanges(stack, this.options.templates.template(stack), prepared, plan.resources),
    };
    (stack.changeSets ??= []).push(changeSet);
    this.options.changed();
    return changeSet;
  }

  /** The change set a name (with its stack) or an ARN names, or ChangeSetNotFound. */
  find(stacks: readonly StackRecord[], stackName: string | undefined, nameOrId: string): { stack: StackRecord; changeSet: ChangeSetRecord } {
    for (const stack of stacks) {
      if (stack.status === 'DELETE_COMPLETE') continue;
      if (!nameOrId.startsWith('arn:') && stackName !== stack.stackName && stackName !== stack.stackId) continue;
      const changeSet = (stack.changeSets ?? []).find((candidate) => candidate.changeSetId === nameOrId || candidate.changeSetName === nameOrId);
      if (changeSet) return { stack, changeSet };
    }
    // "ChangeSet [ProdChangeSet] does not exist" (ChangeSetNotFound, 404, as aws/serverless-application-model#52 quotes it).
    throw new AwsApiError('ChangeSetNotFound', `ChangeSet [${nameOrId}] does not exist`, 404);
  }

  /** ExecuteChangeSet: the update it describes starts; the stack's other change sets are deleted. */
  execute(stack: StackRecord, changeSet: ChangeSetRecord, caller: Caller): void {
    this.options.permissions.checkStackAction(caller, stack, 'cloudformation:ExecuteChangeSet', { 'cloudformation:ChangeSetName': changeSet.changeSetName });
    const status = this.view(changeSet).ExecutionStatus;
    // "ChangeSet [<arn>] cannot be executed in its current execution status of [OBSOLETE]" (InvalidChangeSetStatus, aws/amazon-chime-sdk-js#1089).
    if (status !== 'AVAILABLE') throw new AwsApiError('InvalidChangeSetStatus', `ChangeSet [${changeSet.changeSetId}] cannot be executed in its current execution status of [${status}]`);
    const { updates } = this.options;
    const request: UpdateStackRequest = { ...changeSet.request, tags: changeSet.request.tags };
    // Checked again as UpdateStack would be, without the caller: CreateChangeSet authorized it.
    const prepared = updates.prepareUpdate(stack, request);
    updates.startUpdate(stack, request, prepared);
    changeSet.executionStatus = 'EXECUTE_IN_PROGRESS';
    stack.changeSets = [changeSet];
    this.options.changed();
  }

  /** DeleteChangeSet: not while it executes. */
  delete(stack: StackRecord, changeSet: ChangeSetRecord, caller: Caller): void {
    this.options.permissions.checkStackAction(caller, stack, 'cloudformation:DeleteChangeSet', { 'cloudformation:ChangeSetName': changeSet.changeSetName });
    // The reference lists InvalidChangeSetStatus ("the change set status might be … or the stack status might be UPDATE_IN_PROGRESS"); the words are the sandbox's.
    if (changeSet.executionStatus === 'EXECUTE_IN_PROGRESS') {
      throw new AwsApiError('InvalidChangeSetStatus', `ChangeSet [${changeSet.changeSetId}] cannot be deleted in its current execution status of [EXECUTE_IN_PROGRESS]`);
    }
    stack.changeSets = (stack.changeSets ?? []).filter((candidate) => candidate !== changeSet);
    this.options.changed();
  }

  /** The status and execution status as of now: CREATE_PENDING, then CREATE_IN_PROGRESS, until it is ready. */
  view(changeSet: ChangeSetRecord): { Status: string; ExecutionStatus: string; StatusReason?: string } {
    const now = this.options.now();
    if (now < changeSet.readyAt) {
      const pendingUntil = changeSet.createdAt + scaledMilliseconds(PENDING_SECONDS, this.options.speed);
      return { Status: now < pendingUntil ? 'CREATE_PENDING' : 'CREATE_IN_PROGRESS', ExecutionStatus: 'UNAVAILABLE' };
    }
    return { Status: changeSet.status, ExecutionStatus: changeSet.executionStatus, ...(changeSet.statusReason === undefined ? {} : { StatusReason: changeSet.statusReason }) };
  }

  /** DescribeChangeSet's answer; the property values only with IncludePropertyValues. */
  describe(stack: StackRecord, changeSet: ChangeSetRecord, includePropertyValues: boolean): { [name: string]: XmlValue } {
    return {
      ChangeSetName: changeSet.changeSetName,
      ChangeSetId: changeSet.changeSetId,
      StackId: stack.stackId,
      StackName: stack.stackName,
      Description: changeSet.description,
      Parameters: Object.entries(changeSet.parameters).map(([ParameterKey, ParameterValue]) => ({ ParameterKey, ParameterValue })),
      CreationTime: new Date(changeSet.createdAt),
      ...this.view(changeSet),
      NotificationARNs: stack.notificationArns,
      Capabilities: changeSet.request.capabilities,
      Tags: changeSet.request.tags,
      Changes: this.view(changeSet).Status === 'CREATE_COMPLETE' ? changeSet.changes.map((change) => ({ Type: 'Resource', ResourceChange: (includePropertyValues ? change : withoutValues(change)) as unknown as XmlValue })) : [],
      IncludeNestedStacks: false,
    };
  }

  /** One ChangeSetSummary of ListChangeSets. */
  summary(stack: StackRecord, changeSet: ChangeSetRecord): XmlValue {
    return {
      StackId: stack.stackId,
      StackName: stack.stackName,
      ChangeSetId: changeSet.changeSetId,
      ChangeSetName: changeSet.changeSetName,
      ...this.view(changeSet),
      CreationTime: new Date(changeSet.createdAt),
      Description: changeSet.description,
      IncludeNestedStacks: false,
    };
  }
}

/** An update began (UpdateStack, or a change set's execution): the stack's change sets are OBSOLETE. */
export function obsoleteChangeSets(stack: StackRecord): void {
  for (const changeSet of stack.changeSets ?? []) {
    if (changeSet.executionStatus === 'AVAILABLE') changeSet.executionStatus = 'OBSOLETE';
  }
}

/** An update ended: the change set it executed is EXECUTE_COMPLETE, or EXECUTE_FAILED when the stack rolled back. */
export function settleChangeSets(stack: StackRecord, status: string): void {
  for (const changeSet of stack.changeSets ?? []) {
    if (changeSet.executionStatus === 'EXECUTE_IN_PROGRESS') changeSet.executionStatus = status === 'UPDATE_COMPLETE' ? 'EXECUTE_COMPLETE' : 'EXECUTE_FAILED';
  }
}

// ---- the ResourceChange structures --------------------------------------------------------------

interface Reference {
  kind: 'Ref' | 'GetAtt';
  target: string;
  attribute?: string;
}

/** The Ref, Fn::GetAtt and Fn::Sub references in a template value. */
export function referencesIn(value: unknown): Reference[] {
  if (Array.isArray(value)) return value.flatMap(referencesIn);
  if (typeof value !== 'object' || value === null) return [];
  const entries = Object.entries(value as Record<string, unknown>);
  const [only] = entries;
  if (entries.length === 1 && only !== undefined) {
    const [key, argument] = only;
    if (key === 'Ref' && typeof argument === 'string') return [{ kind: 'Ref', target: argument }];
    if (key === 'Fn::GetAtt') {
      const [target, attribute] = typeof argument === 'string' ? argument.split(/\.(.*)/s) : Array.isArray(argument) ? argument.map(String) : [];
      return target === undefined ? [] : [{ kind: 'GetAtt', target, ...(attribute === undefined ? {} : { attribute }) }];
    }
    if (key === 'Fn::Sub') {
      const [text, variables] = typeof argument === 'string' ? [argument, {}] : Array.isArray(argument) ? [String(argument[0]), (argument[1] ?? {}) as Record<string, unknown>] : ['', {}];
      const local = new Set(Object.keys(variables));
      const inText = [...text.matchAll(/\$\{([^!}][^}]*)\}/g)].flatMap((match): Reference[] => {
        const [target, attribute] = (match[1] ?? '').split(/\.(.*)/s);
        if (target === undefined || local.has(match[1] ?? '')) return [];
        return [attribute === undefined ? { kind: 'Ref', target } : { kind: 'GetAtt', target, attribute }];
      });
      return [...inText, ...referencesIn(Object.values(variables))];
    }
  }
  return entries.flatMap(([, inner]) => referencesIn(inner));
}

/** A property's value as ResourceTargetDefinition carries it: a string, JSON for anything else. */
function shown(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function context(properties: Record<string, unknown> | undefined): string | undefined {
  return properties === undefined ? undefined : JSON.stringify({ Properties: properties });
}

function policyAction(policy: unknown, replacing: boolean): string {
  const kind = policy === 'Retain' || policy === 'RetainExceptOnCreate' ? 'Retain' : policy === 'Snapshot' ? 'Snapshot' : 'Delete';
  return replacing ? `ReplaceAnd${kind}` : kind;
}

/**
 * The ResourceChange of each resource the plan changes, plus those whose properties refer to a
 * resource being replaced or added (Dynamic), in the stack's order then the template's.
 */
export function describeChanges(stack: StackRecord, previous: CfnTemplate, next: PreparedUpdate, plan: readonly PlannedResource[]): ResourceChange[] {
  const planned = new Map(plan.map((entry) => [entry.logicalId, entry]));
  const changedParameters = new Set(Object.keys(next.parameters).filter((key) => stack.parameters[key] !== next.parameters[key]));
  const details = new Map<string, ResourceChangeDetail[]>();
  const definition = (logicalId: string) => next.template.Resources[logicalId]?.Properties ?? {};

  // Static details: the resolved values that change.
  for (const entry of plan) {
    if (entry.action !== 'Modify') continue;
    const list: ResourceChangeDetail[] = [];
    const names = entry.after === undefined ? Object.keys(definition(entry.logicalId)) : [...new Set([...Object.keys(entry.before ?? {}), ...Object.keys(entry.after)])];
    for (const name of names) {
      const before = entry.before?.[name];
      const after = entry.after?.[name];
      if (entry.after !== undefined && sameValue(before, after)) continue;
      // A value naming a resource the update adds is known only when it runs: the Dynamic pass below gives it.
      if (referencesIn(definition(entry.logicalId)[name]).some((reference) => planned.get(reference.target)?.action === 'Add')) continue;
      const always = entry.replacing.some((path) => path === name || path.startsWith(`${name}/`));
      const causes = referencesIn(definition(entry.logicalId)[name]).filter((reference) => reference.kind === 'Ref' && changedParameters.has(reference.target));
      const target: ResourceChangeDetail['Target'] = {
        ...(name === 'Tags' ? { Attribute: 'Tags' as const } : { Attribute: 'Properties' as const, Name: name }),
        Path: `/Properties/${name}`,
        RequiresRecreation: always ? 'Always' : 'Never',
        ...(entry.after !== undefined
          ? { ...optional('BeforeValue', shown(before)), ...optional('AfterValue', shown(after)), AttributeChangeType: before === undefined ? 'Add' : after === undefined ? 'Remove' : 'Modify' }
          : {}),
      };
      if (entry.after === undefined) {
        // Not resolvable before the update runs: known only then.
        list.push({ Target: { ...target, RequiresRecreation: createOnlyProperty(entry.type, name) ? 'Always' : 'Never' }, Evaluation: 'Dynamic', ChangeSource: 'DirectModification' });
      } else if (causes.length > 0) {
        for (const cause of causes) list.push({ Target: target, Evaluation: 'Static', ChangeSource: 'ParameterReference', CausingEntity: cause.target });
      } else list.push({ Target: target, Evaluation: 'Static', ChangeSource: 'DirectModification' });
    }
    if (list.length > 0) details.set(entry.logicalId, list);
  }

  // Dynamic details: references to what is replaced (True or Conditional) or added, to a fixed point.
  const replacement = (logicalId: string): ResourceChange['Replacement'] => replacementOf(details.get(logicalId) ?? []);
  const renewed = (logicalId: string) => planned.get(logicalId)?.action === 'Add' || (replacement(logicalId) ?? 'False') !== 'False';
  let grew = true;
  while (grew) {
    grew = false;
    for (const resource of stack.resources) {
      if (!next.present.includes(resource.logicalId)) continue;
      for (const [name, value] of Object.entries(definition(resource.logicalId))) {
        for (const reference of referencesIn(value)) {
          if (reference.target === resource.logicalId || next.template.Resources[reference.target] === undefined || !renewed(reference.target)) continue;
          const causing = reference.kind === 'Ref' ? reference.target : `${reference.target}.${reference.attribute ?? ''}`;
          const list = details.get(resource.logicalId) ?? [];
          if (list.some((detail) => detail.Evaluation === 'Dynamic' && detail.CausingEntity === causing && detail.Target.Name === name)) continue;
          list.push({
            Target: { Attribute: 'Properties', Name: name, Path: `/Properties/${name}`, RequiresRecreation: createOnlyProperty(resource.type, name) ? 'Always' : 'Never' },
            Evaluation: 'Dynamic',
            ChangeSource: reference.kind === 'Ref' ? 'ResourceReference' : 'ResourceAttribute',
            CausingEntity: causing,
          });
          details.set(resource.logicalId, list);
          grew = true;
        }
      }
    }
  }

  const changes: ResourceChange[] = [];
  for (const resource of stack.resources) {
    const entry = planned.get(resource.logicalId);
    if (entry?.action === 'Remove') {
      changes.push({
        Action: 'Remove',
        LogicalResourceId: resource.logicalId,
        ...optional('PhysicalResourceId', resource.physicalId),
        ResourceType: resource.type,
        PolicyAction: policyAction(previous.Resources[resource.logicalId]?.DeletionPolicy, false),
        Scope: [],
        Details: [],
        ...optional('BeforeContext', context(resource.properties ?? {})),
      });
      continue;
    }
    const list = details.get(resource.logicalId);
    if (list === undefined) continue;
    const replaced = replacementOf(list);
    changes.push({
      Action: 'Modify',
      LogicalResourceId: resource.logicalId,
      ...optional('PhysicalResourceId', resource.physicalId),
      ResourceType: resource.type,
      Replacement: replaced,
      ...(replaced === 'True' ? { PolicyAction: policyAction(next.template.Resources[resource.logicalId]?.UpdateReplacePolicy, true) } : {}),
      Scope: [...new Set(list.map((detail) => detail.Target.Attribute))],
      Details: list,
      ...optional('BeforeContext', context(resource.properties ?? {})),
      ...optional('AfterContext', context(entry?.after ?? resource.properties ?? {})),
    });
  }
  for (const entry of plan) {
    if (entry.action !== 'Add') continue;
    changes.push({ Action: 'Add', LogicalResourceId: entry.logicalId, ResourceType: entry.type, Scope: [], Details: [], ...optional('AfterContext', context(entry.after)) });
  }
  return changes;
}

/** A ResourceChange as DescribeChangeSet gives it without IncludePropertyValues: no values, no contexts. */
function withoutValues(change: ResourceChange): ResourceChange {
  const { BeforeContext: _before, AfterContext: _after, ...rest } = change;
  return {
    ...rest,
    Details: change.Details.map((detail) => {
      const { BeforeValue: _beforeValue, AfterValue: _afterValue, AttributeChangeType: _type, ...target } = detail.Target;
      return { ...detail, Target: target };
    }),
  };
}

/** AWS's Replacement from the details: Always+Static is True, Always+Dynamic only is Conditional, else False. */
function replacementOf(details: readonly ResourceChangeDetail[]): ResourceChange['Replacement'] {
  const always = details.filter((detail) => detail.Target.RequiresRecreation === 'Always');
  if (always.some((detail) => detail.Evaluation === 'Static')) return 'True';
  if (always.length > 0 || details.some((detail) => detail.Target.RequiresRecreation === 'Conditionally')) return 'Conditional';
  return 'False';
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
