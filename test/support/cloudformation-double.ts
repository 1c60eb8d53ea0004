import { createHash } from 'node:crypto';
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
import { readTemplate } from '../../src/cfn/read-template';
import type { CfnParameter, CfnTemplate, CfnValue } from '../../src/cfn/template-types';
import { validateTemplate } from '../../src/cfn/validate-template';

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
}

interface CreateFault {
  match: string | RegExp;
  reason: string;
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

const STACK_NAME_PATTERN = /^[a-zA-Z][-a-zA-Z0-9]*$/;
const MAX_STACK_NAME = 128;
const MAX_TEMPLATE_BODY = 51_200;
const MAX_TAGS = 50;

const IAM_NAME_PROPERTIES = ['RoleName', 'UserName', 'GroupName', 'ManagedPolicyName', 'InstanceProfileName'];

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
  private hangs: Array<string | RegExp> = [];
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
   */
  failCreate(match: string | RegExp, reason = 'Resource handler returned message: "Injected failure" (HandlerErrorCode: InternalFailure)'): void {
    this.createFaults.push({ match, reason });
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

  /** Matching stacks stay CREATE_IN_PROGRESS while this holds (clearFaults() lets them finish). */
  hang(match: string | RegExp): void {
    this.hangs.push(match);
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
    if (!STACK_NAME_PATTERN.test(name) || name.length > MAX_STACK_NAME) {
      throw this.validationError(
        `1 validation error detected: Value '${name}' at 'stackName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z][-a-zA-Z0-9]* and have length less than or equal to ${MAX_STACK_NAME}`,
      );
    }
    if (input.TemplateURL !== undefined) {
      throw Object.assign(new Error('The CloudFormation double reads TemplateBody only, not TemplateURL'), { name: 'UnsupportedOperation' });
    }
    if (input.TemplateBody === undefined) throw this.validationError('Either Template URL or Template Body must be specified.');
    if (Buffer.byteLength(input.TemplateBody) > MAX_TEMPLATE_BODY) {
      throw this.validationError(
        `1 validation error detected: Value at 'templateBody' failed to satisfy constraint: Member must have length less than or equal to ${MAX_TEMPLATE_BODY}`,
      );
    }
    const template = this.parseTemplate(input.TemplateBody);
    const parameters = this.resolveParameters(template, input.Parameters ?? []);
    const capabilities = (input.Capabilities ?? []).map(String);
    const missing = requiredCapabilities(template).filter((needed) => !satisfies(capabilities, needed));
    if (missing.length > 0) {
      throw new InsufficientCapabilitiesException({
        message: `Requires capabilities : [${missing.join(', ')}]`,
        Message: `Requires capabilities : [${missing.join(', ')}]`,
        $metadata: this.metadata(400),
      });
    }
    const tags = this.resolveTags(input.Tags ?? []);

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

  private parseTemplate(body: string): CfnTemplate {
    let template: unknown;
    try {
      template = readTemplate(body);
    } catch (error) {
      throw this.validationError(`Template format error: ${body.trimStart().startsWith('{') ? 'JSON' : 'YAML'} not well-formed. (${(error as Error).message})`);
    }
    if (typeof template !== 'object' || template === null || Array.isArray(template)) {
      throw this.validationError('Template format error: unsupported structure.');
    }
    const problems = validateTemplate(template as CfnTemplate);
    if (problems.length > 0) {
      throw this.validationError(`Template format error: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`);
    }
    return template as CfnTemplate;
  }

  private resolveParameters(template: CfnTemplate, given: NonNullable<CreateStackInput['Parameters']>): Record<string, string> {
    const declared = template.Parameters ?? {};
    const values = new Map<string, string>();
    for (const parameter of given) {
      if (parameter.ParameterKey !== undefined && parameter.ParameterValue !== undefined) values.set(parameter.ParameterKey, parameter.ParameterValue);
    }
    if (values.size > 0 && Object.keys(declared).length === 0) {
      throw this.validationError('Parameter values specified for a template which does not require them.');
    }
    const unknown = [...values.keys()].filter((key) => !(key in declared));
    if (unknown.length > 0) throw this.validationError(`Parameters: [${unknown.join(', ')}] do not exist in the template`);
    const missing = Object.entries(declared)
      .filter(([key, definition]) => !values.has(key) && definition.Default === undefined)
      .map(([key]) => key);
    if (missing.length > 0) throw this.validationError(`Parameters: [${missing.join(', ')}] must have values`);

    const resolved: Record<string, string> = {};
    for (const [key, definition] of Object.entries(declared)) {
      const value = values.get(key) ?? String(definition.Default);
      if (values.has(key)) this.checkParameterValue(key, definition, value);
      resolved[key] = value;
    }
    return resolved;
  }

  private checkParameterValue(key: string, definition: CfnParameter, value: string): void {
    const fail = (message: string): never => {
      throw this.validationError(definition.ConstraintDescription ? `Parameter '${key}' failed to satisfy constraint: ${definition.ConstraintDescription}` : message);
    };
    const isList = definition.Type.startsWith('List<') || definition.Type === 'CommaDelimitedList';
    const elements = isList ? value.split(',').map((element) => element.trim()) : [value];
    const elementType = isList ? definition.Type.replace(/^List<(.*)>$/, '$1') : definition.Type;
    for (const element of elements) {
      if (definition.AllowedValues && !definition.AllowedValues.map(String).includes(element)) fail(`Parameter '${key}' must be one of AllowedValues`);
      if (definition.AllowedPattern !== undefined && !new RegExp(`^(?:${definition.AllowedPattern})$`).test(element)) {
        fail(`Parameter '${key}' must match pattern ${definition.AllowedPattern}`);
      }
      if (definition.MinLength !== undefined && element.length < definition.MinLength) fail(`Parameter '${key}' must contain at least ${definition.MinLength} characters`);
      if (definition.MaxLength !== undefined && element.length > definition.MaxLength) fail(`Parameter '${key}' must contain at most ${definition.MaxLength} characters`);
      if (elementType === 'Number') {
        const number = Number(element);
        if (element.trim() === '' || Number.isNaN(number)) fail(`Parameter '${key}' must be a number`);
        if (definition.MinValue !== undefined && number < definition.MinValue) fail(`Parameter '${key}' must be a number not less than ${definition.MinValue}`);
        if (definition.MaxValue !== undefined && number > definition.MaxValue) fail(`Parameter '${key}' must be a number not greater than ${definition.MaxValue}`);
      }
      // AWS-specific types name things in the account; CloudFormation refuses values that cannot be one.
      const idPrefix = { 'AWS::EC2::VPC::Id': 'vpc', 'AWS::EC2::Subnet::Id': 'subnet', 'AWS::EC2::SecurityGroup::Id': 'sg' }[elementType];
      if (idPrefix !== undefined && !new RegExp(`^${idPrefix}-[0-9a-f]{8,17}$`).test(element)) {
        throw this.validationError(`Parameter validation failed: parameter value ${element} for parameter name ${key} does not exist.`);
      }
    }
  }

  private resolveTags(tags: NonNullable<CreateStackInput['Tags']>): Record<string, string> {
    if (tags.length > MAX_TAGS) throw this.validationError(`1 validation error detected: Value at 'tags' failed to satisfy constraint: Member must have length less than or equal to ${MAX_TAGS}`);
    const resolved: Record<string, string> = {};
    for (const tag of tags) {
      if (tag.Key === undefined || tag.Value === undefined) throw this.validationError('Tags must have a Key and a Value');
      if (tag.Key.toLowerCase().startsWith('aws:')) throw this.validationError(`Invalid tag key: "${tag.Key}": the aws: prefix is reserved`);
      resolved[tag.Key] = tag.Value;
    }
    return resolved;
  }

  // ---- progress -------------------------------------------------------------------------------

  private progress(record: StackRecord, describing: boolean): void {
    const status = record.stack.status;
    if (status !== 'CREATE_IN_PROGRESS' && status !== 'DELETE_IN_PROGRESS') return;
    if (status === 'CREATE_IN_PROGRESS' && this.hangs.some((match) => matches(match, record.stack.stackName))) return;
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
    this.resourceEvent(record, failed, 'DELETE_IN_PROGRESS');
    this.resourceEvent(record, failed, 'DELETE_COMPLETE');
    record.liveResources = [];
    if (record.onFailure === 'DELETE') {
      this.stackEvent(record, 'ROLLBACK_COMPLETE', fault.reason);
      this.stackEvent(record, 'DELETE_IN_PROGRESS', 'OnFailure=DELETE');
      record.stack.deletedAt = this.now();
      this.settle(record, 'DELETE_COMPLETE', fault.reason);
      return;
    }
    this.settle(record, 'ROLLBACK_COMPLETE', fault.reason);
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
    const evaluator = this.evaluator(record);
    return Object.entries(record.parsed.Resources).filter(([, resource]) => resource.Condition === undefined || evaluator.condition(resource.Condition)).map(([id]) => id);
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
    const hex = hash(`${this.account}:${this.region}:${purpose}:${this.sequence++}`);
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
  }
}

// ---- outputs: a small evaluator of the template's intrinsic functions ---------------------------

class Unresolvable extends Error {}
type Resolved = string | string[] | undefined;

const EC2_ID_PREFIXES: Record<string, string> = {
  'AWS::EC2::VPC': 'vpc',
  'AWS::EC2::Subnet': 'subnet',
  'AWS::EC2::SecurityGroup': 'sg',
  'AWS::EC2::SecurityGroupIngress': 'sgr',
  'AWS::EC2::SecurityGroupEgress': 'sgr',
  'AWS::EC2::InternetGateway': 'igw',
  'AWS::EC2::EgressOnlyInternetGateway': 'eigw',
  'AWS::EC2::NatGateway': 'nat',
  'AWS::EC2::RouteTable': 'rtb',
  'AWS::EC2::Instance': 'i',
  'AWS::EC2::VPCEndpoint': 'vpce',
  'AWS::EC2::LaunchTemplate': 'lt',
  'AWS::EC2::NetworkAcl': 'acl',
  'AWS::EC2::NetworkInterface': 'eni',
  'AWS::EC2::FlowLog': 'fl',
  'AWS::EC2::Volume': 'vol',
  'AWS::EC2::PrefixList': 'pl',
};
/** Types whose Ref is their ARN. */
const REF_IS_ARN = new Set([
  'AWS::SNS::Topic', 'AWS::SecretsManager::Secret', 'AWS::IAM::ManagedPolicy', 'AWS::ECS::TaskDefinition', 'AWS::ECS::Service',
  'AWS::ElasticLoadBalancingV2::LoadBalancer', 'AWS::ElasticLoadBalancingV2::TargetGroup', 'AWS::ElasticLoadBalancingV2::Listener',
  'AWS::ElasticLoadBalancingV2::ListenerRule', 'AWS::StepFunctions::StateMachine', 'AWS::CertificateManager::Certificate',
]);
const ARN_SERVICES: Record<string, string> = {
  ElasticLoadBalancingV2: 'elasticloadbalancing', CertificateManager: 'acm', StepFunctions: 'states', ApiGatewayV2: 'apigateway',
};

/**
 * Works out output values the way CloudFormation would, with made-up but well-formed physical ids
 * (`vpc-0…`, `subnet-0…`, ARNs) derived from the stack id, so the same stack always answers the same.
 */
class TemplateEvaluator {
  constructor(
    private readonly template: CfnTemplate,
    private readonly stack: DoubleStack,
  ) {}

  outputs(): Record<string, string> {
    const outputs: Record<string, string> = {};
    for (const [key, output] of Object.entries(this.template.Outputs ?? {})) {
      if (output.Condition !== undefined && !this.condition(output.Condition)) continue;
      let value: Resolved;
      try {
        value = this.value(output.Value);
      } catch (error) {
        if (!(error instanceof Unresolvable)) throw error;
        value = this.fromOutputKey(key);
      }
      outputs[key] = Array.isArray(value) ? value.join(',') : (value ?? '');
    }
    return outputs;
  }

  condition(name: string): boolean {
    const definition = this.template.Conditions?.[name];
    if (definition === undefined) return true;
    try {
      return this.truth(definition);
    } catch (error) {
      if (error instanceof Unresolvable) return true;
      throw error;
    }
  }

  physicalId(logicalId: string): string {
    const resource = this.template.Resources[logicalId];
    if (!resource) throw new Unresolvable(logicalId);
    const type = resource.Type;
    const seed = logicalId;
    const prefix = EC2_ID_PREFIXES[type];
    if (prefix !== undefined) return `${prefix}-0${this.hex(seed, 16)}`;
    if (type === 'AWS::EC2::EIP') return this.publicIp(seed);
    if (REF_IS_ARN.has(type)) return this.arn(type, this.generatedName(logicalId));
    if (type === 'AWS::SQS::Queue') return `https://sqs.${this.stack.region}.amazonaws.com/${this.stack.account}/${this.generatedName(logicalId)}`;
    if (type === 'AWS::KMS::Key') return this.uuidFrom(seed);
    if (type === 'AWS::ApiGatewayV2::Api' || type === 'AWS::ApiGateway::RestApi') return this.alnum(seed, 10).toLowerCase();
    if (type === 'AWS::ServiceDiscovery::PrivateDnsNamespace' || type === 'AWS::ServiceDiscovery::PublicDnsNamespace') return `ns-${this.hex(seed, 16)}`;
    if (type === 'AWS::ServiceDiscovery::Service') return `srv-${this.hex(seed, 16)}`;
    const thing = type.split('::')[2] ?? '';
    const named = resource.Properties?.[`${thing}Name`];
    if (named !== undefined) {
      try {
        const value = this.value(named);
        if (typeof value === 'string' && value !== '') return value;
      } catch (error) {
        if (!(error instanceof Unresolvable)) throw error;
      }
    }
    const name = this.generatedName(logicalId);
    return ['AWS::S3::Bucket', 'AWS::RDS::DBInstance', 'AWS::RDS::DBSubnetGroup'].includes(type) ? name.toLowerCase() : name;
  }

  private value(value: CfnValue | undefined): Resolved {
    if (value === undefined || value === null) return '';
    if (typeof value === 'string') return value;
    if (typeof value === 'number' || typeof value === 'boolean') return String(value);
    if (Array.isArray(value)) return value.flatMap((element) => this.value(element) ?? []);
    const [fn, ...rest] = Object.keys(value);
    if (fn === undefined || rest.length > 0) throw new Unresolvable('not an intrinsic function');
    const argument = value[fn] as CfnValue;
    const list = (v: CfnValue | undefined): string[] => {
      const resolved = this.value(v);
      if (resolved === undefined) return [];
      return Array.isArray(resolved) ? resolved : resolved.split(',');
    };
    const args = Array.isArray(argument) ? argument : [argument];
    switch (fn) {
      case 'Ref':
        return this.ref(String(argument));
      case 'Fn::GetAtt': {
        const [resource, attribute] = Array.isArray(argument) ? argument.map(String) : String(argument).split(/\.(.*)/s);
        return this.attribute(resource ?? '', attribute ?? '');
      }
      case 'Fn::Join':
        return list(args[1]).join(String(this.value(args[0]) ?? ''));
      case 'Fn::Select':
        return list(args[1])[Number(this.value(args[0]))] ?? '';
      case 'Fn::Split':
        return String(this.value(args[1]) ?? '').split(String(this.value(args[0]) ?? ''));
      case 'Fn::GetAZs':
        return ['a', 'b', 'c'].map((letter) => `${this.stack.region}${letter}`);
      case 'Fn::Base64':
        return Buffer.from(String(this.value(argument) ?? '')).toString('base64');
      case 'Fn::If': {
        const [condition, whenTrue, whenFalse] = args;
        return this.value(this.condition(String(condition)) ? whenTrue : whenFalse);
      }
      case 'Fn::FindInMap': {
        const [map, first, second] = args.map((a) => String(this.value(a)));
        return this.value(this.template.Mappings?.[map ?? '']?.[first ?? '']?.[second ?? '']);
      }
      case 'Fn::Sub': {
        const [text, variables] = Array.isArray(argument) ? argument : [argument, {}];
        const own = (variables ?? {}) as { [key: string]: CfnValue };
        return String(text).replace(/\$\{([^}]*)\}/g, (whole, expression: string) => {
          if (expression.startsWith('!')) return `\${${expression.slice(1)}}`;
          const resolved = expression in own
            ? this.value(own[expression])
            : expression.includes('.') && !expression.startsWith('AWS::')
              ? this.attribute(expression.slice(0, expression.indexOf('.')), expression.slice(expression.indexOf('.') + 1))
              : this.ref(expression);
          return Array.isArray(resolved) ? resolved.join(',') : (resolved ?? whole);
        });
      }
      default:
        throw new Unresolvable(fn);
    }
  }

  private truth(value: CfnValue): boolean {
    if (typeof value === 'boolean') return value;
    if (value === 'true' || value === 'false') return value === 'true';
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Unresolvable('not a condition');
    const [fn] = Object.keys(value);
    const args = value[fn ?? ''];
    const list = Array.isArray(args) ? args : [args ?? null];
    switch (fn) {
      case 'Fn::Equals':
        return JSON.stringify(this.value(list[0])) === JSON.stringify(this.value(list[1]));
      case 'Fn::Not':
        return !this.truth(list[0] ?? null);
      case 'Fn::And':
        return list.every((element) => this.truth(element));
      case 'Fn::Or':
        return list.some((element) => this.truth(element));
      case 'Condition':
        return this.condition(String(args));
      default:
        throw new Unresolvable(String(fn));
    }
  }

  private ref(name: string): Resolved {
    switch (name) {
      case 'AWS::AccountId':
        return this.stack.account;
      case 'AWS::Region':
        return this.stack.region;
      case 'AWS::StackName':
        return this.stack.stackName;
      case 'AWS::StackId':
        return this.stack.stackId;
      case 'AWS::Partition':
        return 'aws';
      case 'AWS::URLSuffix':
        return 'amazonaws.com';
      case 'AWS::NoValue':
        return undefined;
      case 'AWS::NotificationARNs':
        return [];
    }
    const parameter = this.template.Parameters?.[name];
    if (parameter) {
      const value = this.stack.parameters[name] ?? '';
      return parameter.Type.startsWith('List<') || parameter.Type === 'CommaDelimitedList' ? value.split(',') : value;
    }
    return this.physicalId(name);
  }

  private attribute(logicalId: string, attribute: string): Resolved {
    const resource = this.template.Resources[logicalId];
    if (!resource) throw new Unresolvable(logicalId);
    const id = this.physicalId(logicalId);
    const seed = `${logicalId}.${attribute}`;
    const property = resource.Properties?.[attribute];
    if (property !== undefined) return this.value(property);
    if (attribute === 'Arn' || attribute.endsWith('Arn')) return REF_IS_ARN.has(resource.Type) ? id : this.arn(resource.Type, id);
    if (/Dns ?Name$/i.test(attribute)) {
      if (resource.Type === 'AWS::EC2::Instance') return `ec2-${this.publicIp(logicalId).replaceAll('.', '-')}.compute-1.amazonaws.com`;
      return `${this.stack.stackName.slice(0, 20)}-${this.digits(seed, 10)}.${this.stack.region}.elb.amazonaws.com`.toLowerCase();
    }
    if (attribute === 'Endpoint.Address') return `${id}.${this.alnum(seed, 12).toLowerCase()}.${this.stack.region}.rds.amazonaws.com`;
    if (attribute.endsWith('Port')) return this.value(resource.Properties?.['Port'] ?? '5432');
    if (attribute === 'PublicIp') return this.publicIp(logicalId);
    if (attribute === 'PrivateIp') return `10.0.${Number.parseInt(this.hex(seed, 2), 16)}.${(Number.parseInt(this.hex(`${seed}#`, 2), 16) % 250) + 4}`;
    if (attribute === 'ApiEndpoint') return `https://${id}.execute-api.${this.stack.region}.amazonaws.com`;
    if (attribute === 'AllocationId') return `eipalloc-0${this.hex(seed, 16)}`;
    if (attribute === 'GroupId' || attribute === 'Id') return id;
    return `${id}/${attribute}`;
  }

  /** When a value is beyond this evaluator: something shaped by the output's name. */
  private fromOutputKey(key: string): string {
    if (key.includes('VpcId')) return `vpc-0${this.hex(key, 16)}`;
    if (key.includes('Subnet')) return `subnet-0${this.hex(key, 16)}`;
    if (key.includes('SecurityGroup')) return `sg-0${this.hex(key, 16)}`;
    if (key.endsWith('Arn')) return `arn:aws:cloudformation:${this.stack.region}:${this.stack.account}:${key}/${this.stack.stackName}`;
    return `${this.stack.stackName}-${key}`;
  }

  private arn(type: string, id: string): string {
    const [, service = '', thing = ''] = type.split('::');
    const { region, account } = this.stack;
    const resource = thing.replace(/([a-z])([A-Z])/g, '$1-$2').toLowerCase();
    if (service === 'IAM') return `arn:aws:iam::${account}:${resource}/${id}`;
    if (service === 'SNS') return `arn:aws:sns:${region}:${account}:${id}`;
    if (service === 'SecretsManager') return `arn:aws:secretsmanager:${region}:${account}:secret:${id}-${this.alnum(id, 6)}`;
    return `arn:aws:${ARN_SERVICES[service] ?? service.toLowerCase()}:${region}:${account}:${resource}/${id}`;
  }

  /** How CloudFormation names what the template leaves unnamed: <stack>-<LogicalId>-<13 random>. */
  private generatedName(logicalId: string): string {
    return `${this.stack.stackName}-${logicalId}-${this.alnum(logicalId, 13)}`;
  }

  private publicIp(seed: string): string {
    return `203.0.113.${(Number.parseInt(this.hex(seed, 2), 16) % 254) + 1}`;
  }

  private uuidFrom(seed: string): string {
    const hex = this.hex(seed, 32);
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
  }

  private hex(seed: string, length: number): string {
    return hash(`${this.stack.stackId}:${seed}`).slice(0, length);
  }

  private digits(seed: string, length: number): string {
    return BigInt(`0x${this.hex(seed, 24)}`).toString().slice(0, length);
  }

  private alnum(seed: string, length: number): string {
    return BigInt(`0x${this.hex(seed, 32)}`).toString(36).toUpperCase().slice(0, length);
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

/** Capabilities CloudFormation asks for before it creates a stack from this template. */
function requiredCapabilities(template: CfnTemplate): string[] {
  const needed: string[] = [];
  const iam = Object.values(template.Resources).filter((resource) => resource.Type.startsWith('AWS::IAM::'));
  if (iam.some((resource) => IAM_NAME_PROPERTIES.some((property) => resource.Properties?.[property] !== undefined))) needed.push('CAPABILITY_NAMED_IAM');
  else if (iam.length > 0) needed.push('CAPABILITY_IAM');
  if (template.Transform !== undefined) needed.push('CAPABILITY_AUTO_EXPAND');
  return needed;
}

function satisfies(given: string[], needed: string): boolean {
  return given.includes(needed) || (needed === 'CAPABILITY_IAM' && given.includes('CAPABILITY_NAMED_IAM'));
}

function hash(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function copy<T>(value: T): T {
  return structuredClone(value);
}
