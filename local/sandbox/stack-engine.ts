import { resourceSeconds } from '../../src/cfn/resource-timing';
import type { SandboxHooks } from '../contracts';
import { AccountRegistry, GONE, refusedProperties } from './account-registry';
import { CloudFormationEvents } from './cloudformation-events';
import { CustomResources } from './custom-resources';
import { deleteRefusal as cloudMapDeleteRefusal } from './ecs/cloud-map-registrations';
import { DbSnapshots, snapshotRequested } from './db-snapshots';
import { EcsRuntime } from './ecs/ecs-runtime';
import { NESTED_STACK_TYPE, NestedStacks, type Nesting } from './nested-stacks';
import type { Caller } from './caller-identity';
import { AwsApiError, TemplateResolutionError, ValidationError } from './errors';
import { accessLogRefusal } from './log-delivery';
import { parameterRefusal, referenceRefusal } from './reference-checks';
import { regionRefusal } from './region-checks';
import { valueRefusal } from './value-checks';
import { nameClaim } from './resource-names';
import { scaledMilliseconds } from './sandbox-clock';
import { resourceTimerKey, SandboxTimers } from './sandbox-timers';
import { ResourceSignals, signalTarget, type SignalStatus } from './resource-signals';
import type { FaultRegistry } from './sandbox-faults';
import type { ResourceRecord, SandboxState, StackRecord, StateWriter } from './sandbox-state';
import { checkAvailabilityZoneParameters, checkCreateStackRequest, plannedResources, resolveSsmParameters, type CreateStackRequest } from './stack-input';
import { StackPermissions } from './stack-permissions';
import { newStackRecord } from './stack-record';
import { resourceOf, StackTemplates } from './stack-templates';
import { StackUpdates } from './stack-update';
import { checkLanguageExtensions } from './language-extensions';
import { enforceRules } from './template-rules';
import { WAIT_CONDITION_HANDLE, WaitConditionHandles } from './wait-conditions';
import { isCustomResourceType, sha256 } from './template-evaluator';

/**
 * The CloudFormation of the sandbox accounts: creates a stack's resources in dependency order
 * (independent ones side by side), each taking its typical time scaled by `speed`; asks custom
 * resources through their SNS ServiceToken and waits for the answer at the ResponseURL; waits for
 * the signals a CreationPolicy asks for (resource-signals.ts); rolls back what it created when a
 * resource fails; deletes in reverse dependency order. Every status change is a stack event and an
 * `aws.cloudformation` event for the account's EventBridge rules.
 *
 * All progress is recorded in the state (what is in progress, when it ends), so a restarted
 * sandbox resumes each operation where it was.
 */

export interface StackEngineOptions {
  state: SandboxState;
  writer: StateWriter;
  hooks: SandboxHooks;
  faults: FaultRegistry;
  edgeUrl: string;
  speed: number;
  now: () => number;
  log: (message: string) => void;
  /** How long (unscaled seconds) CloudFormation waits for an ECS service to stabilise; default 180 minutes (ecs/ecs-timing.ts). */
  ecsWaitSeconds?: number;
}

const ECS_SERVICE = 'AWS::ECS::Service';

export class StackEngine {
  private readonly timers: SandboxTimers;
  /** The roles, rules, exports and names the accounts hold. */
  readonly accounts: AccountRegistry;
  readonly templates: StackTemplates;
  /** IAM as CloudFormation meets it: the stack role's handler calls, the caller's own calls. */
  readonly permissions: StackPermissions;
  private readonly events: CloudFormationEvents;
  private readonly custom: CustomResources;
  private readonly signals: ResourceSignals;
  private readonly handles: WaitConditionHandles;
  private readonly nested: NestedStacks;
  /** The services the stacks create, running their tasks (ecs/). */
  readonly ecs: EcsRuntime;
  /** UpdateStack, CancelUpdateStack, ContinueUpdateRollback (stack-update.ts). */
  readonly updates: StackUpdates;
  /** The final DB snapshots deletes leave (db-snapshots.ts). */
  readonly snapshots: DbSnapshots;

  constructor(private readonly options: StackEngineOptions) {
    this.timers = new SandboxTimers(options.now, options.log);
    const changed = () => this.changed();
    const uuid = (purpose: string) => this.uuid(purpose);
    this.accounts = new AccountRegistry(options.state, changed);
    this.templates = new StackTemplates(this.accounts);
    // An Elastic IP is named by its allocation id (a NAT gateway's AllocationId), not its Ref (the address).
    this.permissions = new StackPermissions(this.accounts, () => this.uuid('request'), (stack, resource) =>
      resource.type === 'AWS::EC2::EIP' ? [String(this.templates.evaluator(stack).attribute(resource.logicalId, 'AllocationId'))] : [],
    );
    this.snapshots = new DbSnapshots(this.accounts, this.permissions, uuid, options.now);
    this.events = new CloudFormationEvents({ state: options.state, hooks: options.hooks, now: options.now, log: options.log, uuid, changed });
    this.custom = new CustomResources(options, this.events, this.timers, {
      advance: (stack) => this.advance(stack),
      uuid,
      updated: (stack, resource, outcome) => this.updates.customAnswered(stack, resource, outcome),
    });
    this.signals = new ResourceSignals(options, this.events, this.timers, this.templates, this.permissions, {
      advance: (stack) => this.advance(stack),
      complete: (stack, resource) => this.completeResource(stack, resource),
      uuid,
    });
    this.handles = new WaitConditionHandles(options, this.signals, uuid);
    const { faults, speed, now, ecsWaitSeconds } = options;
    this.ecs = new EcsRuntime({ accounts: this.accounts, timers: this.timers, faults, speed, now, uuid, ...(ecsWaitSeconds === undefined ? {} : { waitSeconds: ecsWaitSeconds }) });
    this.nested = new NestedStacks(
      {
        createStack: (accountId, region, request, caller, nesting) => this.createStack(accountId, region, request, caller, nesting),
        deleteStack: (stack) => this.deleteStack(stack),
        stackById: (accountId, stackId) => this.findStack(accountId, '', stackId),
        childStackId: (stack, logicalId) => this.templates.evaluator(stack).generatedPhysicalId(logicalId),
        advance: (stack) => this.advance(stack),
        resourceStatus: (stack, resource, status, reason) => this.events.resourceStatus(stack, resource, status, reason),
        now: () => this.now(),
      },
      this.timers,
      this.permissions,
    );
    this.updates = new StackUpdates({
      events: this.events,
      timers: this.timers,
      templates: this.templates,
      accounts: this.accounts,
      permissions: this.permissions,
      faults: options.faults,
      speed: options.speed,
      hooks: {
        startCreate: (stack, resource) => this.startCreate(stack, resource),
        startDelete: (stack, resource, finalSnapshot) => this.startDelete(stack, resource, true, finalSnapshot),
        finalSnapshot: (stack, source) => this.snapshots.take(stack, source, (seconds) => scaledMilliseconds(seconds, this.options.speed)),
        cancelCreate: (stack, resource) => this.cancelCreate(stack, resource),
        createRefusal: (stack, resource, physicalId, properties) => this.createRefusal(stack, resource, physicalId, properties),
        startCustomUpdate: (stack, resource, update) => this.custom.start(stack, resource, 'Update', update),
        startServiceUpdate: (stack, resource, before, after) =>
          resource.type === 'AWS::ECS::Service' && this.ecs.updateService(stack, resource, before, after, (failure) => this.updates.serviceAnswered(stack, resource, failure)),
        stopServiceUpdate: (stack, resource) => {
          if (resource.type === 'AWS::ECS::Service') this.ecs.stopWaiting(stack, resource);
        },
        deleteCustomReplaced: (stack, resource, physicalId, properties) => this.custom.deleteReplaced(stack, resource, physicalId, properties),
        advance: (stack) => this.advance(stack),
        outputs: (stack) => this.stackOutputs(stack),
        uuid,
        now: () => this.now(),
      },
    });
  }

  get state(): SandboxState {
    return this.options.state;
  }

  // ---- stacks -------------------------------------------------------------------------------

  /** By stack id: that stack, deleted or not. By name: the live stack of that name in the region. */
  findStack(accountId: string, region: string, nameOrId: string): StackRecord | undefined {
    const stacks = this.state.accounts[accountId]?.stacks ?? [];
    if (nameOrId.startsWith('arn:')) return stacks.find((stack) => stack.stackId === nameOrId);
    return stacks.find((stack) => stack.region === region && stack.stackName === nameOrId && stack.status !== 'DELETE_COMPLETE');
  }

  // ---- CreateStack ----------------------------------------------------------------------------

  /** `caller`: who asks (their own calls are evaluated); absent for the sandbox's own use. `nesting`: a nested stack's place. */
  createStack(accountId: string, region: string, request: CreateStackRequest, caller?: Caller, nesting?: Nesting): StackRecord {
    const { template, parameters, tags, onFailure } = checkCreateStackRequest(request);

    const account = this.accounts.account(accountId);
    const existing = this.findStack(accountId, region, request.stackName);
    if (existing) {
      // A retry of the request that created it (same token) is answered as the first time.
      if (request.clientRequestToken !== undefined && existing.clientRequestToken === request.clientRequestToken) return existing;
      throw new AwsApiError('AlreadyExistsException', `Stack [${request.stackName}] already exists`);
    }
    const resolvedParameters = resolveSsmParameters(template, parameters, region);
    checkAvailabilityZoneParameters(template, parameters, region);
    const stackId = nesting?.stackId ?? `arn:aws:cloudformation:${region}:${accountId}:stack/${request.stackName}/${this.uuid(`stack:${accountId}:${request.stackName}`)}`;
    if (caller) {
      this.permissions.checkCreateStack(caller, region, stackId, request.roleArn, Object.values(template.Resources).map((resource) => resource.Type), tags);
      // CloudFormation reads SSM-typed parameters with the caller's own credentials, not the stack role's.
      this.permissions.checkParameterReads(caller, region, Object.keys(resolvedParameters).flatMap((key) => (parameters[key] ?? '').split(',').map((name) => name.trim())));
    }
    // After the caller is authorized: a rule's Fn::RefAll reads the account's ids, which an
    // unauthorized caller must not learn from an assertion's answer.
    checkLanguageExtensions(template);
    enforceRules(template, { parameters: { ...parameters, ...resolvedParameters }, account: accountId, region, stackName: request.stackName, idsOfType: (type) => this.accounts.liveIdsOfParameterType(accountId, region, type) });
    if (request.roleArn !== undefined) this.accounts.checkStackRole(accountId, request.roleArn);

    const identity = { stackId, stackName: request.stackName, account: accountId, region, parameters: { ...parameters, ...resolvedParameters } };
    const { present, graph } = plannedResources(template, identity);

    const now = this.now();
    const stack = newStackRecord({ request, template, parameters, resolvedParameters, tags, onFailure, stackId, accountId, region, present, caller, now });
    if (nesting !== undefined) Object.assign(stack, { parentId: nesting.parentId, rootId: nesting.rootId });
    if (request.timeoutInMinutes !== undefined) stack.deadline = now + scaledMilliseconds(request.timeoutInMinutes * 60, this.options.speed);
    this.templates.remember(stackId, template, graph);
    account.stacks.push(stack);
    this.events.stackEvent(stack, 'CREATE_IN_PROGRESS', 'User Initiated');
    // An AWS-specific parameter that names nothing in the account: the stack fails before any resource starts.
    const missing = parameterRefusal(template, parameters, stack, this.accounts);
    if (missing !== undefined) {
      this.failCreate(stack, false, `${missing} `);
      return stack;
    }
    if (stack.deadline !== undefined) this.timers.schedule(`${stackId}#deadline`, stack.deadline, () => this.advance(stack));
    // The answer to CreateStack goes out before the first resource starts, as in CloudFormation.
    this.timers.schedule(`${stackId}#advance`, now, () => this.advance(stack));
    return stack;
  }

  // ---- DeleteStack ----------------------------------------------------------------------------

  deleteStack(stack: StackRecord, options: { clientRequestToken?: string; retainResources?: string[] } = {}): void {
    const retain = options.retainResources ?? [];
    if (['DELETE_COMPLETE', 'DELETE_IN_PROGRESS'].includes(stack.status)) return;
    if (stack.terminationProtection) {
      throw new ValidationError(`Stack [${stack.stackName}] cannot be deleted while TerminationProtection is enabled`);
    }
    if (retain.length > 0 && stack.status !== 'DELETE_FAILED') {
      throw new ValidationError(`Invalid operation on stack [${stack.stackId}]. RetainResources can only be specified when the stack is in the DELETE_FAILED state`);
    }
    // CloudFormation runs one operation on a stack at a time. No AWS document says what DeleteStack
    // answers during a rollback; for the other operations in progress it refuses in these words
    // (e.g. "Stack [name] cannot be deleted while in status UPDATE_IN_PROGRESS"), and the sandbox
    // takes that stricter reading here, so that a client that does not wait is caught (decision 0015).
    if (stack.status === 'ROLLBACK_IN_PROGRESS' || (stack.status.startsWith('UPDATE_') && stack.status.endsWith('_IN_PROGRESS'))) {
      throw new ValidationError(`Stack [${stack.stackName}] cannot be deleted while in status ${stack.status}`);
    }
    const unknown = retain.filter((logicalId) => !stack.resources.some((resource) => resource.logicalId === logicalId));
    if (unknown.length > 0) throw new ValidationError(`The specified resources to retain must be in a valid state. Unknown: [${unknown.join(', ')}]`);
    // An export another stack imports holds the stack: the delete starts, and ends at once where it was.
    const inUse = this.accounts.exportInUse(stack, (other) => this.templates.importedNames(other));
    if (inUse !== undefined) {
      const previous = stack.status;
      this.events.stackEvent(stack, 'DELETE_IN_PROGRESS', 'User Initiated');
      this.events.stackEvent(stack, previous, inUse);
      return;
    }
    this.beginDelete(stack, 'User Initiated', options.clientRequestToken);
    for (const resource of stack.resources) {
      if (resource.status !== 'DELETE_FAILED') continue;
      if (retain.includes(resource.logicalId)) this.events.resourceStatus(stack, resource, 'DELETE_SKIPPED');
      else resource.retryDelete = true;
    }
  }

  private beginDelete(stack: StackRecord, reason: string, token?: string): void {
    this.timers.clear(`${stack.stackId}#deadline`);
    delete stack.deadline;
    if (token === undefined) delete stack.clientRequestToken;
    else stack.clientRequestToken = token;
    stack.operation = 'DELETE';
    stack.deleteFaultSpent = false;
    this.events.stackEvent(stack, 'DELETE_IN_PROGRESS', reason);
    // A resource that was only waiting for signals stops waiting (it is then deleted).
    for (const resource of stack.resources) if (resource.signals?.created && resource.status === 'CREATE_IN_PROGRESS') this.signals.stillWaiting(stack, resource);
    // So does a service waiting for steady state (it is then deleted, its tasks drained).
    for (const resource of stack.resources) {
      if (resource.type === ECS_SERVICE && resource.status === 'CREATE_IN_PROGRESS' && this.ecs.stopWaiting(stack, resource)) this.events.resourceStatus(stack, resource, 'CREATE_FAILED', 'Resource creation cancelled');
    }
    this.timers.schedule(`${stack.stackId}#advance`, this.now(), () => this.advance(stack));
  }

  // ---- progress -------------------------------------------------------------------------------

  private advance(stack: StackRecord): void {
    if (this.timers.stopped) return;
    if (stack.operation === 'CREATE') this.advanceCreate(stack);
    else if (stack.operation === 'ROLLBACK' || stack.operation === 'DELETE') this.advanceDelete(stack);
    else if (this.updates.handles(stack)) this.updates.advance(stack);
    if (stack.parentId !== undefined) this.nested.childProgressed(stack);
    this.changed();
  }

  private advanceCreate(stack: StackRecord): void {
    const timedOut = stack.deadline !== undefined && this.now() >= stack.deadline;
    if (timedOut || stack.resources.some((resource) => resource.status === 'CREATE_FAILED')) {
      this.failCreate(stack, timedOut);
      return;
    }
    const graph = this.templates.graph(stack);
    for (const resource of stack.resources) {
      if (resource.status !== undefined) continue;
      const ready = (graph.get(resource.logicalId) ?? []).every((dependency) => resourceOf(stack, dependency)?.status === 'CREATE_COMPLETE');
      if (ready) this.startCreate(stack, resource);
    }
    // A resource may fail as it starts (a property that cannot be resolved).
    if (stack.resources.some((resource) => resource.status === 'CREATE_FAILED')) {
      this.failCreate(stack, false);
      return;
    }
    if (stack.resources.every((resource) => resource.status === 'CREATE_COMPLETE')) this.completeCreate(stack);
  }

  private startCreate(stack: StackRecord, resource: ResourceRecord): void {
    const evaluator = this.templates.evaluator(stack);
    const definition = this.templates.template(stack).Resources[resource.logicalId];
    this.events.resourceStatus(stack, resource, 'CREATE_IN_PROGRESS');
    let properties: Record<string, unknown>;
    try {
      properties = (evaluator.resolve(definition?.Properties ?? {}) ?? {}) as Record<string, unknown>;
    } catch (error) {
      if (!(error instanceof TemplateResolutionError)) throw error;
      this.events.resourceStatus(stack, resource, 'CREATE_FAILED', error.message);
      return;
    }
    resource.properties = properties;
    if (isCustomResourceType(resource.type)) {
      this.custom.start(stack, resource, 'Create');
      return;
    }
    if (resource.type === NESTED_STACK_TYPE) {
      this.nested.start(stack, resource);
      return;
    }
    // A wait condition handle is a presigned URL, here one the sandbox serves.
    const physicalId = resource.type === WAIT_CONDITION_HANDLE ? this.handles.url() : evaluator.generatedPhysicalId(resource.logicalId);
    const refused = this.createRefusal(stack, resource, physicalId, properties);
    resource.physicalId = physicalId;
    resource.exists = refused === undefined;
    this.events.resourceStatus(stack, resource, 'CREATE_IN_PROGRESS', 'Resource creation Initiated');
    const failure = refused ?? this.options.faults.createFailure(resource.type, stack.stackName);
    if (failure !== undefined) resource.failure = failure;
    // An ECS service the sandbox can run completes at steady state (or fails as ECS fails it).
    if (failure === undefined && resource.type === ECS_SERVICE && this.ecs.startService(stack, resource, (reason) => this.serviceSettled(stack, resource, reason))) return;
    // What the service refuses fails at once; an injected failure part-way, as a service error would.
    const seconds = refused !== undefined ? 0.5 : resourceSeconds(resource.type, 'create', properties) * (failure === undefined ? 1 : 0.5);
    resource.dueAt = this.now() + scaledMilliseconds(seconds, this.options.speed);
    this.timers.schedule(resourceTimerKey(stack, resource), resource.dueAt, () => this.finishResource(stack, resource, 'CREATE'));
    if (failure === undefined) this.signals.start(stack, resource);
  }

  /** Why a new physical resource with these properties cannot be made (a create, or an update's replacement), in the services' words. */
  private createRefusal(stack: StackRecord, resource: ResourceRecord, physicalId: string, properties: Record<string, unknown>): string | undefined {
    const claim = nameClaim({ type: resource.type, physicalId, properties }, stack);
    const taken = claim !== undefined && this.accounts.nameHolder(stack, resource, claim) !== undefined;
    return (
      (taken ? `Resource of type '${resource.type}' with identifier '${claim.name}' already exists.` : refusedProperties(resource.type, properties)) ??
      // A handler call IAM refuses fails the resource before anything exists.
      this.permissions.handlerDenial(stack, { ...resource, properties }, physicalId, 'create') ??
      // Then the service itself: what the region does not offer (its AZs, instance types, RDS versions).
      valueRefusal(stack, resource.type, properties, this.accounts, (purpose) => this.uuid(purpose)) ??
      referenceRefusal(stack, resource.type, properties, this.accounts, (purpose) => this.uuid(purpose)) ??
      regionRefusal(stack, resource.type, properties, this.accounts, (purpose) => this.uuid(purpose)) ??
      // And the calls a service makes as the stack's role besides the handler's (API Gateway's log delivery).
      accessLogRefusal(stack, resource.type, properties, this.accounts, this.permissions, (purpose) => this.uuid(purpose))
    );
  }

  /** SignalResource: a signal for a resource whose CreationPolicy waits for signals. */
  signalResource(accountId: string, region: string, request: { stackName: string; logicalId: string; uniqueId: string; status: SignalStatus }, caller?: Caller): void {
    const stack = this.findStack(accountId, region, request.stackName);
    if (!stack) throw new ValidationError(`Stack with id ${request.stackName} does not exist`);
    if (caller) this.permissions.checkStackAction(caller, stack, 'cloudformation:SignalResource');
    const target = signalTarget(stack, request.logicalId);
    if ('refusal' in target) throw new ValidationError(target.refusal);
    this.signals.signal(stack, target.resource, { uniqueId: request.uniqueId, status: request.status });
  }

  /** The create or delete of a resource ends, as planned or with its injected failure. */
  private finishResource(stack: StackRecord, resource: ResourceRecord, operation: 'CREATE' | 'DELETE'): void {
    if (resource.status !== `${operation}_IN_PROGRESS`) return;
    delete resource.dueAt;
    if (resource.failure !== undefined) {
      const reason = resource.failure;
      delete resource.failure;
      this.events.resourceStatus(stack, resource, `${operation}_FAILED`, reason);
    } else if (operation === 'CREATE') {
      // Created, but its CreationPolicy still waits for signals: it stays CREATE_IN_PROGRESS.
      if (this.signals.stillWaiting(stack, resource)) {
        this.advance(stack);
        return;
      }
      this.completeResource(stack, resource);
    } else {
      resource.exists = false;
      this.events.resourceStatus(stack, resource, 'DELETE_COMPLETE');
      this.accounts.unregisterDeleted(stack, resource);
    }
    this.advance(stack);
  }

  /** An ECS service the sandbox runs reached steady state, or failed to. */
  private serviceSettled(stack: StackRecord, resource: ResourceRecord, failure?: string): void {
    if (resource.status !== 'CREATE_IN_PROGRESS') return;
    if (failure !== undefined) this.events.resourceStatus(stack, resource, 'CREATE_FAILED', failure);
    else this.completeResource(stack, resource);
    this.advance(stack);
  }

  private completeResource(stack: StackRecord, resource: ResourceRecord): void {
    this.events.resourceStatus(stack, resource, 'CREATE_COMPLETE');
    this.accounts.registerCreated(stack, resource, this.templates.evaluator(stack));
  }

  /** The outputs as the template resolves them now, their export names free (TemplateResolutionError if not). */
  private stackOutputs(stack: StackRecord): StackRecord['outputs'] {
    const template = this.templates.template(stack);
    const evaluator = this.templates.evaluator(stack);
    const values = evaluator.outputs({ strict: true });
    const outputs = Object.entries(values).map(([key, value]) => {
      const definition = template.Outputs?.[key];
      const exportName = definition?.Export === undefined ? undefined : String(evaluator.value(definition.Export.Name));
      return { key, value, ...(definition?.Description === undefined ? {} : { description: definition.Description }), ...(exportName === undefined ? {} : { exportName }) };
    });
    this.accounts.checkExportsFree(stack, outputs);
    return outputs;
  }

  private completeCreate(stack: StackRecord): void {
    let outputs: StackRecord['outputs'];
    try {
      outputs = this.stackOutputs(stack);
    } catch (error) {
      if (!(error instanceof TemplateResolutionError)) throw error;
      this.beginRollback(stack, `${error.message}. Rollback requested by user.`);
      return;
    }
    stack.outputs = outputs;
    this.accounts.addExports(stack, outputs);
    this.timers.clear(`${stack.stackId}#deadline`);
    delete stack.deadline;
    delete stack.operation;
    this.events.stackEvent(stack, 'CREATE_COMPLETE');
  }

  /** A resource failed (or the stack timed out): cancel what is in flight, then roll back. */
  private failCreate(stack: StackRecord, timedOut: boolean, reason?: string): void {
    const failed = stack.resources.filter((resource) => resource.status === 'CREATE_FAILED').map((resource) => resource.logicalId);
    for (const resource of stack.resources) {
      if (resource.status !== 'CREATE_IN_PROGRESS') continue;
      this.cancelCreate(stack, resource);
      if (timedOut) failed.push(resource.logicalId);
    }
    this.timers.clear(`${stack.stackId}#deadline`);
    delete stack.deadline;
    const list = `The following resource(s) failed to create: [${failed.join(', ')}]. `;
    const cause = reason ?? (timedOut ? 'Stack creation time exceeded the specified timeout. ' : list);
    if (stack.onFailure === 'DO_NOTHING') {
      delete stack.operation;
      this.events.stackEvent(stack, 'CREATE_FAILED', cause.trimEnd());
      return;
    }
    if (stack.onFailure === 'DELETE') {
      this.beginDelete(stack, `${cause}Delete requested by user.`);
      return;
    }
    this.beginRollback(stack, `${cause}Rollback requested by user.`);
  }

  /** A create in flight stops (another resource failed): CREATE_FAILED, "Resource creation cancelled". */
  private cancelCreate(stack: StackRecord, resource: ResourceRecord): void {
    this.timers.clear(resourceTimerKey(stack, resource));
    this.signals.cancel(stack, resource);
    this.ecs.stopWaiting(stack, resource);
    delete resource.dueAt;
    delete resource.failure;
    // A custom resource that never answered has nothing CloudFormation knows of to delete.
    if (resource.pending) {
      delete resource.pending;
      resource.exists = false;
    }
    this.events.resourceStatus(stack, resource, 'CREATE_FAILED', 'Resource creation cancelled');
  }

  private beginRollback(stack: StackRecord, reason: string): void {
    stack.operation = 'ROLLBACK';
    this.events.stackEvent(stack, 'ROLLBACK_IN_PROGRESS', reason);
    this.timers.schedule(`${stack.stackId}#advance`, this.now(), () => this.advance(stack));
  }

  private advanceDelete(stack: StackRecord): void {
    const rollback = stack.operation === 'ROLLBACK';
    const graph = this.templates.graph(stack);
    const gone = (resource: ResourceRecord) => !resource.exists || GONE.has(resource.status ?? '');
    const busy = (resource: ResourceRecord) => resource.status === 'CREATE_IN_PROGRESS' || resource.status === 'DELETE_IN_PROGRESS';
    const failed = () => stack.resources.filter((resource) => resource.status === 'DELETE_FAILED' && !resource.retryDelete);

    // Once a delete fails, nothing new starts; what is in flight ends, then the stack fails.
    if (failed().length === 0) {
      for (const resource of [...stack.resources].reverse()) {
        if (gone(resource) || busy(resource)) continue;
        const dependents = stack.resources.filter((other) => (graph.get(other.logicalId) ?? []).includes(resource.logicalId));
        if (dependents.every((dependent) => gone(dependent) && !busy(dependent))) this.startDelete(stack, resource, rollback);
      }
    }
    if (stack.resources.some(busy)) return;
    const failures = failed().map((resource) => resource.logicalId);
    if (failures.length > 0) {
      delete stack.operation;
      this.events.stackEvent(stack, rollback ? 'ROLLBACK_FAILED' : 'DELETE_FAILED', `The following resource(s) failed to delete: [${failures.join(', ')}]. `);
      return;
    }
    if (!stack.resources.every(gone)) return;
    delete stack.operation;
    if (rollback) {
      this.events.stackEvent(stack, 'ROLLBACK_COMPLETE');
      return;
    }
    this.accounts.removeExports(stack);
    stack.deletedAt = this.now();
    this.events.stackEvent(stack, 'DELETE_COMPLETE');
  }

  /** `finalSnapshot`: whether a database's delete takes a final snapshot (else: a stack delete's DeletionPolicy says). */
  private startDelete(stack: StackRecord, resource: ResourceRecord, rollback: boolean, finalSnapshot?: boolean): void {
    const policy = this.templates.template(stack).Resources[resource.logicalId]?.DeletionPolicy;
    delete resource.retryDelete;
    if (policy === 'Retain' || (policy === 'RetainExceptOnCreate' && !rollback)) {
      this.events.resourceStatus(stack, resource, 'DELETE_SKIPPED');
      return;
    }
    this.events.resourceStatus(stack, resource, 'DELETE_IN_PROGRESS');
    if (isCustomResourceType(resource.type)) {
      this.custom.start(stack, resource, 'Delete');
      return;
    }
    if (resource.type === NESTED_STACK_TYPE) {
      this.nested.startDelete(stack, resource);
      return;
    }
    const denied = resource.physicalId === undefined ? undefined : this.permissions.handlerDenial(stack, resource, resource.physicalId, 'delete');
    // Then the service itself: Cloud Map refuses to delete a service that still has instances.
    const refused = denied ?? cloudMapDeleteRefusal(this.accounts, this.ecs, stack, resource, (purpose) => this.uuid(purpose));
    if (refused !== undefined) resource.failure = refused;
    else if (!rollback && !stack.deleteFaultSpent) {
      const failure = this.options.faults.takeDeleteFailure(stack.stackName, stack.stackId);
      stack.deleteFaultSpent = true;
      if (failure !== undefined) resource.failure = failure;
    }
    // A database's final snapshot is made first; the delete takes its time too (or fails in IAM's words).
    let snapshotSeconds = 0;
    if (resource.failure === undefined && resource.physicalId !== undefined && (finalSnapshot ?? (!rollback && snapshotRequested(resource.type, resource.properties ?? {}, policy, 'delete')))) {
      const taken = this.snapshots.take(stack, { logicalId: resource.logicalId, type: resource.type, physicalId: resource.physicalId, properties: resource.properties ?? {} }, (seconds) => scaledMilliseconds(seconds, this.options.speed));
      if ('denial' in taken) resource.failure = taken.denial;
      else snapshotSeconds = taken.seconds;
    }
    // A service the sandbox runs is deleted once its tasks have drained and stopped.
    if (resource.failure === undefined && resource.type === ECS_SERVICE && this.ecs.deleteService(stack, resource, () => this.finishResource(stack, resource, 'DELETE'))) return;
    const seconds = resourceSeconds(resource.type, 'delete', resource.properties) * (resource.failure === undefined ? 1 : 0.5) + snapshotSeconds;
    resource.dueAt = this.now() + scaledMilliseconds(seconds, this.options.speed);
    this.timers.schedule(resourceTimerKey(stack, resource), resource.dueAt, () => this.finishResource(stack, resource, 'DELETE'));
  }

  // ---- restart, stop --------------------------------------------------------------------------

  /** After loading the state: every operation in progress carries on (or ends, if its time passed). */
  resume(): void {
    for (const account of Object.values(this.state.accounts)) {
      for (const stack of account.stacks) {
        if (stack.operation === undefined) continue;
        for (const resource of stack.resources) {
          const key = resourceTimerKey(stack, resource);
          if (resource.pending) {
            this.custom.resume(stack, resource);
          } else if (resource.type === NESTED_STACK_TYPE) {
            this.nested.resume(stack, resource);
          } else if (resource.dueAt !== undefined && resource.status === 'CREATE_IN_PROGRESS') {
            this.timers.schedule(key, resource.dueAt, () => this.finishResource(stack, resource, 'CREATE'));
          } else if (resource.dueAt !== undefined && resource.status === 'DELETE_IN_PROGRESS') {
            this.timers.schedule(key, resource.dueAt, () => this.finishResource(stack, resource, 'DELETE'));
          } else if (resource.type === ECS_SERVICE && resource.status === 'CREATE_IN_PROGRESS') {
            // Its tasks were not kept: the deployment starts anew.
            if (!this.ecs.startService(stack, resource, (reason) => this.serviceSettled(stack, resource, reason))) this.completeResource(stack, resource);
          } else if (resource.type === ECS_SERVICE && resource.status === 'DELETE_IN_PROGRESS') {
            if (!this.ecs.deleteService(stack, resource, () => this.finishResource(stack, resource, 'DELETE'))) this.finishResource(stack, resource, 'DELETE');
          }
          this.signals.resume(stack, resource);
          if (this.updates.handles(stack)) this.updates.resume(stack, resource);
        }
        if (stack.deadline !== undefined) this.timers.schedule(`${stack.stackId}#deadline`, stack.deadline, () => this.advance(stack));
        this.timers.schedule(`${stack.stackId}#advance`, this.now(), () => this.advance(stack));
      }
    }
  }

  stop(): void {
    this.timers.stop();
  }

  /** Resolves when every event delivery started so far has been attempted. */
  async settled(): Promise<void> {
    await this.events.settled();
  }

  /** An answer PUT to a custom resource's ResponseURL. */
  customResourceResponse(responseId: string, body: string): { status: number; message: string } {
    return this.custom.response(responseId, body);
  }

  /** SetStackPolicy: the policy (checked) replaces the stack's; updates will be held to it. */
  setStackPolicy(stack: StackRecord, policy: string): void {
    stack.stackPolicy = policy;
    this.changed();
  }

  /** UpdateTerminationProtection: with it on, DeleteStack is refused. */
  setTerminationProtection(stack: StackRecord, enabled: boolean): void {
    stack.terminationProtection = enabled;
    this.changed();
  }

  /** A signal PUT to a wait condition handle's URL. */
  waitConditionSignal(token: string, body: string): { status: number; message: string } {
    const outcome = this.handles.put(token, body);
    this.changed();
    return outcome;
  }

  // ---- helpers --------------------------------------------------------------------------------

  private now(): number {
    return this.options.now();
  }

  /** The state changed: it is written (soon) to the state file. */
  changed(): void {
    this.options.writer.changed();
  }

  /** UUID-shaped and deterministic: the same sequence of calls gives the same ids in every run. */
  uuid(purpose: string): string {
    const hex = sha256(`sandbox:${purpose}:${this.state.sequence++}`);
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
  }
}
