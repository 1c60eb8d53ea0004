import { dependencyGraph } from '../../src/cfn/resource-graph';
import { resourceSeconds } from '../../src/cfn/resource-timing';
import type { CfnTemplate } from '../../src/cfn/template-types';
import { GONE } from './account-registry';
import type { Caller } from './caller-identity';
import type { CloudFormationEvents } from './cloudformation-events';
import type { CustomUpdate } from './custom-resources';
import { TemplateResolutionError, ValidationError } from './errors';
import { checkLanguageExtensions } from './language-extensions';
import { scaledMilliseconds } from './sandbox-clock';
import type { FaultRegistry } from './sandbox-faults';
import type { OutputRecord, ResourceRecord, StackRecord, UpdateOperation, UpdateRecord } from './sandbox-state';
import { resourceTimerKey, type SandboxTimers } from './sandbox-timers';
import { checkAvailabilityZoneParameters, checkCreateStackRequest, parseTemplateBody, plannedResources, resolveSsmParameters, type GivenParameter, type GivenTag } from './stack-input';
import type { StackPermissions } from './stack-permissions';
import type { StackTemplates } from './stack-templates';
import { enforceRules } from './template-rules';
import { isCustomResourceType, TemplateEvaluator } from './template-evaluator';
import { NESTED_STACK_TYPE } from './nested-stacks';
import { snapshotRequested, type SnapshotSource } from './db-snapshots';
import { obsoleteChangeSets, settleChangeSets } from './change-sets';
import { customName, planResources, replacingChanges, sameValue, stackPolicyDenial, type PlannedResource } from './update-plan';
import type { AccountRegistry } from './account-registry';

/**
 * UpdateStack in the sandbox accounts, as CloudFormation runs it (User Guide, "Update stacks
 * directly", https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-cfn-updating-stacks-direct.html;
 * API Reference, UpdateStack, https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_UpdateStack.html):
 *
 * - UPDATE_IN_PROGRESS: in the new template's dependency order, each resource the new template adds
 *   is created (CREATE_IN_PROGRESS → CREATE_COMPLETE, as in a create); each whose resolved
 *   properties change is updated in place (UPDATE_IN_PROGRESS → UPDATE_COMPLETE), or replaced when a
 *   create-only property changes (update-plan.ts): the new physical resource is created first.
 *   Unchanged resources are not touched. A custom resource gets an Update request at its topic.
 *   The stack policy (or StackPolicyDuringUpdateBody) and the stack role's IAM policies are asked for
 *   each; the outputs and exports are worked out again.
 * - UPDATE_COMPLETE_CLEANUP_IN_PROGRESS: the resources the template dropped are deleted (their
 *   DeletionPolicy honoured) and the old physical resources of replaced ones (UpdateReplacePolicy).
 * - A failure: UPDATE_ROLLBACK_IN_PROGRESS puts every resource the update touched back to its
 *   previous properties (and physical id), then UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS deletes
 *   what the update created; UPDATE_ROLLBACK_COMPLETE. A resource that cannot be put back leaves the
 *   stack UPDATE_ROLLBACK_FAILED until ContinueUpdateRollback (ResourcesToSkip).
 *
 * The update of one resource in place is one step. A service that carries it out itself (an ECS
 * service's rollout, which its circuit breaker may fail) is asked through `startServiceUpdate` and
 * answers `serviceAnswered`; any other takes `resourceUpdater`'s time (by default the dated table's)
 * and succeeds, an outcome decided when the step starts and kept in the state, so a restarted sandbox
 * ends the step the same way (a service's rollout is started again).
 */

/** One resource's in-place update (or, in a rollback, back to `after` = its previous properties). */
export interface ResourceUpdate {
  stack: StackRecord;
  resource: ResourceRecord;
  before: Record<string, unknown>;
  after: Record<string, unknown>;
  rollback: boolean;
}

/** How long the update takes (unscaled seconds), and why it fails if it does. */
export interface ResourceUpdateOutcome {
  seconds: number;
  failure?: string;
}

export type ResourceUpdater = (update: ResourceUpdate) => ResourceUpdateOutcome;

/** The default: the dated table's time (src/cfn/resource-timing.ts), and success. */
export const defaultResourceUpdater: ResourceUpdater = ({ resource, after }) => ({ seconds: resourceSeconds(resource.type, 'update', after) });

export interface UpdateStackRequest {
  templateBody?: string;
  templateFromUrl?: boolean;
  usePreviousTemplate?: boolean;
  parameters: Array<GivenParameter & { UsePreviousValue?: string | undefined }>;
  capabilities: string[];
  tags: GivenTag[];
  roleArn?: string;
  clientRequestToken?: string;
  /** Checked already (stack-policy.ts). */
  stackPolicyBody?: string;
  stackPolicyDuringUpdateBody?: string;
}

/** An update checked and worked out, not yet started (UpdateStack's, or a change set's). */
export interface PreparedUpdate {
  template: CfnTemplate;
  templateBody: string;
  parameters: Record<string, string>;
  resolvedParameters: Record<string, string>;
  tags: StackRecord['tags'];
  present: string[];
}

/** The caller's action an update is authorized as (UpdateStack, or CreateChangeSet with its name). */
export interface CallerUpdateAction {
  action: string;
  context?: Record<string, string>;
}

export interface StackUpdateHooks {
  /** The engine's create of one resource (its checks, IAM, names, timing); it ends in `advance`. */
  startCreate(stack: StackRecord, resource: ResourceRecord): void;
  /** The engine's cancelling of a create in flight (its timers, signals, custom request). */
  cancelCreate(stack: StackRecord, resource: ResourceRecord): void;
  /** The engine's delete of one resource (no injected delete failure), with a database's final snapshot or not; it ends in `advance`. */
  startDelete(stack: StackRecord, resource: ResourceRecord, finalSnapshot: boolean): void;
  /** A database's final snapshot before its old physical resource goes: IAM's refusal, or how long it takes (db-snapshots.ts). */
  finalSnapshot(stack: StackRecord, source: SnapshotSource): { denial: string } | { seconds: number };
  /** Why a new physical resource cannot be made, as a create is checked (names, values, IAM, references, region). */
  createRefusal(stack: StackRecord, resource: ResourceRecord, physicalId: string, properties: Record<string, unknown>): string | undefined;
  /** An Update request to a custom resource's handler; its answer comes back as `customAnswered`. */
  startCustomUpdate(stack: StackRecord, resource: ResourceRecord, update: CustomUpdate): void;
  /**
   * A resource whose service carries out the update itself, over time (an ECS service's rollout, which
   * its circuit breaker may fail): true when it started, and its end comes back as `serviceAnswered`.
   * False: the update is the table's time (resourceUpdater).
   */
  startServiceUpdate(stack: StackRecord, resource: ResourceRecord, before: Record<string, unknown>, after: Record<string, unknown>): boolean;
  /** The update stops waiting for the service (failed or cancelled): a late answer must not end a later step. */
  stopServiceUpdate(stack: StackRecord, resource: ResourceRecord): void;
  /** The Delete request for the physical resource a custom resource's Update replaced. */
  deleteCustomReplaced(stack: StackRecord, resource: ResourceRecord, physicalId: string, properties: Record<string, unknown>): void;
  advance(stack: StackRecord): void;
  /** The stack's outputs as the template now resolves them (TemplateResolutionError if one cannot be). */
  outputs(stack: StackRecord): OutputRecord[];
  uuid(purpose: string): string;
  now(): number;
}

export interface StackUpdateOptions {
  events: CloudFormationEvents;
  timers: SandboxTimers;
  templates: StackTemplates;
  accounts: AccountRegistry;
  permissions: StackPermissions;
  faults: FaultRegistry;
  speed: number;
  hooks: StackUpdateHooks;
}

/** The statuses UpdateStack starts from (API Reference, UpdateStack; User Guide, "Stack status codes"). */
const UPDATABLE = new Set(['CREATE_COMPLETE', 'UPDATE_COMPLETE', 'UPDATE_ROLLBACK_COMPLETE']);
const UPDATE_OPERATIONS = new Set<string>(['UPDATE', 'UPDATE_CLEANUP', 'UPDATE_ROLLBACK', 'UPDATE_ROLLBACK_CLEANUP']);
/** CloudFormation's reason on the UPDATE_IN_PROGRESS of a resource it replaces. */
const REPLACING = 'Requested update requires the creation of a new physical resource; hence creating one.';

export class StackUpdates {
  /** Replaceable: how one resource's in-place update goes (see ResourceUpdater). */
  resourceUpdater: ResourceUpdater = defaultResourceUpdater;
  private readonly previousTemplates = new Map<string, CfnTemplate>();

  constructor(private readonly options: StackUpdateOptions) {}

  handles(stack: StackRecord): boolean {
    return stack.operation !== undefined && UPDATE_OPERATIONS.has(stack.operation);
  }

  // ---- UpdateStack ------------------------------------------------------------------------------

  updateStack(stack: StackRecord, request: UpdateStackRequest, caller?: Caller): void {
    // A retry of the request that started the update is answered as the first time.
    if (request.clientRequestToken !== undefined && request.clientRequestToken === stack.clientRequestToken && stack.lastUpdatedTime !== undefined) return;
    const next = this.prepareUpdate(stack, request, caller);
    if (!this.planUpdate(stack, next).changes) throw new ValidationError('No updates are to be performed.');
    this.startUpdate(stack, request, next);
  }

  /**
   * The update a request asks for, checked as UpdateStack checks it (the stack's status, the
   * template, parameters, rules, the caller's IAM as `action`, the role): what a change set records.
   */
  prepareUpdate(stack: StackRecord, request: UpdateStackRequest, caller?: Caller, action: CallerUpdateAction = { action: 'cloudformation:UpdateStack' }): PreparedUpdate {
    // As CloudFormation refuses it (e.g. "Stack:arn:aws:cloudformation:…:stack/acme-inc/… is in
    // UPDATE_IN_PROGRESS state and can not be updated.", remind101/empire#932).
    if (!UPDATABLE.has(stack.status)) throw new ValidationError(`Stack:${stack.stackId} is in ${stack.status} state and can not be updated.`);
    const templateBody = this.templateBodyOf(stack, request);
    const given = this.parametersOf(stack, request);
    const tagsGiven = request.tags.length > 0;
    const { template, parameters, tags } = checkCreateStackRequest({
      stackName: stack.stackName,
      templateBody,
      ...(request.templateFromUrl === undefined ? {} : { templateFromUrl: request.templateFromUrl }),
      parameters: given,
      capabilities: request.capabilities,
      tags: tagsGiven ? request.tags : stack.tags,
      notificationArns: [],
    });
    const resolvedParameters = resolveSsmParameters(template, parameters, stack.region);
    checkAvailabilityZoneParameters(template, parameters, stack.region);
    checkLanguageExtensions(template);
    const { accounts, permissions } = this.options;
    enforceRules(template, {
      parameters: { ...parameters, ...resolvedParameters },
      account: stack.account,
      region: stack.region,
      stackName: stack.stackName,
      idsOfType: (type) => accounts.liveIdsOfParameterType(stack.account, stack.region, type),
    });
    if (caller) {
      permissions.checkUpdateStack(caller, stack.region, stack, request.roleArn, Object.values(template.Resources).map((resource) => resource.Type), action);
      // As at CreateStack, SSM-typed parameters are read with the caller's own credentials.
      permissions.checkParameterReads(caller, stack.region, Object.keys(resolvedParameters).flatMap((key) => (parameters[key] ?? '').split(',').map((name) => name.trim())));
    }
    if (request.roleArn !== undefined) accounts.checkStackRole(stack.account, request.roleArn);

    const identity = { stackId: stack.stackId, stackName: stack.stackName, account: stack.account, region: stack.region, parameters: { ...parameters, ...resolvedParameters } };
    const { present } = plannedResources(template, identity);
    // "Update of resource type is not permitted. The new template modifies resource type of the
    // following resources: [X]" (CloudFormation's refusal; a type change is a new logical id in AWS's advice).
    const retyped = present.filter((logicalId) => {
      const existing = stack.resources.find((resource) => resource.logicalId === logicalId);
      return existing !== undefined && existing.type !== template.Resources[logicalId]?.Type;
    });
    if (retyped.length > 0) throw new ValidationError(`Update of resource type is not permitted. The new template modifies resource type of the following resources: [${retyped.join(', ')}]`);

    return { template, templateBody, parameters, resolvedParameters, tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })), present };
  }

  /** Starts a prepared update (UpdateStack, or ExecuteChangeSet with the change set's): UPDATE_IN_PROGRESS. */
  startUpdate(stack: StackRecord, request: UpdateStackRequest, next: PreparedUpdate): void {
    const { templates } = this.options;
    const { template, templateBody, parameters, resolvedParameters, present } = next;
    const previousPolicy = stack.stackPolicy;
    const update: UpdateRecord = {
      previous: {
        templateBody: stack.templateBody,
        parameters: stack.parameters,
        resolvedParameters: stack.resolvedParameters,
        capabilities: stack.capabilities,
        tags: stack.tags,
        outputs: stack.outputs,
        ...(stack.description === undefined ? {} : { description: stack.description }),
        ...(stack.roleArn === undefined ? {} : { roleArn: stack.roleArn }),
      },
      before: Object.fromEntries(
        stack.resources.map((resource) => [
          resource.logicalId,
          {
            ...(resource.physicalId === undefined ? {} : { physicalId: resource.physicalId }),
            ...(resource.properties === undefined ? {} : { properties: resource.properties }),
            ...(resource.data === undefined ? {} : { data: resource.data }),
          },
        ]),
      ),
      removed: stack.resources.map((resource) => resource.logicalId).filter((logicalId) => !present.includes(logicalId)),
      done: [],
      rolledBack: [],
      rollbackFailed: [],
      ...((request.stackPolicyDuringUpdateBody ?? previousPolicy) === undefined ? {} : { policy: request.stackPolicyDuringUpdateBody ?? previousPolicy }),
    };
    this.previousTemplates.set(stack.stackId, templates.template(stack));
    stack.update = update;
    stack.templateBody = templateBody;
    stack.parameters = parameters;
    stack.resolvedParameters = resolvedParameters;
    stack.capabilities = request.capabilities;
    stack.tags = next.tags;
    if (template.Description === undefined) delete stack.description;
    else stack.description = template.Description;
    if (request.roleArn !== undefined) stack.roleArn = request.roleArn;
    // UpdateStack's StackPolicyBody replaces the stack's policy; this update is held to the one before (or DuringUpdate's).
    if (request.stackPolicyBody !== undefined) stack.stackPolicy = request.stackPolicyBody;
    if (request.clientRequestToken === undefined) delete stack.clientRequestToken;
    else stack.clientRequestToken = request.clientRequestToken;
    const now = this.options.hooks.now();
    stack.lastUpdatedTime = now;
    const added = present.filter((logicalId) => !stack.resources.some((resource) => resource.logicalId === logicalId));
    stack.resources.push(...added.map((logicalId) => ({ logicalId, type: template.Resources[logicalId]?.Type ?? '', updatedAt: now })));
    templates.remember(stack.stackId, template, dependencyGraph(template, stack.resources.map((resource) => resource.logicalId)));
    obsoleteChangeSets(stack);
    this.begin(stack, 'UPDATE', 'UPDATE_IN_PROGRESS', 'User Initiated');
  }

  /** CancelUpdateStack: an update in progress rolls back ("Stack update cancelled"). */
  cancelUpdate(stack: StackRecord): void {
    // AWS documents that only UPDATE_IN_PROGRESS can be cancelled (API Reference, CancelUpdateStack,
    // https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_CancelUpdateStack.html);
    // the refusal's words are those tools report ("CancelUpdateStack cannot be called from current stack status").
    if (stack.operation !== 'UPDATE') throw new ValidationError('CancelUpdateStack cannot be called from current stack status');
    this.fail(stack, 'Stack update cancelled');
  }

  /**
   * ContinueUpdateRollback: from UPDATE_ROLLBACK_FAILED, the rollback carries on; the resources to
   * skip are marked UPDATE_COMPLETE and left as they are ("CloudFormation sets the status of the
   * specified resources to UPDATE_COMPLETE and continues to roll back the stack", API Reference,
   * ContinueUpdateRollback, https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_ContinueUpdateRollback.html).
   * AWS's words for the refusals are not documented; these say what the reference requires.
   */
  continueRollback(stack: StackRecord, resourcesToSkip: readonly string[]): void {
    const update = stack.update;
    if (stack.status !== 'UPDATE_ROLLBACK_FAILED' || update === undefined) {
      throw new ValidationError(`Stack ${stack.stackId} is in ${stack.status} state; ContinueUpdateRollback can be called only in UPDATE_ROLLBACK_FAILED state`);
    }
    const notFailed = resourcesToSkip.filter((logicalId) => !update.rollbackFailed.includes(logicalId));
    if (notFailed.length > 0) throw new ValidationError(`ResourcesToSkip must name resources in UPDATE_FAILED state. Not failed: [${notFailed.join(', ')}]`);
    for (const logicalId of resourcesToSkip) {
      const resource = stack.resources.find((candidate) => candidate.logicalId === logicalId);
      if (resource) this.options.events.resourceStatus(stack, resource, 'UPDATE_COMPLETE');
      update.rolledBack.push(logicalId);
    }
    update.rollbackFailed = [];
    this.begin(stack, 'UPDATE_ROLLBACK', 'UPDATE_ROLLBACK_IN_PROGRESS', 'User Initiated');
  }

  // ---- progress -------------------------------------------------------------------------------

  advance(stack: StackRecord): void {
    const update = stack.update;
    if (update === undefined) return;
    if (stack.operation === 'UPDATE') this.advanceUpdate(stack, update);
    else if (stack.operation === 'UPDATE_CLEANUP') this.advanceCleanup(stack, update);
    else if (stack.operation === 'UPDATE_ROLLBACK') this.advanceRollback(stack, update);
    else if (stack.operation === 'UPDATE_ROLLBACK_CLEANUP') this.advanceRollbackCleanup(stack, update);
  }

  /** After a restart: the timers of the steps in flight (the engine resumes creates and deletes). */
  resume(stack: StackRecord, resource: ResourceRecord): void {
    if (resource.status === 'UPDATE_IN_PROGRESS' && resource.dueAt !== undefined) {
      this.options.timers.schedule(resourceTimerKey(stack, resource), resource.dueAt, () => this.finishStep(stack, resource));
    } else if (resource.status === 'UPDATE_IN_PROGRESS' && !resource.pending && stack.update !== undefined && resource.target !== undefined) {
      // A step the service carried out itself (an ECS rollout): what ran it was not kept, so it starts
      // again toward the same properties, forward or back; without a service to ask, it ends now.
      const from = stack.update.before[resource.logicalId]?.properties ?? resource.properties ?? {};
      const forward = stack.operation === 'UPDATE';
      if (!this.options.hooks.startServiceUpdate(stack, resource, forward ? from : resource.properties ?? {}, resource.target)) this.finishStep(stack, resource);
    }
    if (resource.replaced?.dueAt !== undefined) {
      this.options.timers.schedule(`${resourceTimerKey(stack, resource)}#replaced`, resource.replaced.dueAt, () => this.finishReplacedDelete(stack, resource));
    }
  }

  private advanceUpdate(stack: StackRecord, update: UpdateRecord): void {
    const failed = () => stack.resources.filter((resource) => resource.status === 'UPDATE_FAILED' || resource.status === 'CREATE_FAILED');
    // What the template drops must be allowed to go (Update:Delete) before anything changes.
    for (const logicalId of update.removed) {
      if (update.done.includes(logicalId)) continue;
      const resource = this.resource(stack, logicalId);
      const denied = stackPolicyDenial(update.policy, 'Update:Delete', logicalId, resource.type);
      if (denied !== undefined) this.options.events.resourceStatus(stack, resource, 'UPDATE_FAILED', denied);
      else update.done.push(logicalId);
    }
    if (failed().length > 0) {
      this.fail(stack);
      return;
    }
    const graph = this.options.templates.graph(stack);
    const settled = (logicalId: string) => update.done.includes(logicalId) || (update.before[logicalId] === undefined && this.resource(stack, logicalId).status === 'CREATE_COMPLETE');
    const present = stack.resources.filter((resource) => !update.removed.includes(resource.logicalId));
    for (const resource of present) {
      if (settled(resource.logicalId) || resource.status?.endsWith('_IN_PROGRESS') || resource.status?.endsWith('_FAILED')) continue;
      const ready = (graph.get(resource.logicalId) ?? []).every(settled);
      if (!ready) continue;
      if (update.before[resource.logicalId] === undefined) {
        if (resource.status === undefined) this.options.hooks.startCreate(stack, resource);
      } else this.startStep(stack, update, resource);
    }
    if (failed().length > 0) {
      this.fail(stack);
      return;
    }
    if (present.every((resource) => settled(resource.logicalId))) this.completeUpdate(stack, update);
  }

  /** One existing resource: unchanged (nothing happens), updated in place, or replaced. */
  private startStep(stack: StackRecord, update: UpdateRecord, resource: ResourceRecord): void {
    const { events, templates, permissions, faults } = this.options;
    const definition = templates.template(stack).Resources[resource.logicalId];
    let after: Record<string, unknown>;
    try {
      after = (templates.evaluator(stack).resolve(definition?.Properties ?? {}) ?? {}) as Record<string, unknown>;
    } catch (error) {
      if (!(error instanceof TemplateResolutionError)) throw error;
      events.resourceStatus(stack, resource, 'UPDATE_FAILED', error.message);
      return;
    }
    const before = update.before[resource.logicalId]?.properties ?? {};
    if (sameValue(before, after)) {
      update.done.push(resource.logicalId);
      return;
    }
    // Not run here yet: an update of a nested stack. Failing says so, where passing would pretend the child had changed.
    if (resource.type === NESTED_STACK_TYPE) {
      events.resourceStatus(stack, resource, 'UPDATE_FAILED', `The sandbox does not update ${resource.type} resources in place (no Update request is sent); change its logical id to replace it.`);
      return;
    }
    const replacing = replacingChanges(resource.type, before, after).length > 0;
    const denied = stackPolicyDenial(update.policy, replacing ? 'Update:Replace' : 'Update:Modify', resource.logicalId, resource.type);
    if (denied !== undefined) {
      events.resourceStatus(stack, resource, 'UPDATE_FAILED', denied);
      return;
    }
    const name = customName(resource.type, before);
    if (replacing && name !== undefined && name === customName(resource.type, after)) {
      events.resourceStatus(stack, resource, 'UPDATE_FAILED', `CloudFormation cannot update a stack when a custom-named resource requires replacing. Rename ${name} and update the stack again.`);
      return;
    }
    // A replacement is a create, checked as one; an in-place update asks the stack's role for the schema's update handler.
    const physicalId = replacing ? this.replacementId(stack, resource) : (resource.physicalId ?? '');
    const refused = replacing ? this.options.hooks.createRefusal(stack, resource, physicalId, after) : permissions.handlerDenial(stack, { ...resource, properties: after }, physicalId, 'update');
    if (refused !== undefined) {
      events.resourceStatus(stack, resource, 'UPDATE_FAILED', refused);
      return;
    }
    resource.target = after;
    if (isCustomResourceType(resource.type)) {
      events.resourceStatus(stack, resource, 'UPDATE_IN_PROGRESS');
      const failure = faults.updateFailure(resource.type, stack.stackName, resource.logicalId);
      if (failure !== undefined) this.schedule(stack, resource, resourceSeconds(resource.type, 'update'), failure);
      else this.options.hooks.startCustomUpdate(stack, resource, { properties: after, oldProperties: before });
      return;
    }
    if (replacing) {
      events.resourceStatus(stack, resource, 'UPDATE_IN_PROGRESS', REPLACING);
      resource.replaced = { physicalId: resource.physicalId ?? '', properties: before };
      resource.physicalId = physicalId;
      events.resourceStatus(stack, resource, 'UPDATE_IN_PROGRESS', 'Resource creation Initiated');
    } else events.resourceStatus(stack, resource, 'UPDATE_IN_PROGRESS');
    const injected = faults.updateFailure(resource.type, stack.stackName, resource.logicalId);
    if (!replacing && injected === undefined && this.options.hooks.startServiceUpdate(stack, resource, before, after)) return;
    const outcome = replacing ? { seconds: resourceSeconds(resource.type, 'create', after) } : this.resourceUpdater({ stack, resource, before, after, rollback: false });
    this.schedule(stack, resource, outcome.seconds, outcome.failure ?? injected);
  }

  /** The service carrying out a resource's update (startServiceUpdate) is done, or failed. */
  serviceAnswered(stack: StackRecord, resource: ResourceRecord, failure: string | undefined): void {
    if (resource.status !== 'UPDATE_IN_PROGRESS' || stack.update === undefined) return;
    if (failure !== undefined) resource.failure = failure;
    else delete resource.failure;
    this.finishStep(stack, resource);
  }

  private schedule(stack: StackRecord, resource: ResourceRecord, seconds: number, failure: string | undefined): void {
    if (failure === undefined) delete resource.failure;
    else resource.failure = failure;
    // An injected failure comes part-way, as a service error would.
    resource.dueAt = this.options.hooks.now() + scaledMilliseconds(seconds * (failure === undefined ? 1 : 0.5), this.options.speed);
    this.options.timers.schedule(resourceTimerKey(stack, resource), resource.dueAt, () => this.finishStep(stack, resource));
  }

  /**
   * A custom resource's handler answered an Update (or it failed). A new PhysicalResourceId replaces
   * the resource: "If the value returned is different, AWS CloudFormation recognizes the update as a
   * replacement and sends a delete request to the old resource" (User Guide, Delete request,
   * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/crpg-ref-requesttypes-delete.html;
   * the Update request, crpg-ref-requesttypes-update.html). The Delete goes out in the cleanup.
   */
  customAnswered(stack: StackRecord, resource: ResourceRecord, outcome: { failure?: string; physicalId?: string }): void {
    const update = stack.update;
    if (resource.status !== 'UPDATE_IN_PROGRESS' || update === undefined) return;
    if (outcome.failure !== undefined) resource.failure = outcome.failure;
    else if (stack.operation === 'UPDATE' && outcome.physicalId !== undefined && outcome.physicalId !== resource.physicalId) {
      resource.replaced = { physicalId: resource.physicalId ?? '', properties: update.before[resource.logicalId]?.properties ?? {} };
      resource.physicalId = outcome.physicalId;
    }
    this.finishStep(stack, resource);
  }

  /** An update step (forward or back) ends. */
  private finishStep(stack: StackRecord, resource: ResourceRecord): void {
    const update = stack.update;
    if (resource.status !== 'UPDATE_IN_PROGRESS' || update === undefined) return;
    delete resource.dueAt;
    const rollback = stack.operation === 'UPDATE_ROLLBACK';
    const { events, accounts, templates } = this.options;
    if (resource.failure !== undefined) {
      const reason = resource.failure;
      delete resource.failure;
      // `target` stays: what the update attempted, which the rollback's request names as the old properties.
      events.resourceStatus(stack, resource, 'UPDATE_FAILED', reason);
      if (rollback) update.rollbackFailed.push(resource.logicalId);
    } else {
      if (resource.target !== undefined) resource.properties = resource.target;
      delete resource.target;
      events.resourceStatus(stack, resource, 'UPDATE_COMPLETE');
      // What the account knows of it (a role's policies, a rule's targets) follows its properties.
      accounts.unregisterDeleted(stack, resource);
      accounts.registerCreated(stack, resource, templates.evaluator(stack));
      (rollback ? update.rolledBack : update.done).push(resource.logicalId);
    }
    this.options.hooks.advance(stack);
  }

  /** The update phase is over: the outputs and exports, then the cleanup. */
  private completeUpdate(stack: StackRecord, update: UpdateRecord): void {
    const { accounts, templates } = this.options;
    let outputs: OutputRecord[];
    try {
      outputs = this.options.hooks.outputs(stack);
    } catch (error) {
      if (!(error instanceof TemplateResolutionError)) throw error;
      this.beginRollback(stack, error.message);
      return;
    }
    const inUse = accounts.exportInUse(
      stack,
      (other) => templates.importedNames(other),
      (exported) => {
        const kept = outputs.find((output) => output.exportName === exported.name);
        if (kept === undefined) return 'delete';
        return kept.value === exported.value ? undefined : 'update';
      },
    );
    if (inUse !== undefined) {
      this.beginRollback(stack, inUse);
      return;
    }
    stack.outputs = outputs;
    accounts.removeExports(stack);
    accounts.addExports(stack, outputs);
    this.begin(stack, 'UPDATE_CLEANUP', 'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS');
  }

  // ---- cleanup --------------------------------------------------------------------------------

  private advanceCleanup(stack: StackRecord, update: UpdateRecord): void {
    const previous = this.previousTemplate(stack, update);
    const oldGraph = dependencyGraph(previous, Object.keys(update.before));
    const removed = update.removed.map((logicalId) => this.resource(stack, logicalId));
    const gone = (resource: ResourceRecord) => !resource.exists || GONE.has(resource.status ?? '') || resource.status === 'DELETE_FAILED';
    for (const resource of removed) {
      if (gone(resource) || resource.status === 'DELETE_IN_PROGRESS') continue;
      const dependents = removed.filter((other) => (oldGraph.get(other.logicalId) ?? []).includes(resource.logicalId));
      if (!dependents.every(gone)) continue;
      const policy = previous.Resources[resource.logicalId]?.DeletionPolicy;
      // The DeletionPolicy applies to a resource the update removes (Template Reference, "DeletionPolicy attribute").
      if (policy === 'Retain' || policy === 'RetainExceptOnCreate') this.options.events.resourceStatus(stack, resource, 'DELETE_SKIPPED');
      else this.options.hooks.startDelete(stack, resource, snapshotRequested(resource.type, resource.properties ?? {}, policy, 'delete'));
    }
    for (const resource of stack.resources) {
      if (resource.replaced === undefined || resource.replaced.status !== undefined) continue;
      const policy = this.options.templates.template(stack).Resources[resource.logicalId]?.UpdateReplacePolicy;
      this.deleteReplaced(stack, resource, policy === 'Retain', snapshotRequested(resource.type, resource.replaced.properties, policy, 'replace'));
    }
    const busy = removed.some((resource) => resource.status === 'DELETE_IN_PROGRESS') || stack.resources.some((resource) => resource.replaced?.status === 'DELETE_IN_PROGRESS');
    if (busy || !removed.every(gone)) return;
    this.finish(stack, 'UPDATE_COMPLETE', (resource) => update.removed.includes(resource.logicalId));
  }

  /** The old physical resource of a replaced one: deleted (or kept), with events under the same logical id. */
  private deleteReplaced(stack: StackRecord, resource: ResourceRecord, retain: boolean, finalSnapshot = false): void {
    const replaced = resource.replaced;
    if (replaced === undefined) return;
    if (retain) {
      replaced.status = 'DELETE_SKIPPED';
      this.replacedEvent(stack, resource, 'DELETE_SKIPPED');
      return;
    }
    replaced.status = 'DELETE_IN_PROGRESS';
    this.replacedEvent(stack, resource, 'DELETE_IN_PROGRESS');
    if (isCustomResourceType(resource.type)) this.options.hooks.deleteCustomReplaced(stack, resource, replaced.physicalId, replaced.properties);
    // UpdateReplacePolicy Snapshot: the old database's final snapshot first (a refusal fails its delete).
    const taken = finalSnapshot ? this.options.hooks.finalSnapshot(stack, { logicalId: resource.logicalId, type: resource.type, physicalId: replaced.physicalId, properties: replaced.properties }) : { seconds: 0 };
    if ('denial' in taken) {
      replaced.status = 'DELETE_FAILED';
      this.replacedEvent(stack, resource, 'DELETE_FAILED', taken.denial);
      return;
    }
    replaced.dueAt = this.options.hooks.now() + scaledMilliseconds(resourceSeconds(resource.type, 'delete', replaced.properties) + taken.seconds, this.options.speed);
    this.options.timers.schedule(`${resourceTimerKey(stack, resource)}#replaced`, replaced.dueAt, () => this.finishReplacedDelete(stack, resource));
  }

  private finishReplacedDelete(stack: StackRecord, resource: ResourceRecord): void {
    const replaced = resource.replaced;
    if (replaced?.status !== 'DELETE_IN_PROGRESS') return;
    delete replaced.dueAt;
    replaced.status = 'DELETE_COMPLETE';
    this.replacedEvent(stack, resource, 'DELETE_COMPLETE');
    this.options.hooks.advance(stack);
  }

  /** An event of the superseded physical resource; the stack resource keeps its own status. */
  private replacedEvent(stack: StackRecord, resource: ResourceRecord, status: string, reason?: string): void {
    const stand: ResourceRecord = { logicalId: resource.logicalId, type: resource.type, physicalId: resource.replaced?.physicalId ?? '', updatedAt: resource.updatedAt };
    this.options.events.resourceStatus(stack, stand, status, reason);
  }

  // ---- rollback -------------------------------------------------------------------------------

  /** A resource failed (or the update was cancelled): stop what is in flight, then roll back. */
  private fail(stack: StackRecord, reason?: string): void {
    const { events, timers } = this.options;
    const failedUpdates = stack.resources.filter((resource) => resource.status === 'UPDATE_FAILED').map((resource) => resource.logicalId);
    const failedCreates = stack.resources.filter((resource) => resource.status === 'CREATE_FAILED').map((resource) => resource.logicalId);
    for (const resource of stack.resources) {
      if (resource.status === 'CREATE_IN_PROGRESS') this.options.hooks.cancelCreate(stack, resource);
      if (resource.status !== 'UPDATE_IN_PROGRESS') continue;
      timers.clear(resourceTimerKey(stack, resource));
      // A custom resource's request still awaited is no longer (a late answer is ignored), nor a service's rollout.
      timers.clear(`${resourceTimerKey(stack, resource)}#publish`);
      this.options.hooks.stopServiceUpdate(stack, resource);
      delete resource.pending;
      delete resource.dueAt;
      delete resource.failure;
      events.resourceStatus(stack, resource, 'UPDATE_FAILED', 'Resource update cancelled');
    }
    const cause =
      reason ??
      (failedUpdates.length > 0 ? `The following resource(s) failed to update: [${failedUpdates.join(', ')}]. ` : `The following resource(s) failed to create: [${failedCreates.join(', ')}]. `);
    this.beginRollback(stack, cause);
  }

  private beginRollback(stack: StackRecord, reason: string): void {
    const update = stack.update;
    if (update === undefined) return;
    const { previous } = update;
    const { templates } = this.options;
    const template = this.previousTemplate(stack, update);
    Object.assign(stack, { templateBody: previous.templateBody, parameters: previous.parameters, resolvedParameters: previous.resolvedParameters, capabilities: previous.capabilities, tags: previous.tags });
    if (previous.description === undefined) delete stack.description;
    else stack.description = previous.description;
    if (previous.roleArn === undefined) delete stack.roleArn;
    else stack.roleArn = previous.roleArn;
    templates.remember(stack.stackId, template, dependencyGraph(template, stack.resources.map((resource) => resource.logicalId)));
    this.begin(stack, 'UPDATE_ROLLBACK', 'UPDATE_ROLLBACK_IN_PROGRESS', reason);
  }

  private advanceRollback(stack: StackRecord, update: UpdateRecord): void {
    const graph = this.options.templates.graph(stack);
    const needsPutting = (resource: ResourceRecord) =>
      update.before[resource.logicalId] !== undefined &&
      (resource.status === 'UPDATE_COMPLETE' || resource.status === 'UPDATE_FAILED' || resource.status === 'UPDATE_IN_PROGRESS') &&
      !update.rolledBack.includes(resource.logicalId);
    const busy = () => stack.resources.some((resource) => resource.status === 'UPDATE_IN_PROGRESS');
    // Once one cannot be put back, nothing new starts; what is in flight ends, then the stack fails.
    if (update.rollbackFailed.length === 0) {
      for (const resource of stack.resources) {
        if (!needsPutting(resource) || resource.status === 'UPDATE_IN_PROGRESS') continue;
        const waiting = (graph.get(resource.logicalId) ?? []).some((dependency) => {
          const other = this.resource(stack, dependency);
          return needsPutting(other);
        });
        if (!waiting) this.startPutBack(stack, update, resource);
      }
    }
    if (busy()) return;
    if (update.rollbackFailed.length > 0) {
      delete stack.operation;
      settleChangeSets(stack, 'UPDATE_ROLLBACK_FAILED');
      this.options.events.stackEvent(stack, 'UPDATE_ROLLBACK_FAILED', `The following resource(s) failed to update: [${update.rollbackFailed.join(', ')}]. `);
      return;
    }
    if (stack.resources.some(needsPutting)) return;
    this.begin(stack, 'UPDATE_ROLLBACK_CLEANUP', 'UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS');
  }

  /** A resource the update touched goes back to its previous properties (and physical resource). */
  private startPutBack(stack: StackRecord, update: UpdateRecord, resource: ResourceRecord): void {
    const before = update.before[resource.logicalId];
    const previous = before?.properties ?? {};
    const current = resource.target ?? resource.properties ?? {};
    this.options.events.resourceStatus(stack, resource, 'UPDATE_IN_PROGRESS');
    resource.target = previous;
    let seconds: number;
    if (resource.replaced !== undefined) {
      // The old physical resource was never deleted: the stack points at it again, and the new
      // one (if it was made) is deleted in the rollback's cleanup.
      const made = resource.physicalId;
      resource.physicalId = resource.replaced.physicalId;
      if (before?.data !== undefined) resource.data = before.data;
      if (made !== undefined && resource.status === 'UPDATE_COMPLETE' && resource.exists !== false) resource.replaced = { physicalId: made, properties: current };
      else delete resource.replaced;
      seconds = 1;
    } else if (isCustomResourceType(resource.type)) {
      // The handler is asked to put its old properties back, as CloudFormation asks it.
      const failure = this.takeRollbackFault(stack, update, resource);
      if (failure !== undefined) this.schedule(stack, resource, resourceSeconds(resource.type, 'update'), failure);
      else this.options.hooks.startCustomUpdate(stack, resource, { properties: previous, oldProperties: current });
      return;
    } else {
      const fault = this.takeRollbackFault(stack, update, resource);
      // A service that rolls itself out (an ECS service back to its previous task definition) ends in serviceAnswered.
      if (fault === undefined && this.options.hooks.startServiceUpdate(stack, resource, current, previous)) return;
      const outcome = this.resourceUpdater({ stack, resource, before: current, after: previous, rollback: true });
      this.schedule(stack, resource, outcome.seconds, outcome.failure ?? fault);
      return;
    }
    this.schedule(stack, resource, seconds, this.takeRollbackFault(stack, update, resource));
  }

  /** The injected rollback failure for this resource, once per rollback. */
  private takeRollbackFault(stack: StackRecord, update: UpdateRecord, resource: ResourceRecord): string | undefined {
    const failure = update.rollbackFaultSpent ? undefined : this.options.faults.takeRollbackFailure(resource, stack.stackName, stack.stackId);
    if (failure !== undefined) update.rollbackFaultSpent = true;
    return failure;
  }

  private advanceRollbackCleanup(stack: StackRecord, update: UpdateRecord): void {
    const added = stack.resources.filter((resource) => update.before[resource.logicalId] === undefined);
    const gone = (resource: ResourceRecord) => !resource.exists || GONE.has(resource.status ?? '') || resource.status === 'DELETE_FAILED';
    const graph = this.options.templates.graph(stack);
    for (const resource of added) {
      if (gone(resource) || resource.status === 'DELETE_IN_PROGRESS') continue;
      const dependents = added.filter((other) => (graph.get(other.logicalId) ?? []).includes(resource.logicalId));
      // What the update made has no data of the customer's yet: no final snapshot (a sandbox choice, see README).
      if (dependents.every(gone)) this.options.hooks.startDelete(stack, resource, false);
    }
    for (const resource of stack.resources) if (resource.replaced !== undefined && resource.replaced.status === undefined) this.deleteReplaced(stack, resource, false);
    const busy = added.some((resource) => resource.status === 'DELETE_IN_PROGRESS') || stack.resources.some((resource) => resource.replaced?.status === 'DELETE_IN_PROGRESS');
    if (busy || !added.every(gone)) return;
    stack.outputs = update.previous.outputs;
    this.finish(stack, 'UPDATE_ROLLBACK_COMPLETE', (resource) => update.before[resource.logicalId] === undefined);
  }

  // ---- helpers --------------------------------------------------------------------------------

  /** The update is over: what it dropped leaves the stack, and the stack takes its final status. */
  private finish(stack: StackRecord, status: 'UPDATE_COMPLETE' | 'UPDATE_ROLLBACK_COMPLETE', leaves: (resource: ResourceRecord) => boolean): void {
    stack.resources = stack.resources.filter((resource) => !leaves(resource));
    for (const resource of stack.resources) delete resource.replaced;
    delete stack.update;
    delete stack.operation;
    this.previousTemplates.delete(stack.stackId);
    settleChangeSets(stack, status);
    const template = this.options.templates.template(stack);
    this.options.templates.remember(stack.stackId, template, dependencyGraph(template, stack.resources.map((resource) => resource.logicalId)));
    this.options.events.stackEvent(stack, status);
  }

  private begin(stack: StackRecord, operation: UpdateOperation, status: string, reason?: string): void {
    stack.operation = operation;
    if (stack.update !== undefined && operation === 'UPDATE_ROLLBACK') stack.update.rollbackFaultSpent = false;
    this.options.events.stackEvent(stack, status, reason);
    this.options.timers.schedule(`${stack.stackId}#advance`, this.options.hooks.now(), () => this.options.hooks.advance(stack));
  }

  /**
   * What the update does to each resource (update-plan.ts), and whether it changes anything at all
   * (resources, outputs, tags): UpdateStack's "No updates are to be performed." and a change set's
   * Changes come from this one plan.
   */
  planUpdate(stack: StackRecord, next: PreparedUpdate): { resources: PlannedResource[]; changes: boolean } {
    const evaluator = new TemplateEvaluator(
      next.template,
      { stackId: stack.stackId, stackName: stack.stackName, account: stack.account, region: stack.region, parameters: { ...next.parameters, ...next.resolvedParameters } },
      {
        physicalId: (logicalId) => stack.resources.find((resource) => resource.logicalId === logicalId)?.physicalId,
        customAttribute: (logicalId, attribute) => stack.resources.find((resource) => resource.logicalId === logicalId)?.data?.[attribute],
        exportValue: (name) => this.options.accounts.exportValue(stack, name),
      },
    );
    const resources = planResources(stack.resources, next.present, (logicalId) => next.template.Resources[logicalId]?.Type ?? '', (logicalId) => {
      try {
        return (evaluator.resolve(next.template.Resources[logicalId]?.Properties ?? {}) ?? {}) as Record<string, unknown>;
      } catch (error) {
        // What cannot be worked out before the update runs will change as it runs.
        if (error instanceof TemplateResolutionError) return undefined;
        throw error;
      }
    });
    if (resources.length > 0 || !sameValue(next.tags, stack.tags)) return { resources, changes: true };
    try {
      const outputs = evaluator.outputs({ strict: true });
      return { resources, changes: !sameValue(outputs, Object.fromEntries(stack.outputs.map((output) => [output.key, output.value]))) };
    } catch (error) {
      if (error instanceof TemplateResolutionError) return { resources, changes: true };
      throw error;
    }
  }

  private templateBodyOf(stack: StackRecord, request: UpdateStackRequest): string {
    if (!request.usePreviousTemplate) return request.templateBody ?? '';
    // AWS's words for both at once are not documented; the API reference says to give one of the three.
    if (request.templateBody !== undefined) throw new ValidationError('You cannot specify both usePreviousTemplate and Template Body/Template Url.');
    return stack.templateBody;
  }

  /** UsePreviousValue takes the stack's current value; a key the stack does not have is refused. */
  private parametersOf(stack: StackRecord, request: UpdateStackRequest): GivenParameter[] {
    return request.parameters.map((parameter) => {
      if (parameter.UsePreviousValue !== 'true') return { ParameterKey: parameter.ParameterKey, ParameterValue: parameter.ParameterValue };
      const key = parameter.ParameterKey ?? '';
      if (parameter.ParameterValue !== undefined) throw new ValidationError(`Invalid input for parameter key ${key}. Cannot specify usePreviousValue as true and non empty value for a parameter`);
      const value = stack.parameters[key];
      if (value === undefined) throw new ValidationError(`Invalid input for parameter key ${key}. Cannot specify usePreviousValue as true for a parameter key not in the previous template`);
      return { ParameterKey: key, ParameterValue: value };
    });
  }

  /** A new physical id for a replacement, different from the resource's current one. */
  private replacementId(stack: StackRecord, resource: ResourceRecord): string {
    // A task definition is replaced by the next revision of its family: "Each time that you register a
    // new revision of a task definition in the same family, the revision value always increases by one"
    // (ECS API Reference, TaskDefinition.revision).
    const revision = resource.type === 'AWS::ECS::TaskDefinition' ? /^(arn:[^:]+:ecs:[^:]*:\d*:task-definition\/.+):(\d+)$/.exec(resource.physicalId ?? '') : null;
    if (revision !== null) return `${revision[1]}:${Number(revision[2]) + 1}`;
    const template = this.options.templates.template(stack);
    const identity = { stackId: `${stack.stackId}#${this.options.hooks.uuid(`replacement:${resource.logicalId}`)}`, stackName: stack.stackName, account: stack.account, region: stack.region, parameters: { ...stack.parameters, ...stack.resolvedParameters } };
    const evaluator = new TemplateEvaluator(template, identity, { physicalId: (logicalId) => this.resource(stack, logicalId).physicalId });
    return evaluator.generatedPhysicalId(resource.logicalId);
  }

  private previousTemplate(stack: StackRecord, update: UpdateRecord): CfnTemplate {
    let template = this.previousTemplates.get(stack.stackId);
    if (template === undefined) {
      template = parseTemplateBody(update.previous.templateBody);
      this.previousTemplates.set(stack.stackId, template);
    }
    return template;
  }

  private resource(stack: StackRecord, logicalId: string): ResourceRecord {
    const resource = stack.resources.find((candidate) => candidate.logicalId === logicalId);
    if (resource === undefined) throw new Error(`stack ${stack.stackName} has no resource ${logicalId}`);
    return resource;
  }
}
