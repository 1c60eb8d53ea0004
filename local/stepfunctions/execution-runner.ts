import { ExecutionAbortedError, ExecutionError, ExecutionTimeoutError } from 'aws-local-stepfunctions';
import type { Logger } from '../../src/log/logger';
import { createHistoryRecorder, TERMINAL_EVENT_TYPES } from './execution-history';
import { executionRoleArn, stateMachineName, type ExecutionRecord, type ExecutionStatus, type ExecutionStatusChangeDetail } from './execution-record';
import type { ExecutionStore } from './execution-store';
import { allStates, runLocalStateMachine, type LocalFunction, type LocalRun } from './local-state-machine';

/**
 * Runs the executions of the local Step Functions: each in-process on its state machine's ASL,
 * its history recorded as it goes, its end (or its stop) recorded, saved and announced as the
 * "Step Functions Execution Status Change" event would announce it.
 */

export interface ExecutionRunnerOptions {
  /** State machine ARN → its ASL definition, placeholders substituted. */
  machines: Record<string, object>;
  /** Function ARN → the function a Task with that Resource runs. */
  functions: Record<string, LocalFunction>;
  /** Share of their own time Wait states and retry intervals take. */
  waitScale: number;
  now: () => Date;
  store: ExecutionStore;
  onStatusChange?: ((detail: ExecutionStatusChangeDetail) => void) | undefined;
  logger?: Logger | undefined;
}

export type StopOutcome = { output?: string; error?: string; cause?: string };

interface Running {
  abort(): void;
  settled: Promise<void>;
}

export class ExecutionRunner {
  private readonly running = new Map<string, Running>();
  private readonly functions: Record<string, LocalFunction>;

  constructor(private readonly options: ExecutionRunnerOptions) {
    // Tasks run as Lambda runs them: JSON in, JSON out, and an error arrives as Step Functions
    // shows a Lambda error: Error = its name, Cause = {"errorType", "errorMessage", "trace"}.
    this.functions = Object.fromEntries(
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
  }

  announce(record: ExecutionRecord): void {
    this.options.onStatusChange?.({
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

  /** Records the end of an execution (not saved: the caller saves once it is done). */
  stop(record: ExecutionRecord, status: Exclude<ExecutionStatus, 'RUNNING'>, outcome: StopOutcome): void {
    const { now } = this.options;
    record.status = status;
    record.stopDate = now().toISOString();
    if (outcome.output !== undefined) record.output = outcome.output;
    if (outcome.error !== undefined) record.error = outcome.error;
    if (outcome.cause !== undefined) record.cause = outcome.cause;
    this.announce(record);
    if (!record.history.some((event) => TERMINAL_EVENT_TYPES.has(event.type))) {
      const { add } = createHistoryRecorder({ history: record.history, now, tasks: {} });
      const failure = { ...(record.error !== undefined ? { error: record.error } : {}), ...(record.cause !== undefined ? { cause: record.cause } : {}) };
      if (status === 'SUCCEEDED') add('ExecutionSucceeded', { executionSucceededEventDetails: { output: record.output ?? 'null', outputDetails: { truncated: false } } });
      if (status === 'FAILED') add('ExecutionFailed', { executionFailedEventDetails: failure });
      if (status === 'TIMED_OUT') add('ExecutionTimedOut', { executionTimedOutEventDetails: failure });
      if (status === 'ABORTED') add('ExecutionAborted', { executionAbortedEventDetails: failure });
    }
  }

  launch(record: ExecutionRecord): void {
    const { machines, now, store, logger } = this.options;
    const definition = machines[record.stateMachineArn];
    const { add, record: recordEvent, observer } = createHistoryRecorder({ history: record.history, now, tasks: definition ? taskFacts(definition) : {} });
    add('ExecutionStarted', {
      executionStartedEventDetails: { input: record.input, inputDetails: { truncated: false }, roleArn: executionRoleArn(record.stateMachineArn) },
    });
    let run: LocalRun;
    try {
      if (!definition) throw new Error(`State Machine Does Not Exist: '${record.stateMachineArn}'`);
      run = runLocalStateMachine(definition, JSON.parse(record.input), {
        functions: this.functions,
        timeScale: this.options.waitScale,
        observeTasks: observer,
        context: {
          Execution: { Id: record.executionArn, Name: record.name, RoleArn: executionRoleArn(record.stateMachineArn), StartTime: record.startDate, RedriveCount: 0 },
          StateMachine: { Id: record.stateMachineArn, Name: stateMachineName(record.stateMachineArn) },
        },
      });
    } catch (error) {
      this.stop(record, 'FAILED', { error: 'States.Runtime', cause: error instanceof Error ? error.message : String(error) });
      store.save();
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
        this.stop(record, outcome.status, outcome);
        store.save();
        logger?.debug('execution ended', { executionArn: record.executionArn, status: record.status });
      })
      .finally(() => this.running.delete(record.executionArn));
    this.running.set(record.executionArn, { abort: run.abort, settled });
  }

  /** Stops the run of that execution: an in-flight Task runs to its end (as a Lambda invocation would); nothing follows it. */
  abort(executionArn: string): void {
    this.running.get(executionArn)?.abort();
  }

  /** Resolves when no execution is running (including any started meanwhile). */
  async settle(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running.values()].map((r) => r.settled));
  }
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
