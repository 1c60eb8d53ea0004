import { ExecutionAbortedError, ExecutionError, ExecutionTimeoutError } from 'aws-local-stepfunctions';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Logger } from '../../src/log/logger';
import { executionArn as executionArnOf } from '../../src/aws/workflow-client';
import type { AwsRequest, AwsService } from '../contracts';
import { epochSeconds, jsonProtocolService } from '../edge/aws-protocols';
import { AwsServiceError } from '../edge/errors';
import { allStates, runLocalStateMachine, type LocalFunction, type LocalRun } from '../stepfunctions/local-state-machine';
import { StateFileError } from './errors';
import { createHistoryRecorder, TERMINAL_EVENT_TYPES, type HistoryEvent } from './execution-history';

export { StateFileError } from './errors';

/**
 * A local Step Functions (AWS JSON 1.0, signing name `states`): the state machines' ASL runs
 * in-process with aws-local-stepfunctions, every Task on the local function its Resource names.
 * Standard-workflow semantics where they matter to callers: a name is unique per state machine;
 * starting a RUNNING execution again with the same name and input returns it (idempotent), any
 * other reuse of the name is ExecutionAlreadyExists. Wait states and retry intervals take
 * `waitScale` of their time. Execution records (not their in-flight continuations) persist in
 * `stateFile`.
 */
export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

export interface ExecutionRecord {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  input: string;
  status: ExecutionStatus;
  startDate: string;
  stopDate?: string;
  output?: string;
  error?: string;
  cause?: string;
  history: HistoryEvent[];
}

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

/** The detail of an `aws.states` "Step Functions Execution Status Change" event. */
export interface ExecutionStatusChangeDetail {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  status: ExecutionStatus;
  startDate: number;
  stopDate: number | null;
  input: string;
  output: string | null;
  error: string | null;
  cause: string | null;
}

export interface StepFunctionsService extends AwsService {
  /** A snapshot of every execution, oldest first. */
  executions(): ExecutionRecord[];
  /** Resolves when no execution is running (including any started meanwhile). */
  settle(): Promise<void>;
  /** With onRestart 'rerun': starts the executions a previous process left RUNNING; their ARNs. */
  resumeInterrupted(): string[];
}

const STATE_MACHINE_ARN = /^arn:aws[a-z-]*:states:([a-z0-9-]+):(\d{12}):stateMachine:([A-Za-z0-9_-]{1,80})$/;
const EXECUTION_ARN = /^arn:aws[a-z-]*:states:([a-z0-9-]+):(\d{12}):execution:([A-Za-z0-9_-]{1,80}):([^:]{1,80})$/;
/** What Step Functions refuses in a name: whitespace, brackets, wildcards, specials, control characters. */
const INVALID_NAME_CHARACTER = /[\s<>{}[\]?*"#%\\^|~`$&,;:/\u0000-\u001f\u007f-\u009f]/;
const MAX_PAYLOAD_BYTES = 256 * 1024;
const DEFAULT_PAGE_SIZE = 100;
const STATE_FILE_VERSION = 1;

const RESTART_ERROR = 'Groundwork.LocalProcessStopped';
// An in-flight execution lives only in the process that ran it: its continuation (the state it
// was in, the timers it waited on) is not persisted, so after a restart it can only be recorded
// as ABORTED (or, with onRestart 'rerun', run again from the start).
const RESTART_CAUSE = 'The local process stopped while this execution was running; a local execution does not survive a restart.';

interface Running {
  abort(): void;
  settled: Promise<void>;
}

export function createStepFunctionsService(options: StepFunctionsServiceOptions): StepFunctionsService {
  const now = options.now ?? (() => new Date());
  const waitScale = options.waitScale ?? 1;
  const logger = options.logger;
  const createdAt = now();
  const records = new Map<string, ExecutionRecord>();
  const running = new Map<string, Running>();
  const interrupted: ExecutionRecord[] = [];

  // Tasks run as Lambda runs them: JSON in, JSON out, and an error arrives as Step Functions
  // shows a Lambda error: Error = its name, Cause = {"errorType", "errorMessage", "trace"}.
  const functions: Record<string, LocalFunction> = Object.fromEntries(
    Object.entries(options.functions).map(([arn, fn]) => [
      arn,
      async (input: unknown) => {
        try {
          return JSON.parse(JSON.stringify((await fn(input)) ?? null)) as unknown;
        } catch (error) {
          throw asLambdaError(error);
        }
      },
    ]),
  );

  // ---- persistence ---------------------------------------------------------------------------
  // Each save writes every record, but serialises only those that changed since the last one (a
  // finished execution never changes again): with hundreds of executions and their histories,
  // re-serialising all of them at every start and end made saving quadratic.
  const serialized = new WeakMap<ExecutionRecord, { version: string; json: string }>();
  function recordJson(record: ExecutionRecord): string {
    const version = `${record.status}|${record.stopDate ?? ''}|${record.history.length}|${record.history.at(-1)?.timestamp ?? ''}`;
    const cached = serialized.get(record);
    if (cached?.version === version) return cached.json;
    const json = JSON.stringify(record);
    serialized.set(record, { version, json });
    return json;
  }

  function save(): void {
    if (!options.stateFile) return;
    mkdirSync(dirname(options.stateFile), { recursive: true });
    const temporary = `${options.stateFile}.${process.pid}.tmp`;
    writeFileSync(temporary, `{"version":${JSON.stringify(STATE_FILE_VERSION)},"executions":[${[...records.values()].map(recordJson).join(',')}]}`);
    renameSync(temporary, options.stateFile);
  }

  function load(file: string): void {
    let stored: { executions?: ExecutionRecord[] };
    try {
      stored = JSON.parse(readFileSync(file, 'utf8')) as { executions?: ExecutionRecord[] };
    } catch (error) {
      throw new StateFileError(file, error);
    }
    for (const record of stored.executions ?? []) {
      records.set(record.executionArn, record);
      if (record.status !== 'RUNNING') continue;
      if (options.onRestart === 'rerun') interrupted.push(record);
      else stop(record, 'ABORTED', { error: RESTART_ERROR, cause: RESTART_CAUSE });
    }
  }

  if (options.stateFile && existsSync(options.stateFile)) {
    load(options.stateFile);
    save();
  }

  // ---- executions ----------------------------------------------------------------------------
  function announce(record: ExecutionRecord): void {
    options.onStatusChange?.({
      executionArn: record.executionArn,
      stateMachineArn: record.stateMachineArn,
      name: record.name,
      status: record.status,
      startDate: Date.parse(record.startDate),
      stopDate: record.stopDate ? Date.parse(record.stopDate) : null,
      input: record.input,
      output: record.output ?? null,
      error: record.error ?? null,
      cause: record.cause ?? null,
    });
  }

  function stop(record: ExecutionRecord, status: Exclude<ExecutionStatus, 'RUNNING'>, outcome: { output?: string; error?: string; cause?: string }): void {
    record.status = status;
    record.stopDate = now().toISOString();
    if (outcome.output !== undefined) record.output = outcome.output;
    if (outcome.error !== undefined) record.error = outcome.error;
    if (outcome.cause !== undefined) record.cause = outcome.cause;
    announce(record);
    if (!record.history.some((event) => TERMINAL_EVENT_TYPES.has(event.type))) {
      const { add } = createHistoryRecorder({ history: record.history, now, tasks: {} });
      const failure = { ...(record.error !== undefined ? { error: record.error } : {}), ...(record.cause !== undefined ? { cause: record.cause } : {}) };
      if (status === 'SUCCEEDED') add('ExecutionSucceeded', { executionSucceededEventDetails: { output: record.output ?? 'null', outputDetails: { truncated: false } } });
      if (status === 'FAILED') add('ExecutionFailed', { executionFailedEventDetails: failure });
      if (status === 'TIMED_OUT') add('ExecutionTimedOut', { executionTimedOutEventDetails: failure });
      if (status === 'ABORTED') add('ExecutionAborted', { executionAbortedEventDetails: failure });
    }
  }

  function launch(record: ExecutionRecord): void {
    const definition = options.machines[record.stateMachineArn];
    const { add, record: recordEvent, observer } = createHistoryRecorder({ history: record.history, now, tasks: definition ? taskFacts(definition) : {} });
    add('ExecutionStarted', {
      executionStartedEventDetails: { input: record.input, inputDetails: { truncated: false }, roleArn: executionRoleArn(record.stateMachineArn) },
    });
    let run: LocalRun;
    try {
      if (!definition) throw new Error(`State Machine Does Not Exist: '${record.stateMachineArn}'`);
      run = runLocalStateMachine(definition, JSON.parse(record.input), {
        functions,
        timeScale: waitScale,
        observeTasks: observer,
        context: {
          Execution: { Id: record.executionArn, Name: record.name, RoleArn: executionRoleArn(record.stateMachineArn), StartTime: record.startDate, RedriveCount: 0 },
          StateMachine: { Id: record.stateMachineArn, Name: stateMachineName(record.stateMachineArn) },
        },
      });
    } catch (error) {
      stop(record, 'FAILED', { error: 'States.Runtime', cause: error instanceof Error ? error.message : String(error) });
      save();
      return;
    }
    const drained = (async () => {
      for await (const event of run.eventLogs) {
        // Ours is recorded at StartExecution; nothing is recorded once it was stopped.
        if (record.status === 'RUNNING' && event.type !== 'ExecutionStarted') recordEvent(event);
      }
    })().catch((error: unknown) => logger?.warn('could not read an execution history', { executionArn: record.executionArn, error }));
    const settled = run.result
      .then(
        (output) => ({ status: 'SUCCEEDED' as const, output: JSON.stringify(output ?? null) }),
        (error: unknown) => outcomeOf(error),
      )
      .then(async (outcome) => {
        // The events trail the result by a few ticks; the status changes once they are in.
        await Promise.race([drained, new Promise((resolve) => setTimeout(resolve, 1000).unref())]);
        if (record.status !== 'RUNNING' || !outcome) return;
        stop(record, outcome.status, outcome);
        save();
        logger?.debug('execution ended', { executionArn: record.executionArn, status: record.status });
      })
      .finally(() => running.delete(record.executionArn));
    running.set(record.executionArn, { abort: run.abort, settled });
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
    announce(record);
    launch(record);
    save();
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
      stop(record, 'ABORTED', { ...(error !== undefined ? { error } : {}), ...(cause !== undefined ? { cause } : {}) });
      save();
      // An in-flight Task runs to its end (as a Lambda invocation would); nothing follows it.
      running.get(record.executionArn)?.abort();
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
    async settle() {
      while (running.size > 0) await Promise.all([...running.values()].map((r) => r.settled));
    },
    resumeInterrupted() {
      const resumed = interrupted.splice(0).filter((record) => record.status === 'RUNNING');
      for (const record of resumed) {
        record.history = [];
        launch(record);
        logger?.info('execution re-run after a restart', { executionArn: record.executionArn });
      }
      if (resumed.length > 0) save();
      return resumed.map((record) => record.executionArn);
    },
  };
}

/** How a run that did not succeed ended; undefined for an abort (StopExecution recorded it). */
function outcomeOf(error: unknown): { status: 'FAILED' | 'TIMED_OUT'; error: string; cause: string } | undefined {
  if (error instanceof ExecutionAbortedError) return undefined;
  if (error instanceof ExecutionTimeoutError) return { status: 'TIMED_OUT', error: 'States.Timeout', cause: 'The execution ran longer than its TimeoutSeconds' };
  const failure = error instanceof ExecutionError && error.cause instanceof Error ? error.cause : error;
  if (failure instanceof Error) {
    return { status: 'FAILED', error: failure.name, cause: typeof failure.cause === 'string' ? failure.cause : failure.message };
  }
  return { status: 'FAILED', error: 'States.Runtime', cause: String(failure) };
}

/** A function's error as Lambda reports it to Step Functions. */
function asLambdaError(error: unknown): Error {
  const errorType = error instanceof Error ? error.name : 'Error';
  const errorMessage = error instanceof Error ? error.message : String(error);
  const trace = error instanceof Error && error.stack ? error.stack.split('\n') : [];
  const lambdaError = new Error(JSON.stringify({ errorType, errorMessage, trace }));
  lambdaError.name = errorType;
  return lambdaError;
}

function taskFacts(definition: object): Record<string, { resource?: string; timeoutSeconds?: number }> {
  return Object.fromEntries(
    allStates(definition as { States: Record<string, { Type?: string; Resource?: string }> })
      .filter(([, state]) => state.Type === 'Task')
      .map(([name, state]) => {
        const timeout = (state as { TimeoutSeconds?: unknown }).TimeoutSeconds;
        return [name, { ...(state.Resource ? { resource: state.Resource } : {}), timeoutSeconds: typeof timeout === 'number' ? timeout : 60 }];
      }),
  );
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

const stateMachineName = (arn: string): string => arn.slice(arn.lastIndexOf(':') + 1);

function executionRoleArn(stateMachineArn: string): string {
  const account = STATE_MACHINE_ARN.exec(stateMachineArn)?.[2] ?? '000000000000';
  return `arn:aws:iam::${account}:role/${stateMachineName(stateMachineArn)}-execution`;
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
