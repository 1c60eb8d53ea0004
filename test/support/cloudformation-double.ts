import type { AwsStub } from 'aws-sdk-client-mock';
import {
  AlreadyExistsException,
  CloudFormationServiceException,
  CreateStackCommand,
  DeleteStackCommand,
  DescribeStackEventsCommand,
  DescribeStacksCommand,
  InsufficientCapabilitiesException,
  type CreateStackInput,
  type CreateStackCommandOutput,
  type DeleteStackInput,
  type DeleteStackCommandOutput,
  type DescribeStackEventsInput,
  type DescribeStackEventsCommandOutput,
  type DescribeStacksInput,
  type DescribeStacksCommandOutput,
  type ResourceStatus,
  type ServiceInputTypes,
  type ServiceOutputTypes,
  type Stack,
  type StackEvent,
  type StackStatus,
} from '@aws-sdk/client-cloudformation';
import type { CfnTemplate } from '../../src/cfn/template-types';
import { ValidationError as SandboxValidationError } from '../../local/sandbox/errors';
import { checkConditionalResources, checkStackName, missingCapabilities, parseTemplateBody, resolveParameters, resolveTags } from '../../local/sandbox/stack-input';
import { TemplateEvaluator, sha256 } from '../../local/sandbox/template-evaluator';

/**
 * A CloudFormation double behind the real SDK client (aws-sdk-client-mock replaces only `send`):
 * CreateStack, DescribeStacks, DeleteStack and DescribeStackEvents, modelled on what the service
 * does and answers (status flow, error names and messages, idempotency by ClientRequestToken,
 * lookups by name versus by stack id), with faults that tests switch on by stack name or command.
 *
 * Time is counted in DescribeStacks calls, not clocks: an operation ends on the
 * `describesToComplete`-th DescribeStacks that sees it in progress (0: at once).
 */

export interface DoubleStack {
  stackId: string;
  stackName: string;
  status: string;
  statusReason?: string;
  parameters: Record<string, string>;
  tags: Record<string, string>;
  roleArn?: string;
  clientRequestToken?: string;
  outputs: Record<string, string>;
  template: unknown;
  account: string;
  region: string;
  createdAt: number;
  capabilities: string[];
  deletedAt?: number;
}

export interface RecordedCall {
  /** 'CreateStack', 'DescribeStacks', … (the command class name without "Command"). */
  command: string;
  input: unknown;
  /** The stack the call names (a stack id is read back to its name); absent when it names none. */
  stackName?: string;
  /** 'ok', or the name of the error the call threw. */
  outcome: 'ok' | string;
}

export interface CallMatch {
  /** 'CreateStack' or 'CreateStackCommand'; absent: any command. */
  command?: string;
  /** Substring of, or pattern for, the stack name the call names; absent: any call. */
  stackName?: string | RegExp;
}

export interface CloudFormationDoubleOptions {
  account?: string;
  region?: string;
  /** DescribeStacks calls that see an operation in progress before it ends (default 1: the first one sees it ended). */
  describesToComplete?: number;
  /** Clock for CreationTime, DeletionTime and event timestamps (default Date.now). */
  now?: () => number;
}

/** A command as the mocked `send` receives it: any SDK Command has `input`. */
interface SentCommand {
  input: unknown;
}

interface StackRecord {
  stack: DoubleStack;
  parsed: CfnTemplate;
  onFailure: 'ROLLBACK' | 'DO_NOTHING' | 'DELETE';
  timeoutInMinutes?: number;
  /** DescribeStacks calls that have seen the current operation in progress. */
  describes: number;
  /** Logical ids of the resources that exist now (created and not deleted). */
  liveResources: string[];
  events: StackEvent[];
  /** A rollback under way: the failure it ends with, and the describes it still takes. */
  rollback?: { reason: string; failed: string; remaining: number };
}

interface CreateFault {
  match: string | RegExp;
  reason: string;
  /** DescribeStacks calls that see the rollback in progress before it ends (default 0: the one that sees the failure sees it rolled back). */
  rollbackDescribes: number;
}
interface DeleteFault {
  match: string | RegExp;
  times: number;
  reason?: string;
  failedSoFar: Map<string, number>;
}
interface CountedFault {
  match: CallMatch;
  remaining: number;
}

const SUPPORTED = ['CreateStack', 'DescribeStacks', 'DeleteStack', 'DescribeStackEvents'] as const;
type SupportedCommand = (typeof SUPPORTED)[number];

export class CloudFormationDouble {
  readonly calls: RecordedCall[] = [];
  private readonly account: string;
  private readonly region: string;
  private readonly describesToComplete: number;
  private readonly now: () => number;
  private readonly records: StackRecord[] = [];
  private sequence = 0;

  private createFaults: CreateFault[] = [];
  private deleteFaults: DeleteFault[] = [];
  private throttles: CountedFault[] = [];
  private denials: CallMatch[] = [];
  private hangs: Array<{ match: string | RegExp; until?: () => boolean }> = [];
  private droppedResponses: CountedFault[] = [];

  constructor(options: CloudFormationDoubleOptions = {}) {
    this.account = options.account ?? '123456789012';
    this.region = options.region ?? 'us-east-1';
    this.describesToComplete = options.describesToComplete ?? 1;
    if (!Number.isInteger(this.describesToComplete) || this.describesToComplete < 0) {
      throw new RangeError(`describesToComplete must be a whole number ≥ 0, not ${this.describesToComplete}`);
    }
    this.now = options.now ?? Date.now;
  }

  /**
   * Wires the double into a mocked client: mockClient(CloudFormationClient) or mockClient(instance).
   * It becomes the stub's default behaviour, so a test may still add `stub.on(…).rejectsOnce(…)`
   * on top; after `stub.reset()`, attach again.
   */
  attach(stub: AwsStub<ServiceInputTypes, ServiceOutputTypes, unknown>): void {
    stub.send.callsFake((command) => this.send(command as SentCommand));
  }

  /** Handles one command as CloudFormation would; what `attach` routes every `send` to. */
  async send(command: SentCommand): Promise<ServiceOutputTypes> {
    const name = commandName(command);
    const input = (command.input ?? {}) as Record<string, unknown>;
    const call: RecordedCall = { command: name, input: copy(input), outcome: 'ok' };
    const stackName = this.callStackName(input);
    if (stackName !== undefined) call.stackName = stackName;
    this.calls.push(call);
    try {
      this.injectCallFaults(name, stackName);
      const output = this.execute(name, input);
      if (this.consume(this.droppedResponses, name, stackName)) {
        // The service acted; only the answer was lost on the way back (what a client timeout looks like).
        throw Object.assign(new Error('Connection timed out after the request was sent'), { name: 'TimeoutError', $metadata: {} });
      }
      return output;
    } catch (error) {
      call.outcome = error instanceof Error ? error.name : 'Error';
      throw error;
    }
  }

  /** Every stack ever created, including deleted ones (status DELETE_COMPLETE). */
  allStacks(): DoubleStack[] {
    return this.records.map((record) => copy(record.stack));
  }

  /** Names of stacks that still exist (anything but DELETE_COMPLETE). */
  liveStackNames(): string[] {
    return this.records.filter(isLive).map((record) => record.stack.stackName);
  }

  /** The live stack of that name, or the stack of that id (deleted ones too). */
  stack(nameOrId: string): DoubleStack | undefined {
    const record = this.find(nameOrId);
    return record ? copy(record.stack) : undefined;
  }

  /** A stack's events, oldest first (DescribeStackEvents answers newest first). */
  eventsOf(nameOrId: string): StackEvent[] {
    return copy(this.find(nameOrId)?.events ?? []);
  }

  /**
   * The stack's resources fail to create: CREATE_IN_PROGRESS → (CREATE_FAILED resource event) →
   * ROLLBACK_IN_PROGRESS → ROLLBACK_COMPLETE, with `reason` as the StackStatusReason and the failed
   * resource's ResourceStatusReason. Applies to every matching creation until clearFaults().
   * With `rollbackDescribes`, the stack stays ROLLBACK_IN_PROGRESS for that many DescribeStacks.
   */
  failCreate(match: string | RegExp, reason = 'Resource handler returned message: "Injected failure" (HandlerErrorCode: InternalFailure)', options: { rollbackDescribes?: number } = {}): void {
    this.createFaults.push({ match, reason, rollbackDescribes: options.rollbackDescribes ?? 0 });
  }

  /** DELETE_IN_PROGRESS → DELETE_FAILED, `times` times for each matching stack. */
  failDelete(match: string | RegExp, times = Number.POSITIVE_INFINITY, reason?: string): void {
    this.deleteFaults.push({ match, times, ...(reason === undefined ? {} : { reason }), failedSoFar: new Map() });
  }

  /** The next `count` matching calls throw Throttling (400, "Rate exceeded") and do nothing. */
  throttle(match: CallMatch, count: number): void {
    this.throttles.push({ match, remaining: count });
  }

  /** Matching calls throw AccessDenied (403) and do nothing, until clearFaults(). */
  denyAccess(match: CallMatch): void {
    this.denials.push(match);
  }

  /**
   * Matching stacks stay CREATE_IN_PROGRESS while this holds: until `until()` returns true, or
   * without it until clearFaults(). A create fault on the same stack still applies when it ends.
   */
  hang(match: string | RegExp, until?: () => boolean): void {
    this.hangs.push(until === undefined ? { match } : { match, until });
  }

  /** The next `count` matching calls take effect but throw TimeoutError, as if the response was lost. */
  dropResponse(match: CallMatch, count: number): void {
    this.droppedResponses.push({ match, remaining: count });
  }

  clearFaults(): void {
    this.createFaults = [];
    this.deleteFaults = [];
    this.throttles = [];
    this.denials = [];
    this.hangs = [];
    this.droppedResponses = [];
  }

  // ---- commands -------------------------------------------------------------------------------

  private execute(name: string, input: Record<string, unknown>): ServiceOutputTypes {
    switch (name as SupportedCommand) {
      case 'CreateStack':
        return this.createStack(input as unknown as CreateStackInput);
      case 'DescribeStacks':
        return this.describeStacks(input as DescribeStacksInput);
      case 'DeleteStack':
        return this.deleteStack(input as unknown as DeleteStackInput);
      case 'DescribeStackEvents':
        return this.describeStackEvents(input as unknown as DescribeStackEventsInput);
      default:
        throw Object.assign(new Error(`The CloudFormation double does not implement ${name}; supported: ${SUPPORTED.join(', ')}`), {
          name: 'UnsupportedOperation',
        });
    }
  }

  private createStack(input: CreateStackInput): CreateStackCommandOutput {
    const name = input.StackName ?? '';
    if (input.TemplateURL !== undefined) {
      throw Object.assign(new Error('The CloudFormation double reads TemplateBody only, not TemplateURL'), { name: 'UnsupportedOperation' });
    }
    // The checks CloudFormation makes before creating anything are the sandbox account's own.
    const { template, parameters, capabilities, tags } = this.validated(() => {
      checkStackName(name);
      const parsed = parseTemplateBody(input.TemplateBody);
      return {
        template: parsed,
        parameters: resolveParameters(parsed, input.Parameters ?? []),
        capabilities: (input.Capabilities ?? []).map(String),
        tags: resolveTags(input.Tags ?? []),
      };
    });
    const missing = missingCapabilities(template, capabilities);
    if (missing.length > 0) {
      throw new InsufficientCapabilitiesException({
        message: `Requires capabilities : [${missing.join(', ')}]`,
        Message: `Requires capabilities : [${missing.join(', ')}]`,
        $metadata: this.metadata(400),
      });
    }

    const existing = this.records.find((record) => isLive(record) && record.stack.stackName === name);
    if (existing) {
      // A retry of the request that created it (same token) is answered as the first time.
      if (input.ClientRequestToken !== undefined && existing.stack.clientRequestToken === input.ClientRequestToken) {
        return { StackId: existing.stack.stackId, $metadata: this.metadata(200) };
      }
      throw new AlreadyExistsException({ message: `Stack [${name}] already exists`, Message: `Stack [${name}] already exists`, $metadata: this.metadata(400) });
    }

    const stackId = `arn:aws:cloudformation:${this.region}:${this.account}:stack/${name}/${this.uuid(`stack:${name}`)}`;
    const stack: DoubleStack = {
      stackId,
      stackName: name,
      status: 'CREATE_IN_PROGRESS',
      statusReason: 'User Initiated',
      parameters,
      tags,
      outputs: {},
      template,
      account: this.account,
      region: this.region,
      createdAt: this.now(),
      capabilities,
      ...(input.RoleARN === undefined ? {} : { roleArn: input.RoleARN }),
      ...(input.ClientRequestToken === undefined ? {} : { clientRequestToken: input.ClientRequestToken }),
    };
    const onFailure = input.OnFailure ?? (input.DisableRollback ? 'DO_NOTHING' : 'ROLLBACK');
    const record: StackRecord = {
      stack,
      parsed: template,
      onFailure,
      describes: 0,
      liveResources: [],
      events: [],
      ...(input.TimeoutInMinutes === undefined ? {} : { timeoutInMinutes: input.TimeoutInMinutes }),
    };
    // A resource with a Condition is checked once its condition is known, as in the sandbox.
    this.validated(() => checkConditionalResources(template, this.resourcesOf(record)));
    this.records.push(record);
    this.stackEvent(record, 'CREATE_IN_PROGRESS', 'User Initiated');
    this.progress(record, false);
    return { StackId: stackId, $metadata: this.metadata(200) };
  }

  private describeStacks(input: DescribeStacksInput): DescribeStacksCommandOutput {
    let described: StackRecord[];
    if (input.StackName === undefined || input.StackName === '') {
      described = this.records.filter(isLive);
    } else {
      const record = this.find(input.StackName);
      if (!record) throw this.validationError(`Stack with id ${input.StackName} does not exist`);
      described = [record];
    }
    // The describe that sees an operation end answers with its end state (even DELETE_COMPLETE by name).
    for (const record of described) this.progress(record, true);
    return { Stacks: described.map((record) => this.render(record)), $metadata: this.metadata(200) };
  }

  private deleteStack(input: DeleteStackInput): DeleteStackCommandOutput {
    const record = this.find(input.StackName ?? '');
    // Deleting what does not exist (or no longer does) succeeds and does nothing, as in CloudFormation.
    if (!record || !isLive(record) || record.stack.status === 'DELETE_IN_PROGRESS') return { $metadata: this.metadata(200) };
    // One operation at a time: a rollback under way is not interrupted (as the sandbox answers; decision 0015).
    if (record.stack.status === 'ROLLBACK_IN_PROGRESS') throw this.validationError(`Stack [${record.stack.stackName}] cannot be deleted while in status ROLLBACK_IN_PROGRESS`);
    record.stack.status = 'DELETE_IN_PROGRESS';
    record.stack.statusReason = 'User Initiated';
    record.describes = 0;
    this.stackEvent(record, 'DELETE_IN_PROGRESS', 'User Initiated', input.ClientRequestToken);
    this.progress(record, false);
    return { $metadata: this.metadata(200) };
  }

  private describeStackEvents(input: DescribeStackEventsInput): DescribeStackEventsCommandOutput {
    const record = this.find(input.StackName ?? '');
    if (!record) throw this.validationError(`Stack [${input.StackName ?? ''}] does not exist`);
    return { StackEvents: copy(record.events).reverse(), $metadata: this.metadata(200) };
  }

  // ---- validation -----------------------------------------------------------------------------

  /** Runs the shared CreateStack checks, answering their ValidationError as the SDK would surface it. */
  private validated<T>(check: () => T): T {
    try {
      return check();
    } catch (error) {
      if (error instanceof SandboxValidationError) throw this.validationError(error.message);
      throw error;
    }
  }

  // ---- progress -------------------------------------------------------------------------------

  private progress(record: StackRecord, describing: boolean): void {
    const status = record.stack.status;
    if (status === 'ROLLBACK_IN_PROGRESS' && record.rollback) {
      if (describing) record.rollback.remaining -= 1;
      if (record.rollback.remaining <= 0) this.finishRollback(record);
      return;
    }
    if (status !== 'CREATE_IN_PROGRESS' && status !== 'DELETE_IN_PROGRESS') return;
    if (status === 'CREATE_IN_PROGRESS' && this.hangs.some((hang) => matches(hang.match, record.stack.stackName) && !(hang.until?.() ?? false))) return;
    if (describing) record.describes += 1;
    if (record.describes < this.describesToComplete) return;
    if (status === 'CREATE_IN_PROGRESS') this.finishCreate(record);
    else this.finishDelete(record);
  }

  private finishCreate(record: StackRecord): void {
    const resources = this.resourcesOf(record);
    const fault = this.createFaults.find((candidate) => matches(candidate.match, record.stack.stackName));
    if (!fault) {
      for (const logicalId of resources) {
        this.resourceEvent(record, logicalId, 'CREATE_IN_PROGRESS');
        this.resourceEvent(record, logicalId, 'CREATE_COMPLETE');
      }
      record.liveResources = [...resources];
      record.stack.outputs = this.evaluator(record).outputs();
      this.settle(record, 'CREATE_COMPLETE');
      return;
    }
    const failed = resources[0] ?? 'Stack';
    this.resourceEvent(record, failed, 'CREATE_IN_PROGRESS');
    this.resourceEvent(record, failed, 'CREATE_FAILED', fault.reason);
    if (record.onFailure === 'DO_NOTHING') {
      record.liveResources = [];
      this.settle(record, 'CREATE_FAILED', fault.reason);
      return;
    }
    this.stackEvent(record, 'ROLLBACK_IN_PROGRESS', `The following resource(s) failed to create: [${failed}]. Rollback requested by user.`);
    if (fault.rollbackDescribes > 0 && record.onFailure === 'ROLLBACK') {
      record.stack.status = 'ROLLBACK_IN_PROGRESS';
      record.stack.statusReason = `The following resource(s) failed to create: [${failed}]. Rollback requested by user.`;
      record.rollback = { reason: fault.reason, failed, remaining: fault.rollbackDescribes };
      return;
    }
    this.finishRollback(record, fault.reason, failed);
  }

  /** The rollback of a failed creation ends: what was made is deleted. */
  private finishRollback(record: StackRecord, reason = record.rollback?.reason ?? '', failed = record.rollback?.failed ?? 'Stack'): void {
    delete record.rollback;
    this.resourceEvent(record, failed, 'DELETE_IN_PROGRESS');
    this.resourceEvent(record, failed, 'DELETE_COMPLETE');
    record.liveResources = [];
    if (record.onFailure === 'DELETE') {
      this.stackEvent(record, 'ROLLBACK_COMPLETE', reason);
      this.stackEvent(record, 'DELETE_IN_PROGRESS', 'OnFailure=DELETE');
      record.stack.deletedAt = this.now();
      this.settle(record, 'DELETE_COMPLETE', reason);
      return;
    }
    this.settle(record, 'ROLLBACK_COMPLETE', reason);
  }

  private finishDelete(record: StackRecord): void {
    const fault = this.deleteFaults.find(
      (candidate) => matches(candidate.match, record.stack.stackName) && (candidate.failedSoFar.get(record.stack.stackId) ?? 0) < candidate.times,
    );
    const reverse = [...record.liveResources].reverse();
    if (fault) {
      fault.failedSoFar.set(record.stack.stackId, (fault.failedSoFar.get(record.stack.stackId) ?? 0) + 1);
      const failed = reverse[0] ?? this.resourcesOf(record).at(-1) ?? 'Stack';
      const reason = fault.reason ?? `The following resource(s) failed to delete: [${failed}]. `;
      this.resourceEvent(record, failed, 'DELETE_IN_PROGRESS');
      this.resourceEvent(record, failed, 'DELETE_FAILED', fault.reason ?? 'Resource handler returned message: "Injected deletion failure" (HandlerErrorCode: InternalFailure)');
      this.settle(record, 'DELETE_FAILED', reason);
      return;
    }
    for (const logicalId of reverse) {
      this.resourceEvent(record, logicalId, 'DELETE_IN_PROGRESS');
      this.resourceEvent(record, logicalId, 'DELETE_COMPLETE');
    }
    record.liveResources = [];
    record.stack.deletedAt = this.now();
    this.settle(record, 'DELETE_COMPLETE');
  }

  private settle(record: StackRecord, status: StackStatus, reason?: string): void {
    record.stack.status = status;
    if (reason === undefined) delete record.stack.statusReason;
    else record.stack.statusReason = reason;
    this.stackEvent(record, status, reason);
  }

  /** Resources of the template whose Condition (if any) holds, in template order. */
  private resourcesOf(record: StackRecord): string[] {
    return this.evaluator(record).resourcesToCreate();
  }

  private evaluator(record: StackRecord): TemplateEvaluator {
    return new TemplateEvaluator(record.parsed, record.stack);
  }

  // ---- rendering ------------------------------------------------------------------------------

  private render(record: StackRecord): Stack {
    const { stack, parsed } = record;
    const outputs = Object.entries(stack.outputs);
    return {
      StackId: stack.stackId,
      StackName: stack.stackName,
      ...(parsed.Description === undefined ? {} : { Description: parsed.Description }),
      Parameters: Object.entries(stack.parameters).map(([key, value]) => ({
        ParameterKey: key,
        ParameterValue: parsed.Parameters?.[key]?.NoEcho ? '****' : value,
      })),
      CreationTime: new Date(stack.createdAt),
      ...(stack.deletedAt === undefined ? {} : { DeletionTime: new Date(stack.deletedAt) }),
      StackStatus: stack.status as StackStatus,
      ...(stack.statusReason === undefined ? {} : { StackStatusReason: stack.statusReason }),
      DisableRollback: record.onFailure === 'DO_NOTHING',
      NotificationARNs: [],
      ...(record.timeoutInMinutes === undefined ? {} : { TimeoutInMinutes: record.timeoutInMinutes }),
      ...(stack.capabilities.length === 0 ? {} : { Capabilities: stack.capabilities as Stack['Capabilities'] }),
      ...(outputs.length === 0
        ? {}
        : {
            Outputs: outputs.map(([key, value]) => ({
              OutputKey: key,
              OutputValue: value,
              ...(parsed.Outputs?.[key]?.Description === undefined ? {} : { Description: parsed.Outputs[key].Description }),
            })),
          }),
      ...(stack.roleArn === undefined ? {} : { RoleARN: stack.roleArn }),
      Tags: Object.entries(stack.tags).map(([Key, Value]) => ({ Key, Value })),
      EnableTerminationProtection: false,
      DriftInformation: { StackDriftStatus: 'NOT_CHECKED' },
    };
  }

  private stackEvent(record: StackRecord, status: string, reason?: string, token?: string): void {
    this.event(record, record.stack.stackName, record.stack.stackId, 'AWS::CloudFormation::Stack', status, reason, token);
  }

  private resourceEvent(record: StackRecord, logicalId: string, status: string, reason?: string): void {
    const type = record.parsed.Resources[logicalId]?.Type ?? 'AWS::CloudFormation::Stack';
    const physicalId = status === 'CREATE_IN_PROGRESS' || status === 'CREATE_FAILED' ? '' : this.evaluator(record).physicalId(logicalId);
    this.event(record, logicalId, physicalId, type, status, reason);
  }

  private event(record: StackRecord, logicalId: string, physicalId: string, type: string, status: string, reason?: string, token?: string): void {
    const clientRequestToken = token ?? record.stack.clientRequestToken;
    record.events.push({
      StackId: record.stack.stackId,
      EventId: `${logicalId}-${status}-${this.uuid('event')}`,
      StackName: record.stack.stackName,
      LogicalResourceId: logicalId,
      PhysicalResourceId: physicalId,
      ResourceType: type,
      Timestamp: new Date(this.now()),
      ResourceStatus: status as ResourceStatus,
      ...(reason === undefined ? {} : { ResourceStatusReason: reason }),
      ...(clientRequestToken === undefined ? {} : { ClientRequestToken: clientRequestToken }),
    });
  }

  // ---- faults and lookups ---------------------------------------------------------------------

  private injectCallFaults(command: string, stackName: string | undefined): void {
    if (this.consume(this.throttles, command, stackName)) {
      throw this.serviceError('Throttling', 'Rate exceeded', 400);
    }
    if (this.denials.some((match) => callMatches(match, command, stackName))) {
      const resource = stackName === undefined ? '*' : `arn:aws:cloudformation:${this.region}:${this.account}:stack/${stackName}/*`;
      throw this.serviceError(
        'AccessDenied',
        `User: arn:aws:sts::${this.account}:assumed-role/GroundworkAccess/groundwork is not authorized to perform: cloudformation:${command} on resource: ${resource} because no identity-based policy allows the cloudformation:${command} action`,
        403,
      );
    }
  }

  private consume(faults: CountedFault[], command: string, stackName: string | undefined): boolean {
    const fault = faults.find((candidate) => candidate.remaining > 0 && callMatches(candidate.match, command, stackName));
    if (!fault) return false;
    fault.remaining -= 1;
    return true;
  }

  /** By stack id: that stack, deleted or not. By name: the stack of that name that still exists. */
  private find(nameOrId: string): StackRecord | undefined {
    if (nameOrId.startsWith('arn:')) return this.records.find((record) => record.stack.stackId === nameOrId);
    return this.records.find((record) => isLive(record) && record.stack.stackName === nameOrId);
  }

  private callStackName(input: Record<string, unknown>): string | undefined {
    const named = input['StackName'];
    if (typeof named !== 'string' || named === '') return undefined;
    const fromArn = /^arn:[^:]+:cloudformation:[^:]*:[^:]*:stack\/([^/]+)\//.exec(named);
    return fromArn?.[1] ?? named;
  }

  private validationError(message: string): CloudFormationServiceException {
    return this.serviceError('ValidationError', message, 400);
  }

  private serviceError(name: string, message: string, httpStatusCode: number): CloudFormationServiceException {
    return new CloudFormationServiceException({ name, $fault: 'client', message, $metadata: this.metadata(httpStatusCode) });
  }

  private metadata(httpStatusCode: number): { httpStatusCode: number; requestId: string; attempts: number; totalRetryDelay: number } {
    return { httpStatusCode, requestId: this.uuid('request'), attempts: 1, totalRetryDelay: 0 };
  }

  /** UUID-shaped and deterministic: the same sequence of calls gives the same ids in every run. */
  private uuid(purpose: string): string {
    const hex = sha256(`${this.account}:${this.region}:${purpose}:${this.sequence++}`);
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
  }
}

// ---- helpers ------------------------------------------------------------------------------------

function isLive(record: StackRecord): boolean {
  return record.stack.status !== 'DELETE_COMPLETE';
}

function matches(match: string | RegExp, name: string): boolean {
  if (typeof match === 'string') return name.includes(match);
  match.lastIndex = 0;
  return match.test(name);
}

function callMatches(match: CallMatch, command: string, stackName: string | undefined): boolean {
  if (match.command !== undefined && match.command.replace(/Command$/, '') !== command) return false;
  if (match.stackName !== undefined && (stackName === undefined || !matches(match.stackName, stackName))) return false;
  return true;
}

function commandName(command: SentCommand): string {
  if (command instanceof CreateStackCommand) return 'CreateStack';
  if (command instanceof DescribeStacksCommand) return 'DescribeStacks';
  if (command instanceof DeleteStackCommand) return 'DeleteStack';
  if (command instanceof DescribeStackEventsCommand) return 'DescribeStackEvents';
  return (command as object).constructor.name.replace(/Command$/, '');
}

function copy<T>(value: T): T {
  return structuredClone(value);
}
