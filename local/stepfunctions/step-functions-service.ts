import { randomUUID } from 'node:crypto';
import { executionArn as executionArnOf } from '../../src/aws/workflow-client';
import type { Logger } from '../../src/log/logger';
import type { AwsRequest, AwsService } from '../contracts';
import { epochSeconds, jsonProtocolService } from '../edge/aws-protocols';
import { AwsServiceError } from '../edge/errors';
import { EXECUTION_ARN, executionRoleArn, STATE_MACHINE_ARN, stateMachineName, type ExecutionRecord, type ExecutionStatusChangeDetail } from './execution-record';
import { ExecutionRunner } from './execution-runner';
import { ExecutionStore } from './execution-store';
import type { LocalFunction } from './local-state-machine';

/**
 * A local Step Functions (AWS JSON 1.0, signing name `states`): the state machines' ASL runs
 * in-process with aws-local-stepfunctions, every Task on the local function its Resource names.
 * Standard-workflow semantics where they matter to callers: a name is unique per state machine;
 * starting a RUNNING execution again with the same name and input returns it (idempotent), any
 * other reuse of the name is ExecutionAlreadyExists. Wait states and retry intervals take
 * `waitScale` of their time. Execution records (not their in-flight continuations) persist in
 * `stateFile`.
 */
export interface StepFunctionsServiceOptions {
  /** State machine ARN → its ASL definition, placeholders substituted. */
  machines: Record<string, object>;
  /** Function ARN → the function a Task with that Resource runs. */
  functions: Record<string, LocalFunction>;
  /** Share of their own time Wait states and retry intervals take (default 1). */
  waitScale?: number;
  now?: () => Date;
  /** Where execution records persist across restarts (default: nowhere). */
  stateFile?: string;
  /**
   * Executions a previous process left RUNNING: 'abort' (default) records them ABORTED;
   * 'rerun' runs them again from the start, with the same name and input, once
   * `resumeInterrupted()` is called (when the functions' endpoints are up).
   */
  onRestart?: 'abort' | 'rerun';
  /**
   * Told of every execution status change, with the detail Step Functions puts in its
   * "Step Functions Execution Status Change" event (what local/start.ts sends to the default bus).
   */
  onStatusChange?: (detail: ExecutionStatusChangeDetail) => void;
  logger?: Logger;
}

export interface StepFunctionsService extends AwsService {
  /** A snapshot of every execution, oldest first. */
  executions(): ExecutionRecord[];
  /** Resolves when no execution is running (including any started meanwhile). */
  settle(): Promise<void>;
  /** With onRestart 'rerun': starts the executions a previous process left RUNNING; their ARNs. */
  resumeInterrupted(): string[];
}

/** What Step Functions refuses in a name: whitespace, brackets, wildcards, specials, control characters. */
const INVALID_NAME_CHARACTER = /[\s<>{}[\]?*"#%\\^|~`$&,;:/\u0000-\u001f\u007f-\u009f]/;
const MAX_PAYLOAD_BYTES = 256 * 1024;
const DEFAULT_PAGE_SIZE = 100;

const RESTART_ERROR = 'Groundwork.LocalProcessStopped';
// An in-flight execution lives only in the process that ran it: its continuation (the state it
// was in, the timers it waited on) is not persisted, so after a restart it can only be recorded
// as ABORTED (or, with onRestart 'rerun', run again from the start).
const RESTART_CAUSE = 'The local process stopped while this execution was running; a local execution does not survive a restart.';

export function createStepFunctionsService(options: StepFunctionsServiceOptions): StepFunctionsService {
  const now = options.now ?? (() => new Date());
  const waitScale = options.waitScale ?? 1;
  const logger = options.logger;
  const createdAt = now();
  const store = new ExecutionStore(options.stateFile);
  const records = store.records;
  const runner = new ExecutionRunner({ machines: options.machines, functions: options.functions, waitScale, now, store, onStatusChange: options.onStatusChange, logger });
  const interrupted: ExecutionRecord[] = [];

  const saved = store.load();
  if (saved) {
    for (const record of saved) {
      if (record.status !== 'RUNNING') continue;
      if (options.onRestart === 'rerun') interrupted.push(record);
      else runner.stop(record, 'ABORTED', { error: RESTART_ERROR, cause: RESTART_CAUSE });
    }
    store.save();
  }

  // ---- operations ----------------------------------------------------------------------------
  function machineArn(value: unknown): string {
    if (typeof value !== 'string' || !STATE_MACHINE_ARN.test(value)) throw new AwsServiceError('InvalidArn', `Invalid Arn: '${String(value)}'`);
    if (!options.machines[value]) throw new AwsServiceError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${value}'`);
    return value;
  }

  function execution(value: unknown): ExecutionRecord {
    if (typeof value !== 'string' || !EXECUTION_ARN.test(value)) throw new AwsServiceError('InvalidArn', `Invalid Arn: '${String(value)}'`);
    const record = records.get(value);
    if (!record) throw new AwsServiceError('ExecutionDoesNotExist', `Execution Does Not Exist: '${value}'`);
    return record;
  }

  async function startExecution(input: Record<string, unknown>): Promise<unknown> {
    const stateMachineArn = machineArn(input['stateMachineArn']);
    const name = input['name'] === undefined ? randomUUID() : input['name'];
    if (typeof name !== 'string' || name.length < 1 || name.length > 80 || INVALID_NAME_CHARACTER.test(name)) {
      throw new AwsServiceError('InvalidName', `Invalid Name: '${String(name)}'`);
    }
    const executionInput = input['input'] === undefined ? '{}' : input['input'];
    if (typeof executionInput !== 'string' || Buffer.byteLength(executionInput) > MAX_PAYLOAD_BYTES || !isJson(executionInput)) {
      throw new AwsServiceError('InvalidExecutionInput', 'Invalid State Machine Execution Input: the input must be JSON text of at most 256 KiB');
    }
    const executionArn = executionArnOf(stateMachineArn, name);
    const existing = records.get(executionArn);
    if (existing) {
      if (existing.status === 'RUNNING' && sameJson(existing.input, executionInput)) return { executionArn, startDate: epochSeconds(existing.startDate) };
      throw new AwsServiceError('ExecutionAlreadyExists', `Execution Already Exists: '${executionArn}'`);
    }
    const record: ExecutionRecord = { executionArn, stateMachineArn, name, input: executionInput, status: 'RUNNING', startDate: now().toISOString(), history: [] };
    records.set(executionArn, record);
    runner.announce(record);
    runner.launch(record);
    store.save();
    logger?.debug('execution started', { executionArn });
    return { executionArn, startDate: epochSeconds(record.startDate) };
  }

  /** What DescribeExecution and ListExecutions both say of an execution. */
  function executionSummary(record: ExecutionRecord) {
    return {
      executionArn: record.executionArn,
      stateMachineArn: record.stateMachineArn,
      name: record.name,
      status: record.status,
      startDate: epochSeconds(record.startDate),
      ...(record.stopDate ? { stopDate: epochSeconds(record.stopDate) } : {}),
    };
  }

  async function describeExecution(input: Record<string, unknown>): Promise<unknown> {
    const record = execution(input['executionArn']);
    return {
      ...executionSummary(record),
      input: record.input,
      inputDetails: { included: true },
      ...(record.output !== undefined ? { output: record.output, outputDetails: { included: true } } : {}),
      ...(record.error !== undefined ? { error: record.error } : {}),
      ...(record.cause !== undefined ? { cause: record.cause } : {}),
      redriveCount: 0,
    };
  }

  async function stopExecution(input: Record<string, unknown>): Promise<unknown> {
    const record = execution(input['executionArn']);
    if (record.status === 'RUNNING') {
      const error = typeof input['error'] === 'string' ? input['error'] : undefined;
      const cause = typeof input['cause'] === 'string' ? input['cause'] : undefined;
      runner.stop(record, 'ABORTED', { ...(error !== undefined ? { error } : {}), ...(cause !== undefined ? { cause } : {}) });
      store.save();
      runner.abort(record.executionArn);
    }
    return { stopDate: epochSeconds(record.stopDate ?? now()) };
  }

  async function listExecutions(input: Record<string, unknown>): Promise<unknown> {
    const stateMachineArn = machineArn(input['stateMachineArn']);
    const filter = input['statusFilter'];
    const matching = [...records.values()]
      .filter((record) => record.stateMachineArn === stateMachineArn && (filter === undefined || record.status === filter))
      .sort((a, b) => b.startDate.localeCompare(a.startDate));
    const { items, nextToken } = page(matching, input);
    return {
      executions: items.map(executionSummary),
      ...(nextToken ? { nextToken } : {}),
    };
  }

  async function getExecutionHistory(input: Record<string, unknown>): Promise<unknown> {
    const record = execution(input['executionArn']);
    const events = input['reverseOrder'] === true ? [...record.history].reverse() : record.history;
    const { items, nextToken } = page(events, input);
    return { events: items.map((event) => ({ ...event, timestamp: epochSeconds(event.timestamp) })), ...(nextToken ? { nextToken } : {}) };
  }

  async function describeStateMachine(input: Record<string, unknown>): Promise<unknown> {
    const stateMachineArn = machineArn(input['stateMachineArn']);
    return {
      stateMachineArn,
      name: stateMachineName(stateMachineArn),
      status: 'ACTIVE',
      definition: JSON.stringify(options.machines[stateMachineArn]),
      roleArn: executionRoleArn(stateMachineArn),
      type: 'STANDARD',
      creationDate: epochSeconds(createdAt),
    };
  }

  async function listStateMachines(input: Record<string, unknown>): Promise<unknown> {
    const { items, nextToken } = page(Object.keys(options.machines).sort(), input);
    return {
      stateMachines: items.map((arn) => ({ stateMachineArn: arn, name: stateMachineName(arn), type: 'STANDARD', creationDate: epochSeconds(createdAt) })),
      ...(nextToken ? { nextToken } : {}),
    };
  }

  const service = jsonProtocolService({
    signingNames: ['states'],
    targetPrefix: 'AWSStepFunctions',
    version: '1.0',
    operations: {
      StartExecution: startExecution,
      DescribeExecution: describeExecution,
      StopExecution: stopExecution,
      ListExecutions: listExecutions,
      GetExecutionHistory: getExecutionHistory,
      DescribeStateMachine: describeStateMachine,
      ListStateMachines: listStateMachines,
    },
  });

  return {
    signingNames: service.signingNames,
    handle: (request: AwsRequest) => service.handle(request),
    executions: () => structuredClone([...records.values()]),
    settle: () => runner.settle(),
    resumeInterrupted() {
      const resumed = interrupted.splice(0).filter((record) => record.status === 'RUNNING');
      for (const record of resumed) {
        record.history = [];
        runner.launch(record);
        logger?.info('execution re-run after a restart', { executionArn: record.executionArn });
      }
      if (resumed.length > 0) store.save();
      return resumed.map((record) => record.executionArn);
    },
  };
}

function page<T>(items: T[], input: Record<string, unknown>): { items: T[]; nextToken?: string } {
  const size = typeof input['maxResults'] === 'number' && input['maxResults'] > 0 ? Math.min(input['maxResults'], 1000) : DEFAULT_PAGE_SIZE;
  let start = 0;
  if (typeof input['nextToken'] === 'string') {
    start = Number(Buffer.from(input['nextToken'], 'base64url').toString('utf8'));
    if (!Number.isInteger(start) || start < 0) throw new AwsServiceError('InvalidToken', 'Invalid Token');
  }
  const end = start + size;
  return { items: items.slice(start, end), ...(end < items.length ? { nextToken: Buffer.from(String(end), 'utf8').toString('base64url') } : {}) };
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

const sameJson = (a: string, b: string): boolean => JSON.stringify(JSON.parse(a)) === JSON.stringify(JSON.parse(b));
