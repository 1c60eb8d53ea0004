import { createHmac } from 'node:crypto';
import { readTemplate } from '../../src/cfn/read-template';
import type { CfnTemplate } from '../../src/cfn/template-types';
import { arns, SERVICE_ACCOUNT } from '../config';
import type { SandboxHooks } from '../contracts';
// The same EventBridge pattern matching as the local event bus's, so a rule matches alike in both.
import { assertValidPattern, matchesPattern } from '../services/event-pattern';
import { AwsApiError, TemplateResolutionError, ValidationError } from './errors';
import { assertAcyclic, dependencyGraph } from './resource-graph';
import { nameClaim, type NameClaim } from './resource-names';
import { resourceSeconds, scaledMilliseconds } from './resource-timing';
import type { FaultRegistry } from './sandbox-faults';
import type { AccountRecord, EventRecord, ResourceRecord, RoleRecord, SandboxState, StackRecord, StateWriter } from './sandbox-state';
import {
  checkStackName,
  missingCapabilities,
  parseTemplateBody,
  resolveParameters,
  resolveSsmParameters,
  resolveTags,
  type GivenParameter,
  type GivenTag,
} from './stack-input';
import { isCustomResourceType, sha256, TemplateEvaluator } from './template-evaluator';
import { trustPolicyAllows } from './trust-policy';

/**
 * The CloudFormation of the sandbox accounts: creates a stack's resources in dependency order
 * (independent ones side by side), each taking its typical time scaled by `speed`; asks custom
 * resources through their SNS ServiceToken and waits for the answer at the ResponseURL; rolls
 * back what it created when a resource fails; deletes in reverse dependency order. Every status
 * change is a stack event and an `aws.cloudformation` event for the account's EventBridge rules.
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
}

export interface CreateStackRequest {
  stackName: string;
  templateBody: string;
  parameters: GivenParameter[];
  capabilities: string[];
  tags: GivenTag[];
  notificationArns: string[];
  roleArn?: string;
  onFailure?: string;
  disableRollback?: boolean;
  timeoutInMinutes?: number;
  clientRequestToken?: string;
  enableTerminationProtection?: boolean;
}

/** The Groundwork service role: in SERVICE_ACCOUNT without any stack, assumable by that account. */
const SERVICE_ROLE: RoleRecord = {
  arn: arns.serviceRole,
  name: arns.serviceRole.split('/').at(-1) ?? '',
  roleId: 'AROAGROUNDWORKSERVICE',
  maxSessionDuration: 43_200,
  trustPolicy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${SERVICE_ACCOUNT}:root` }, Action: 'sts:AssumeRole' }] },
};

const CLOUDFORMATION_SERVICE = 'cloudformation.amazonaws.com';
const CUSTOM_RESPONSE_LIMIT = 4096;
/** Custom resources are answered by real code in real time: never wait less than this for them. */
const MIN_CUSTOM_RESOURCE_WAIT_MS = 30_000;
const GONE = new Set(['DELETE_COMPLETE', 'DELETE_SKIPPED']);

export class StackEngine {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly templates = new Map<string, CfnTemplate>();
  private readonly graphs = new Map<string, Map<string, string[]>>();
  private deliveries: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(private readonly options: StackEngineOptions) {}

  get state(): SandboxState {
    return this.options.state;
  }

  // ---- accounts, stacks and roles -------------------------------------------------------------

  /** The account of that id, created on first use. */
  account(id: string): AccountRecord {
    const existing = this.state.accounts[id];
    if (existing) return existing;
    const created: AccountRecord = { id, stacks: [], roles: [], rules: [], exports: [] };
    this.state.accounts[id] = created;
    this.changed();
    return created;
  }

  /** By stack id: that stack, deleted or not. By name: the live stack of that name in the region. */
  findStack(accountId: string, region: string, nameOrId: string): StackRecord | undefined {
    const stacks = this.state.accounts[accountId]?.stacks ?? [];
    if (nameOrId.startsWith('arn:')) return stacks.find((stack) => stack.stackId === nameOrId);
    return stacks.find((stack) => stack.region === region && stack.stackName === nameOrId && stack.status !== 'DELETE_COMPLETE');
  }

  findRole(arn: string): RoleRecord | undefined {
    if (arn === SERVICE_ROLE.arn) return SERVICE_ROLE;
    const account = /^arn:aws[a-z-]*:iam::(\d{12}):role\//.exec(arn)?.[1];
    return account === undefined ? undefined : this.state.accounts[account]?.roles.find((role) => role.arn === arn);
  }

  // ---- CreateStack ----------------------------------------------------------------------------

  createStack(accountId: string, region: string, request: CreateStackRequest): StackRecord {
    checkStackName(request.stackName);
    const template = parseTemplateBody(request.templateBody);
    const parameters = resolveParameters(template, request.parameters);
    const tags = resolveTags(request.tags);
    const missing = missingCapabilities(template, request.capabilities);
    if (missing.length > 0) throw new AwsApiError('InsufficientCapabilitiesException', `Requires capabilities : [${missing.join(', ')}]`);
    if (template.Transform !== undefined) throw new ValidationError('The sandbox account does not run macros or transforms (Transform); expand the template first.');
    if (request.onFailure !== undefined && request.disableRollback !== undefined) {
      throw new ValidationError('You cannot specify both DisableRollback and OnFailure.');
    }
    const onFailure = request.onFailure ?? (request.disableRollback ? 'DO_NOTHING' : 'ROLLBACK');
    if (onFailure !== 'ROLLBACK' && onFailure !== 'DELETE' && onFailure !== 'DO_NOTHING') {
      throw new ValidationError(`1 validation error detected: Value '${onFailure}' at 'onFailure' failed to satisfy constraint: Member must satisfy enum value set: [ROLLBACK, DELETE, DO_NOTHING]`);
    }

    const account = this.account(accountId);
    const existing = this.findStack(accountId, region, request.stackName);
    if (existing) {
      // A retry of the request that created it (same token) is answered as the first time.
      if (request.clientRequestToken !== undefined && existing.clientRequestToken === request.clientRequestToken) return existing;
      throw new AwsApiError('AlreadyExistsException', `Stack [${request.stackName}] already exists`);
    }
    const resolvedParameters = resolveSsmParameters(template, parameters, region);
    const stackId = `arn:aws:cloudformation:${region}:${accountId}:stack/${request.stackName}/${this.uuid(`stack:${accountId}:${request.stackName}`)}`;
    if (request.roleArn !== undefined) this.checkStackRole(accountId, stackId, request.roleArn);

    const identity = { stackId, stackName: request.stackName, account: accountId, region, parameters: { ...parameters, ...resolvedParameters } };
    let present: string[];
    try {
      present = new TemplateEvaluator(template, identity).resourcesToCreate();
    } catch (error) {
      if (error instanceof TemplateResolutionError) throw new ValidationError(error.message);
      throw error;
    }
    const graph = dependencyGraph(template, present);
    assertAcyclic(graph);

    const now = this.now();
    const stack: StackRecord = {
      stackId,
      stackName: request.stackName,
      account: accountId,
      region,
      ...(template.Description === undefined ? {} : { description: template.Description }),
      status: 'CREATE_IN_PROGRESS',
      statusReason: 'User Initiated',
      templateBody: request.templateBody,
      parameters,
      resolvedParameters,
      tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
      capabilities: request.capabilities,
      notificationArns: request.notificationArns,
      ...(request.roleArn === undefined ? {} : { roleArn: request.roleArn }),
      ...(request.clientRequestToken === undefined ? {} : { clientRequestToken: request.clientRequestToken }),
      onFailure,
      ...(request.timeoutInMinutes === undefined ? {} : { timeoutInMinutes: request.timeoutInMinutes }),
      terminationProtection: request.enableTerminationProtection ?? false,
      createdAt: now,
      outputs: [],
      resources: present.map((logicalId) => ({ logicalId, type: template.Resources[logicalId]?.Type ?? '', updatedAt: now })),
      events: [],
      operation: 'CREATE',
      ...(request.timeoutInMinutes === undefined ? {} : { deadline: now + scaledMilliseconds(request.timeoutInMinutes * 60, this.options.speed) }),
    };
    this.templates.set(stackId, template);
    this.graphs.set(stackId, graph);
    account.stacks.push(stack);
    this.stackEvent(stack, 'CREATE_IN_PROGRESS', 'User Initiated');
    if (stack.deadline !== undefined) this.schedule(`${stackId}#deadline`, stack.deadline, () => this.advance(stack));
    // The answer to CreateStack goes out before the first resource starts, as in CloudFormation.
    this.schedule(`${stackId}#advance`, now, () => this.advance(stack));
    return stack;
  }

  /** CloudFormation must be able to assume the role a stack is created with. */
  private checkStackRole(accountId: string, stackId: string, roleArn: string): void {
    const invalid = new ValidationError(`Role ${roleArn} is invalid or cannot be assumed`);
    const roleAccount = /^arn:aws[a-z-]*:iam::(\d{12}):role\/.+$/.exec(roleArn)?.[1];
    if (roleAccount !== accountId) throw invalid;
    const role = this.findRole(roleArn);
    // A role the sandbox does not know was made outside CloudFormation: trusted as given.
    if (!role) return;
    const allowed = trustPolicyAllows(role.trustPolicy, { kind: 'service', service: CLOUDFORMATION_SERVICE, arn: CLOUDFORMATION_SERVICE }, 'sts:AssumeRole', {
      'aws:SourceAccount': accountId,
      'aws:SourceArn': stackId,
    });
    if (!allowed) throw invalid;
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
    if (stack.status === 'ROLLBACK_IN_PROGRESS') {
      stack.deleteAfterRollback = true;
      this.changed();
      return;
    }
    const unknown = retain.filter((logicalId) => !stack.resources.some((resource) => resource.logicalId === logicalId));
    if (unknown.length > 0) throw new ValidationError(`The specified resources to retain must be in a valid state. Unknown: [${unknown.join(', ')}]`);
    this.beginDelete(stack, 'User Initiated', options.clientRequestToken);
    for (const resource of stack.resources) {
      if (resource.status !== 'DELETE_FAILED') continue;
      if (retain.includes(resource.logicalId)) this.resourceStatus(stack, resource, 'DELETE_SKIPPED');
      else resource.retryDelete = true;
    }
  }

  private beginDelete(stack: StackRecord, reason: string, token?: string): void {
    this.clearTimer(`${stack.stackId}#deadline`);
    delete stack.deadline;
    delete stack.deleteAfterRollback;
    if (token === undefined) delete stack.clientRequestToken;
    else stack.clientRequestToken = token;
    stack.operation = 'DELETE';
    stack.deleteFaultSpent = false;
    this.stackEvent(stack, 'DELETE_IN_PROGRESS', reason);
    this.schedule(`${stack.stackId}#advance`, this.now(), () => this.advance(stack));
  }

  // ---- progress -------------------------------------------------------------------------------

  private advance(stack: StackRecord): void {
    if (this.stopped) return;
    if (stack.operation === 'CREATE') this.advanceCreate(stack);
    else if (stack.operation === 'ROLLBACK' || stack.operation === 'DELETE') this.advanceDelete(stack);
    this.changed();
  }

  private advanceCreate(stack: StackRecord): void {
    const timedOut = stack.deadline !== undefined && this.now() >= stack.deadline;
    if (timedOut || stack.resources.some((resource) => resource.status === 'CREATE_FAILED')) {
      this.failCreate(stack, timedOut);
      return;
    }
    const graph = this.graph(stack);
    for (const resource of stack.resources) {
      if (resource.status !== undefined) continue;
      const ready = (graph.get(resource.logicalId) ?? []).every((dependency) => this.resource(stack, dependency)?.status === 'CREATE_COMPLETE');
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
    const evaluator = this.evaluator(stack);
    const definition = this.template(stack).Resources[resource.logicalId];
    this.resourceStatus(stack, resource, 'CREATE_IN_PROGRESS');
    let properties: Record<string, unknown>;
    try {
      properties = (evaluator.resolve(definition?.Properties ?? {}) ?? {}) as Record<string, unknown>;
    } catch (error) {
      if (!(error instanceof TemplateResolutionError)) throw error;
      this.resourceStatus(stack, resource, 'CREATE_FAILED', error.message);
      return;
    }
    resource.properties = properties;
    if (isCustomResourceType(resource.type)) {
      this.startCustom(stack, resource, 'Create');
      return;
    }
    const physicalId = evaluator.generatedPhysicalId(resource.logicalId);
    const claim = nameClaim({ type: resource.type, physicalId, properties }, stack);
    const taken = claim !== undefined && this.nameHolder(stack, resource, claim) !== undefined;
    const refused = taken ? `Resource of type '${resource.type}' with identifier '${claim.name}' already exists.` : refusedProperties(resource.type, properties);
    resource.physicalId = physicalId;
    resource.exists = refused === undefined;
    this.resourceStatus(stack, resource, 'CREATE_IN_PROGRESS', 'Resource creation Initiated');
    const failure = refused ?? this.options.faults.createFailure(resource.type, stack.stackName);
    if (failure !== undefined) resource.failure = failure;
    // What the service refuses fails at once; an injected failure part-way, as a service error would.
    const seconds = refused !== undefined ? 0.5 : resourceSeconds(resource.type, 'create', properties) * (failure === undefined ? 1 : 0.5);
    resource.dueAt = this.now() + scaledMilliseconds(seconds, this.options.speed);
    this.schedule(this.resourceKey(stack, resource), resource.dueAt, () => this.finishCreate(stack, resource));
  }

  private finishCreate(stack: StackRecord, resource: ResourceRecord): void {
    if (resource.status !== 'CREATE_IN_PROGRESS') return;
    delete resource.dueAt;
    if (resource.failure !== undefined) {
      const reason = resource.failure;
      delete resource.failure;
      this.resourceStatus(stack, resource, 'CREATE_FAILED', reason);
    } else {
      this.resourceStatus(stack, resource, 'CREATE_COMPLETE');
      this.registerCreated(stack, resource);
    }
    this.advance(stack);
  }

  private completeCreate(stack: StackRecord): void {
    const template = this.template(stack);
    const evaluator = this.evaluator(stack);
    const account = this.account(stack.account);
    let outputs: StackRecord['outputs'];
    try {
      const values = evaluator.outputs({ strict: true });
      outputs = Object.entries(values).map(([key, value]) => {
        const definition = template.Outputs?.[key];
        const exportName = definition?.Export === undefined ? undefined : String(evaluator.value(definition.Export.Name));
        return { key, value, ...(definition?.Description === undefined ? {} : { description: definition.Description }), ...(exportName === undefined ? {} : { exportName }) };
      });
      for (const output of outputs) {
        const taken = account.exports.find((existing) => existing.name === output.exportName && existing.region === stack.region);
        if (taken) throw new TemplateResolutionError(`Export with name ${output.exportName} is already exported by stack ${taken.stackId.split('/')[1] ?? taken.stackId}`);
      }
    } catch (error) {
      if (!(error instanceof TemplateResolutionError)) throw error;
      this.beginRollback(stack, `${error.message}. Rollback requested by user.`);
      return;
    }
    stack.outputs = outputs;
    for (const output of outputs) {
      if (output.exportName !== undefined) account.exports.push({ name: output.exportName, value: output.value, stackId: stack.stackId, region: stack.region });
    }
    this.clearTimer(`${stack.stackId}#deadline`);
    delete stack.deadline;
    delete stack.operation;
    this.stackEvent(stack, 'CREATE_COMPLETE');
  }

  /** A resource failed (or the stack timed out): cancel what is in flight, then roll back. */
  private failCreate(stack: StackRecord, timedOut: boolean): void {
    const failed = stack.resources.filter((resource) => resource.status === 'CREATE_FAILED').map((resource) => resource.logicalId);
    for (const resource of stack.resources) {
      if (resource.status !== 'CREATE_IN_PROGRESS') continue;
      this.clearTimer(this.resourceKey(stack, resource));
      delete resource.dueAt;
      delete resource.failure;
      // A custom resource that never answered has nothing CloudFormation knows of to delete.
      if (resource.pending) {
        delete resource.pending;
        resource.exists = false;
      }
      this.resourceStatus(stack, resource, 'CREATE_FAILED', 'Resource creation cancelled');
      if (timedOut) failed.push(resource.logicalId);
    }
    this.clearTimer(`${stack.stackId}#deadline`);
    delete stack.deadline;
    const list = `The following resource(s) failed to create: [${failed.join(', ')}]. `;
    const cause = timedOut ? 'Stack creation time exceeded the specified timeout. ' : list;
    if (stack.onFailure === 'DO_NOTHING') {
      delete stack.operation;
      this.stackEvent(stack, 'CREATE_FAILED', cause.trimEnd());
      return;
    }
    if (stack.onFailure === 'DELETE') {
      this.beginDelete(stack, `${cause}Delete requested by user.`);
      return;
    }
    this.beginRollback(stack, `${cause}Rollback requested by user.`);
  }

  private beginRollback(stack: StackRecord, reason: string): void {
    stack.operation = 'ROLLBACK';
    this.stackEvent(stack, 'ROLLBACK_IN_PROGRESS', reason);
    this.schedule(`${stack.stackId}#advance`, this.now(), () => this.advance(stack));
  }

  private advanceDelete(stack: StackRecord): void {
    const rollback = stack.operation === 'ROLLBACK';
    const graph = this.graph(stack);
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
      this.stackEvent(stack, rollback ? 'ROLLBACK_FAILED' : 'DELETE_FAILED', `The following resource(s) failed to delete: [${failures.join(', ')}]. `);
      return;
    }
    if (!stack.resources.every(gone)) return;
    delete stack.operation;
    if (rollback) {
      this.stackEvent(stack, 'ROLLBACK_COMPLETE');
      if (stack.deleteAfterRollback) this.beginDelete(stack, 'User Initiated');
      return;
    }
    const account = this.account(stack.account);
    account.exports = account.exports.filter((exported) => exported.stackId !== stack.stackId);
    stack.deletedAt = this.now();
    this.stackEvent(stack, 'DELETE_COMPLETE');
  }

  private startDelete(stack: StackRecord, resource: ResourceRecord, rollback: boolean): void {
    const policy = this.template(stack).Resources[resource.logicalId]?.DeletionPolicy;
    delete resource.retryDelete;
    if (policy === 'Retain' || (policy === 'RetainExceptOnCreate' && !rollback)) {
      this.resourceStatus(stack, resource, 'DELETE_SKIPPED');
      return;
    }
    this.resourceStatus(stack, resource, 'DELETE_IN_PROGRESS');
    if (isCustomResourceType(resource.type)) {
      this.startCustom(stack, resource, 'Delete');
      return;
    }
    if (!rollback && !stack.deleteFaultSpent) {
      const failure = this.options.faults.takeDeleteFailure(stack.stackName, stack.stackId);
      stack.deleteFaultSpent = true;
      if (failure !== undefined) resource.failure = failure;
    }
    const seconds = resourceSeconds(resource.type, 'delete', resource.properties) * (resource.failure === undefined ? 1 : 0.5);
    resource.dueAt = this.now() + scaledMilliseconds(seconds, this.options.speed);
    this.schedule(this.resourceKey(stack, resource), resource.dueAt, () => this.finishDelete(stack, resource));
  }

  private finishDelete(stack: StackRecord, resource: ResourceRecord): void {
    if (resource.status !== 'DELETE_IN_PROGRESS') return;
    delete resource.dueAt;
    if (resource.failure !== undefined) {
      const reason = resource.failure;
      delete resource.failure;
      this.resourceStatus(stack, resource, 'DELETE_FAILED', reason);
    } else {
      resource.exists = false;
      this.resourceStatus(stack, resource, 'DELETE_COMPLETE');
      this.unregisterDeleted(stack, resource);
    }
    this.advance(stack);
  }

  // ---- custom resources -----------------------------------------------------------------------

  private startCustom(stack: StackRecord, resource: ResourceRecord, requestType: 'Create' | 'Delete'): void {
    const properties = stringValues(resource.properties ?? {}) as Record<string, unknown>;
    const topicArn = String(properties['ServiceToken'] ?? '');
    const requestId = this.uuid('custom-resource-request');
    const responseId = `${requestId}.${this.sign(requestId)}`;
    const message = JSON.stringify({
      RequestType: requestType,
      ServiceToken: topicArn,
      ResponseURL: this.responseUrl(responseId),
      StackId: stack.stackId,
      RequestId: requestId,
      ResourceType: resource.type,
      LogicalResourceId: resource.logicalId,
      ...(requestType === 'Delete' && resource.physicalId !== undefined ? { PhysicalResourceId: resource.physicalId } : {}),
      ResourceProperties: properties,
    });
    if (!/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:.+$/.test(topicArn)) {
      const reason = `Invalid service token ${topicArn}: the sandbox delivers custom resource requests to SNS topics (arn:aws:sns:…) only`;
      if (requestType === 'Create') {
        this.resourceStatus(stack, resource, 'CREATE_FAILED', reason);
      } else {
        // Nothing was ever delivered to it, so there is nothing to delete.
        resource.exists = false;
        this.resourceStatus(stack, resource, 'DELETE_COMPLETE');
        this.schedule(`${stack.stackId}#advance`, this.now(), () => this.advance(stack));
      }
      return;
    }
    const timeoutSeconds = Number(properties['ServiceTimeout'] ?? 3600);
    const deadline = this.now() + Math.max(MIN_CUSTOM_RESOURCE_WAIT_MS, scaledMilliseconds(Number.isFinite(timeoutSeconds) ? timeoutSeconds : 3600, this.options.speed));
    resource.pending = { responseId, requestType, message, topicArn, deadline };
    this.schedule(this.resourceKey(stack, resource), deadline, () => this.customTimedOut(stack, resource, responseId));
    const delay = scaledMilliseconds(resourceSeconds(resource.type, requestType === 'Create' ? 'create' : 'delete'), this.options.speed);
    this.schedule(`${this.resourceKey(stack, resource)}#publish`, this.now() + delay, () => this.publish(stack, resource, responseId));
  }

  private publish(stack: StackRecord, resource: ResourceRecord, responseId: string): void {
    const pending = resource.pending;
    if (pending?.responseId !== responseId) return;
    // The ResponseURL is this process's edge, which may have moved since the request was made.
    const message = JSON.stringify({ ...(JSON.parse(pending.message) as object), ResponseURL: this.responseUrl(responseId) });
    this.options.hooks.publishToTopic(pending.topicArn, message).catch((error: unknown) => {
      if (resource.pending?.responseId !== responseId || this.stopped) return;
      const reason = `Failed to publish the custom resource request to ${pending.topicArn}: ${error instanceof Error ? error.message : String(error)}`;
      this.answerCustom(stack, resource, { Status: 'FAILED', Reason: reason }, true);
    });
  }

  private responseUrl(responseId: string): string {
    return `${this.options.edgeUrl}/_sandbox/cfn-responses/${responseId}`;
  }

  private customTimedOut(stack: StackRecord, resource: ResourceRecord, responseId: string): void {
    if (resource.pending?.responseId !== responseId) return;
    const requestId = responseId.split('.')[0] ?? responseId;
    const reason = `CloudFormation did not receive a response from your Custom Resource. Please check your logs for requestId [${requestId}].`;
    this.answerCustom(stack, resource, { Status: 'FAILED', Reason: reason }, true);
  }

  /**
   * An answer PUT to a ResponseURL. Unknown URLs are refused (403, as S3 refuses a bad signature);
   * a late answer to a request no longer awaited is accepted and ignored, as S3 would store it.
   */
  customResourceResponse(responseId: string, body: string): { status: number; message: string } {
    const [requestId, signature] = responseId.split('.');
    if (requestId === undefined || signature === undefined || this.sign(requestId) !== signature) {
      return { status: 403, message: 'AccessDenied: the ResponseURL is not one the sandbox issued' };
    }
    for (const account of Object.values(this.state.accounts)) {
      for (const stack of account.stacks) {
        const resource = stack.resources.find((candidate) => candidate.pending?.responseId === responseId);
        if (!resource) continue;
        if (Buffer.byteLength(body) > CUSTOM_RESPONSE_LIMIT) {
          this.answerCustom(stack, resource, { Status: 'FAILED', Reason: 'Response object is too long.' }, true);
          return { status: 200, message: 'accepted' };
        }
        let response: unknown;
        try {
          response = JSON.parse(body);
        } catch {
          response = undefined;
        }
        this.answerCustom(stack, resource, response, false);
        return { status: 200, message: 'accepted' };
      }
    }
    return { status: 200, message: 'accepted; no request is waiting for it' };
  }

  private answerCustom(stack: StackRecord, resource: ResourceRecord, response: unknown, fromSandbox: boolean): void {
    const pending = resource.pending;
    if (!pending) return;
    const requestId = pending.responseId.split('.')[0] ?? '';
    const answer = (typeof response === 'object' && response !== null ? response : {}) as Record<string, unknown>;
    const problem = fromSandbox ? undefined : invalidResponse(answer, stack, resource, requestId, pending.requestType);
    const status = problem === undefined ? answer['Status'] : 'FAILED';
    const physicalId = typeof answer['PhysicalResourceId'] === 'string' && answer['PhysicalResourceId'] !== '' ? answer['PhysicalResourceId'] : undefined;
    const reason =
      problem ??
      (fromSandbox
        ? String(answer['Reason'])
        : `Received response status [${String(status)}] from custom resource. Message returned: ${typeof answer['Reason'] === 'string' && answer['Reason'] !== '' ? answer['Reason'] : 'See the details in the handler logs'} (RequestId: ${requestId})`);
    delete resource.pending;
    this.clearTimer(this.resourceKey(stack, resource));
    this.clearTimer(`${this.resourceKey(stack, resource)}#publish`);

    if (pending.requestType === 'Create') {
      if (resource.status !== 'CREATE_IN_PROGRESS') return;
      // A failed Create still gets its Delete in the rollback, with the id it answered (or one made up).
      resource.physicalId = physicalId ?? resource.physicalId ?? `${stack.stackName}-${resource.logicalId}-${requestId.slice(0, 8)}`;
      resource.exists = true;
      if (status === 'SUCCESS') {
        const data = answer['Data'];
        resource.data = typeof data === 'object' && data !== null ? (stringValues(data) as Record<string, string>) : {};
        this.resourceStatus(stack, resource, 'CREATE_COMPLETE');
      } else {
        this.resourceStatus(stack, resource, 'CREATE_FAILED', reason);
      }
    } else {
      if (resource.status !== 'DELETE_IN_PROGRESS') return;
      if (status === 'SUCCESS') {
        resource.exists = false;
        this.resourceStatus(stack, resource, 'DELETE_COMPLETE');
      } else {
        this.resourceStatus(stack, resource, 'DELETE_FAILED', reason);
      }
    }
    this.advance(stack);
  }

  // ---- what stacks create in the account: roles, rules ----------------------------------------

  private registerCreated(stack: StackRecord, resource: ResourceRecord): void {
    const account = this.account(stack.account);
    const properties = resource.properties ?? {};
    const evaluator = this.evaluator(stack);
    if (resource.type === 'AWS::IAM::Role') {
      account.roles.push({
        arn: String(evaluator.attribute(resource.logicalId, 'Arn')),
        name: resource.physicalId ?? '',
        roleId: String(evaluator.attribute(resource.logicalId, 'RoleId')),
        trustPolicy: parseJson(properties['AssumeRolePolicyDocument']),
        maxSessionDuration: Number(properties['MaxSessionDuration'] ?? 3600),
        stackId: stack.stackId,
        logicalId: resource.logicalId,
      });
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

  private unregisterDeleted(stack: StackRecord, resource: ResourceRecord): void {
    const account = this.account(stack.account);
    const mine = (entry: { stackId?: string; logicalId?: string }) => entry.stackId === stack.stackId && entry.logicalId === resource.logicalId;
    account.roles = account.roles.filter((role) => !mine(role));
    account.rules = account.rules.filter((rule) => !mine(rule));
  }

  /** The live resource, of this stack or another, that already holds the name the resource claims. */
  private nameHolder(stack: StackRecord, resource: ResourceRecord, claim: NameClaim): ResourceRecord | undefined {
    const accounts = claim.everyAccount ? Object.values(this.state.accounts) : [this.account(stack.account)];
    for (const other of accounts.flatMap((account) => account.stacks)) {
      if (other.status === 'DELETE_COMPLETE') continue;
      const found = other.resources.find((candidate) => {
        if (candidate.type !== resource.type || !candidate.exists || GONE.has(candidate.status ?? '') || candidate.physicalId === undefined) return false;
        if (other.stackId === stack.stackId && candidate.logicalId === resource.logicalId) return false;
        const held = nameClaim({ type: candidate.type, physicalId: candidate.physicalId, properties: candidate.properties ?? {} }, other);
        return held !== undefined && held.scope === claim.scope && held.key === claim.key;
      });
      if (found) return found;
    }
    return undefined;
  }

  // ---- events ---------------------------------------------------------------------------------

  private stackEvent(stack: StackRecord, status: string, reason?: string): void {
    stack.status = status;
    if (reason === undefined) delete stack.statusReason;
    else stack.statusReason = reason;
    stack.lastUpdatedAt = this.now();
    this.event(stack, { logicalId: stack.stackName, physicalId: stack.stackId, type: 'AWS::CloudFormation::Stack', status, ...(reason === undefined ? {} : { reason }) });
  }

  private resourceStatus(stack: StackRecord, resource: ResourceRecord, status: string, reason?: string): void {
    resource.status = status;
    if (reason === undefined) delete resource.statusReason;
    else resource.statusReason = reason;
    resource.updatedAt = this.now();
    const physicalId = status === 'CREATE_IN_PROGRESS' && reason === undefined ? '' : (resource.physicalId ?? '');
    this.event(stack, { logicalId: resource.logicalId, physicalId, type: resource.type, status, ...(reason === undefined ? {} : { reason }) });
  }

  private event(stack: StackRecord, fields: Omit<EventRecord, 'eventId' | 'timestamp' | 'clientRequestToken'>): void {
    const event: EventRecord = {
      eventId: this.uuid('event'),
      timestamp: this.now(),
      ...fields,
      ...(stack.clientRequestToken === undefined ? {} : { clientRequestToken: stack.clientRequestToken }),
    };
    stack.events.push(event);
    this.changed();
    this.publishEvent(stack, event);
  }

  /** The `aws.cloudformation` event of a status change, to the account's matching rules. */
  private publishEvent(stack: StackRecord, event: EventRecord): void {
    const rules = (this.state.accounts[stack.account]?.rules ?? []).filter(
      (rule) => rule.enabled && rule.eventBusName === 'default' && rule.arn.split(':')[3] === stack.region,
    );
    if (rules.length === 0) return;
    const isStack = event.type === 'AWS::CloudFormation::Stack';
    const statusDetails = { status: event.status, 'status-reason': event.reason ?? '' };
    const detailType = isStack ? 'CloudFormation Stack Status Change' : 'CloudFormation Resource Status Change';
    const detail = isStack
      ? { 'stack-id': stack.stackId, 'status-details': statusDetails, 'client-request-token': event.clientRequestToken ?? '' }
      : {
          'stack-id': stack.stackId,
          'logical-resource-id': event.logicalId,
          'physical-resource-id': event.physicalId,
          'status-details': statusDetails,
          'resource-type': event.type,
          'client-request-token': event.clientRequestToken ?? '',
        };
    const envelope = {
      version: '0',
      id: event.eventId,
      'detail-type': detailType,
      source: 'aws.cloudformation',
      account: stack.account,
      time: new Date(event.timestamp).toISOString(),
      region: stack.region,
      resources: [stack.stackId],
      detail,
    };
    for (const rule of rules) {
      if (!ruleMatches(rule.pattern, envelope)) continue;
      for (const target of rule.targets) this.deliver(target.arn, envelope, { source: 'aws.cloudformation', detailType, detail, account: stack.account, region: stack.region });
    }
  }

  /** Deliveries go out one after another, in the order of the changes. */
  private deliver(targetArn: string, envelope: object, entry: Parameters<SandboxHooks['putEvent']>[1]): void {
    const { hooks, log } = this.options;
    this.deliveries = this.deliveries
      .then(async () => {
        if (/^arn:aws[a-z-]*:events:[^:]*:\d{12}:event-bus\//.test(targetArn)) await hooks.putEvent(targetArn, entry);
        else if (/^arn:aws[a-z-]*:sns:/.test(targetArn)) await hooks.publishToTopic(targetArn, JSON.stringify(envelope));
        else log(`rule target ${targetArn} is neither an event bus nor an SNS topic; event not delivered`);
      })
      .catch((error: unknown) => log(`could not deliver a CloudFormation event to ${targetArn}: ${error instanceof Error ? error.message : String(error)}`));
  }

  // ---- restart, stop --------------------------------------------------------------------------

  /** After loading the state: every operation in progress carries on (or ends, if its time passed). */
  resume(): void {
    for (const account of Object.values(this.state.accounts)) {
      for (const stack of account.stacks) {
        if (stack.operation === undefined) continue;
        for (const resource of stack.resources) {
          const key = this.resourceKey(stack, resource);
          if (resource.pending) {
            const { responseId, deadline } = resource.pending;
            this.schedule(key, deadline, () => this.customTimedOut(stack, resource, responseId));
            // The request may have been lost with the process: deliver it again (SNS is at-least-once too).
            this.schedule(`${key}#publish`, this.now(), () => this.publish(stack, resource, responseId));
          } else if (resource.dueAt !== undefined && resource.status === 'CREATE_IN_PROGRESS') {
            this.schedule(key, resource.dueAt, () => this.finishCreate(stack, resource));
          } else if (resource.dueAt !== undefined && resource.status === 'DELETE_IN_PROGRESS') {
            this.schedule(key, resource.dueAt, () => this.finishDelete(stack, resource));
          }
        }
        if (stack.deadline !== undefined) this.schedule(`${stack.stackId}#deadline`, stack.deadline, () => this.advance(stack));
        this.schedule(`${stack.stackId}#advance`, this.now(), () => this.advance(stack));
      }
    }
  }

  stop(): void {
    this.stopped = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }

  /** Resolves when every event delivery started so far has been attempted. */
  async settled(): Promise<void> {
    await this.deliveries;
  }

  // ---- helpers --------------------------------------------------------------------------------

  template(stack: StackRecord): CfnTemplate {
    let template = this.templates.get(stack.stackId);
    if (!template) {
      template = readTemplate(stack.templateBody);
      this.templates.set(stack.stackId, template);
    }
    return template;
  }

  private graph(stack: StackRecord): Map<string, string[]> {
    let graph = this.graphs.get(stack.stackId);
    if (!graph) {
      graph = dependencyGraph(this.template(stack), stack.resources.map((resource) => resource.logicalId));
      this.graphs.set(stack.stackId, graph);
    }
    return graph;
  }

  evaluator(stack: StackRecord): TemplateEvaluator {
    const account = this.state.accounts[stack.account];
    return new TemplateEvaluator(
      this.template(stack),
      { stackId: stack.stackId, stackName: stack.stackName, account: stack.account, region: stack.region, parameters: { ...stack.parameters, ...stack.resolvedParameters } },
      {
        physicalId: (logicalId) => this.resource(stack, logicalId)?.physicalId,
        customAttribute: (logicalId, attribute) => this.resource(stack, logicalId)?.data?.[attribute],
        exportValue: (name) => account?.exports.find((exported) => exported.name === name && exported.region === stack.region)?.value,
      },
    );
  }

  private resource(stack: StackRecord, logicalId: string): ResourceRecord | undefined {
    return stack.resources.find((resource) => resource.logicalId === logicalId);
  }

  private resourceKey(stack: StackRecord, resource: ResourceRecord): string {
    return `${stack.stackId}#${resource.logicalId}`;
  }

  private schedule(key: string, at: number, action: () => void): void {
    if (this.stopped) return;
    this.clearTimer(key);
    const timer = setTimeout(() => {
      this.timers.delete(key);
      if (this.stopped) return;
      try {
        action();
      } catch (error) {
        this.options.log(`internal error in ${key}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      }
    }, Math.max(0, at - this.now()));
    this.timers.set(key, timer);
  }

  private clearTimer(key: string): void {
    const timer = this.timers.get(key);
    if (timer !== undefined) clearTimeout(timer);
    this.timers.delete(key);
  }

  private now(): number {
    return this.options.now();
  }

  private changed(): void {
    this.options.writer.changed();
  }

  /** UUID-shaped and deterministic: the same sequence of calls gives the same ids in every run. */
  uuid(purpose: string): string {
    const hex = sha256(`sandbox:${purpose}:${this.state.sequence++}`);
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
  }

  private sign(text: string): string {
    return createHmac('sha256', this.state.secret).update(text).digest('hex').slice(0, 32);
  }
}

/** What is wrong with a custom resource's answer, if anything, in CloudFormation's words. */
function invalidResponse(answer: Record<string, unknown>, stack: StackRecord, resource: ResourceRecord, requestId: string, requestType: 'Create' | 'Delete'): string | undefined {
  if (Object.keys(answer).length === 0) return 'Invalid response object: the response is not a JSON object';
  const status = answer['Status'];
  if (status !== 'SUCCESS' && status !== 'FAILED') return `Invalid response object: Value of property Status must be one of [SUCCESS, FAILED]`;
  if (answer['StackId'] !== stack.stackId) return 'Invalid response object: StackId does not match the request';
  if (answer['RequestId'] !== requestId) return 'Invalid response object: RequestId does not match the request';
  if (answer['LogicalResourceId'] !== resource.logicalId) return 'Invalid response object: LogicalResourceId does not match the request';
  const physicalId = answer['PhysicalResourceId'];
  if (requestType === 'Create' && status === 'SUCCESS' && (typeof physicalId !== 'string' || physicalId === '')) {
    return 'Invalid PhysicalResourceId';
  }
  const data = answer['Data'];
  if (data !== undefined && (typeof data !== 'object' || data === null || Array.isArray(data))) return 'Invalid response object: Value of property Data must be an object';
  return undefined;
}

/** CloudFormation hands custom resources every scalar as a string. */
function stringValues(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stringValues);
  if (typeof value === 'object' && value !== null) return Object.fromEntries(Object.entries(value).map(([key, element]) => [key, stringValues(element)]));
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return value;
}

/** What the resource's service refuses outright, as CloudFormation reports it. */
function refusedProperties(type: string, properties: Record<string, unknown>): string | undefined {
  if (type === 'AWS::Events::Rule' && properties['EventPattern'] !== undefined) {
    try {
      assertValidPattern(parseJson(properties['EventPattern']));
    } catch (error) {
      return `Event pattern is not valid. Reason: ${error instanceof Error ? error.message : String(error)}`;
    }
  }
  return undefined;
}

function ruleMatches(pattern: unknown, event: object): boolean {
  if (typeof pattern !== 'object' || pattern === null) return false;
  try {
    return matchesPattern(pattern, event);
  } catch {
    return false;
  }
}

function parseJson(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}
