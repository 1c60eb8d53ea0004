import type { LocalRunEvent, TaskObserver } from './local-state-machine';

/**
 * An execution's history as Step Functions' GetExecutionHistory shows it, built from the events
 * aws-local-stepfunctions reports: `<Type>StateEntered` / `<Type>StateExited` for every state
 * transition (so transitions can be counted as in AWS), the LambdaFunction* events of each
 * Task attempt (Scheduled, Started, Succeeded | Failed | TimedOut; a retry schedules again),
 * Parallel/Map start and end, map iterations, and the execution's own start and end.
 * The Lambda events carry what the function was given and returned, from the run's task
 * observer. Not reproduced: previousEventId's causal links (it is the preceding event), and the
 * order of AWS where a Parallel branch's last events arrive after the Parallel's exit.
 */
export interface HistoryEvent {
  id: number;
  previousEventId: number;
  /** ISO 8601; the JSON protocol sends it as epoch seconds. */
  timestamp: string;
  type: string;
  [details: string]: unknown;
}

export const TERMINAL_EVENT_TYPES: ReadonlySet<string> = new Set(['ExecutionSucceeded', 'ExecutionFailed', 'ExecutionAborted', 'ExecutionTimedOut']);

interface TaskFacts {
  resource?: string;
  timeoutSeconds?: number;
}

const json = (value: unknown): string => JSON.stringify(value ?? null);
const text = (value: unknown): string => (typeof value === 'string' ? value : value instanceof Error ? value.message : json(value));

export function createHistoryRecorder(options: { history: HistoryEvent[]; now: () => Date; tasks: Record<string, TaskFacts> }) {
  const { history, now, tasks } = options;
  /** Per Task state: the attempts whose function was called, in order, and what each returned. */
  const started = new Map<string, Array<{ attempt: number; input: unknown }>>();
  const returned = new Map<string, Map<number, unknown>>();
  /** Per Task state: the attempt the history is at, and whether it failed. */
  const current = new Map<string, { attempt: number; failed: boolean }>();
  /** Parallel/Map states that failed (caught): no <Type>StateSucceeded before their exit. */
  const failedBlock = new Set<string>();

  const observer: TaskObserver = {
    started(name, attempt, input) {
      started.set(name, [...(started.get(name) ?? []), { attempt, input }]);
    },
    succeeded(name, attempt, output) {
      returned.set(name, (returned.get(name) ?? new Map<number, unknown>()).set(attempt, output));
    },
  };

  function add(type: string, details: Record<string, unknown> = {}): void {
    const id = history.length + 1;
    history.push({ id, previousEventId: id - 1, timestamp: now().toISOString(), type, ...details });
  }

  /** The function was called (the observer saw it before the event arrives): Scheduled, Started. */
  function scheduleLambda(name: string): void {
    const next = started.get(name)?.shift();
    if (!next) return; // the state failed before calling its function (e.g. a bad Parameters path)
    current.set(name, { attempt: next.attempt, failed: false });
    const task = tasks[name] ?? {};
    add('LambdaFunctionScheduled', {
      lambdaFunctionScheduledEventDetails: {
        resource: task.resource ?? name,
        input: json(next.input),
        inputDetails: { truncated: false },
        ...(task.timeoutSeconds !== undefined ? { timeoutInSeconds: task.timeoutSeconds } : {}),
      },
    });
    add('LambdaFunctionStarted');
  }

  function record(event: LocalRunEvent): void {
    switch (event.type) {
      case 'ExecutionStarted':
        add('ExecutionStarted', { executionStartedEventDetails: { input: json(event.input), inputDetails: { truncated: false } } });
        return;
      case 'ExecutionSucceeded':
        add('ExecutionSucceeded', { executionSucceededEventDetails: { output: json(event.output), outputDetails: { truncated: false } } });
        return;
      case 'ExecutionFailed':
        add('ExecutionFailed', { executionFailedEventDetails: { error: event.Error, cause: text(event.Cause) } });
        return;
      case 'ExecutionAborted':
        add('ExecutionAborted', { executionAbortedEventDetails: {} });
        return;
      case 'ExecutionTimeout':
        add('ExecutionTimedOut', { executionTimedOutEventDetails: { error: 'States.Timeout', cause: 'The execution ran longer than its TimeoutSeconds' } });
        return;
      case 'StateEntered': {
        const { name, type, input } = event.state;
        add(`${type}StateEntered`, { stateEnteredEventDetails: { name, input: json(input), inputDetails: { truncated: false } } });
        if (type === 'Task') scheduleLambda(name);
        if (type === 'Parallel') add('ParallelStateStarted');
        if (type === 'Map') add('MapStateStarted', { mapStateStartedEventDetails: { length: Array.isArray(input) ? input.length : 0 } });
        return;
      }
      case 'StateExited': {
        const { name, type, output } = event.state;
        const attempt = current.get(name);
        if (type === 'Task' && attempt && !attempt.failed) {
          const answer = returned.get(name);
          const result = answer?.has(attempt.attempt) ? answer.get(attempt.attempt) : output;
          answer?.delete(attempt.attempt);
          add('LambdaFunctionSucceeded', { lambdaFunctionSucceededEventDetails: { output: json(result), outputDetails: { truncated: false } } });
        }
        if ((type === 'Parallel' || type === 'Map') && !failedBlock.has(name)) add(`${type}StateSucceeded`);
        current.delete(name);
        failedBlock.delete(name);
        add(`${type}StateExited`, { stateExitedEventDetails: { name, output: json(output), outputDetails: { truncated: false } } });
        return;
      }
      case 'StateFailed': {
        const { name, type } = event.state;
        const details = { error: event.Error, cause: text(event.Cause) };
        const attempt = current.get(name);
        if (type === 'Task' && attempt) {
          attempt.failed = true;
          if (event.Error === 'States.Timeout') add('LambdaFunctionTimedOut', { lambdaFunctionTimedOutEventDetails: details });
          else add('LambdaFunctionFailed', { lambdaFunctionFailedEventDetails: details });
        }
        if (type === 'Parallel' || type === 'Map') {
          failedBlock.add(name);
          add(`${type}StateFailed`);
        }
        return;
      }
      case 'StateRetried':
        if (event.state.type === 'Task') scheduleLambda(event.state.name);
        return;
      case 'MapIterationStarted':
      case 'MapIterationSucceeded':
      case 'MapIterationFailed': {
        const key = `${event.type.charAt(0).toLowerCase()}${event.type.slice(1)}EventDetails`;
        add(event.type, { [key]: { name: event.parentState.name, index: event.index } });
        return;
      }
      // StateCaught: AWS shows a caught error as the Task's failure, then the state's exit.
      // ParallelBranch*: AWS has no per-branch events.
      default:
        return;
    }
  }

  return { add, record, observer };
}
