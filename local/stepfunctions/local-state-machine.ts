import { StateMachine, type RunOptions, type StateMachineDefinition } from 'aws-local-stepfunctions';

type Handlers = NonNullable<NonNullable<RunOptions['overrides']>['taskResourceLocalHandlers']>;
type JsonValue = Parameters<Handlers[string]>[0];

/**
 * Runs an ASL definition on this machine with aws-local-stepfunctions: every Task whose
 * Resource names a known function runs that function in-process (as Lambda would, with the
 * state's resolved Parameters as its event); Wait states and retry intervals can be shortened.
 */
export type LocalFunction = (input: unknown) => Promise<unknown>;

interface StateLike {
  Type?: string;
  Resource?: string;
  Branches?: Array<{ States: Record<string, StateLike> }>;
  Iterator?: { States: Record<string, StateLike> };
  ItemProcessor?: { States: Record<string, StateLike> };
}

/** Every state of a definition, nested branches included: [name, state]. */
export function allStates(definition: { States: Record<string, StateLike> }): Array<[string, StateLike]> {
  return Object.entries(definition.States).flatMap(([name, state]) => [
    [name, state] as [string, StateLike],
    ...(state.Branches ?? []).flatMap((branch) => allStates(branch)),
    ...[state.Iterator, state.ItemProcessor].filter((inner) => inner !== undefined).flatMap((inner) => allStates(inner)),
  ]);
}

/** Replaces `${Name}` placeholders as CloudFormation's DefinitionSubstitutions does; a missing one is an error. */
export function substitutePlaceholders<T extends object>(definition: T, substitutions: Record<string, string>): T {
  const text = JSON.stringify(definition).replace(/\$\{([A-Za-z0-9_]+)\}/g, (_match, name: string) => {
    const value = substitutions[name];
    if (value === undefined) throw new Error(`no substitution for \${${name}} in the state machine definition`);
    return value;
  });
  return JSON.parse(text) as T;
}

export interface LocalRunOptions {
  /** Function ARN (after substitution) → the function that serves it. */
  functions: Record<string, LocalFunction>;
  /** Milliseconds every Wait state waits instead of its own time (default: its own time). */
  waitMs?: number;
  /** Milliseconds between retries instead of the Retry's own interval (default: its own). */
  retryIntervalMs?: number;
  /**
   * Share of its own time every Wait state and retry interval takes (e.g. 0.01: a 480 s wait
   * takes 4.8 s), for waits known only at run time (SecondsPath) too. `waitMs` and
   * `retryIntervalMs`, when given, win over it.
   */
  timeScale?: number;
  /** The context object ($$): Execution.Id, Name, StateMachine.Id … as Step Functions sets it. */
  context?: Record<string, unknown>;
  /** Sees what each Task attempt's function was given and what it returned (before ResultSelector/ResultPath). */
  observeTasks?: TaskObserver;
}

export interface TaskObserver {
  /** Attempts count from 1 per state and run. */
  started(stateName: string, attempt: number, input: unknown): void;
  succeeded(stateName: string, attempt: number, output: unknown): void;
}

/** A run: its result, abort(), and its events (ExecutionStarted, StateEntered, StateExited, …). */
export type LocalRun = ReturnType<StateMachine['run']>;
export type LocalRunEvent = LocalRun['eventLogs'] extends AsyncGenerator<infer E> ? E : never;

export function runLocalStateMachine(definition: object, input: unknown, options: LocalRunOptions): LocalRun {
  const states = allStates(definition as { States: Record<string, StateLike> });
  const taskResourceLocalHandlers: Handlers = {};
  const waitTimeOverrides: Record<string, number> = {};
  const retryIntervalOverrides: Record<string, number> = {};
  const scale = options.timeScale;
  const scaleWaits = scale !== undefined && options.waitMs === undefined;
  const scaleRetries = scale !== undefined && options.retryIntervalMs === undefined;
  // Cancels the scaled waits' timers when the run ends or is aborted.
  const waits = new AbortController();
  const attempts = new Map<string, number>();
  for (const [name, state] of states) {
    if (state.Type === 'Task') {
      const fn = state.Resource ? options.functions[state.Resource] : undefined;
      if (!fn) throw new Error(`no local function serves Task ${name} (${state.Resource ?? 'no resource'})`);
      const observer = options.observeTasks;
      taskResourceLocalHandlers[name] = observer
        ? async (taskInput) => {
            const attempt = (attempts.get(name) ?? 0) + 1;
            attempts.set(name, attempt);
            observer.started(name, attempt, taskInput);
            const output = await fn(taskInput);
            observer.succeeded(name, attempt, output);
            return output as JsonValue;
          }
        : async (taskInput) => (await fn(taskInput)) as JsonValue;
      if (options.retryIntervalMs !== undefined) retryIntervalOverrides[name] = options.retryIntervalMs;
    }
    if (state.Type === 'Wait' && options.waitMs !== undefined) waitTimeOverrides[name] = options.waitMs;
  }
  const prepared = prepareDefinition(definition as PreparedDefinition, { scaleWaits, retryScale: scaleRetries ? scale : undefined });
  for (const name of prepared.waits) taskResourceLocalHandlers[name] = async (waitInput) => scaledWait(waitInput, scale ?? 1, waits.signal);
  for (const name of prepared.settles) taskResourceLocalHandlers[name] = settle;
  for (const name of prepared.rethrows) taskResourceLocalHandlers[name] = rethrow;
  // The definition is validated as written; what runs is the prepared copy (whose fractional
  // intervals and added Task states the validator would refuse).
  const validated = new StateMachine(definition as StateMachineDefinition, { validationOptions: { checkArn: false } });
  const machine = prepared.changed ? new StateMachine(prepared.definition as unknown as StateMachineDefinition, { validationOptions: { noValidate: true } }) : validated;
  const run = machine.run(input as JsonValue, {
    overrides: { taskResourceLocalHandlers, waitTimeOverrides, retryIntervalOverrides },
    ...(options.context ? { context: options.context } : {}),
  });
  if (!prepared.changed) return run;
  const stopWaits = () => waits.abort();
  run.result.then(stopWaits, stopWaits);
  return {
    result: run.result,
    abort: () => {
      stopWaits();
      run.abort();
    },
    eventLogs: asWritten(run.eventLogs, prepared),
  };
}

/**
 * What runs is the definition as written, prepared in two ways that keep its meaning:
 * - Time scaling. aws-local-stepfunctions can shorten a Wait only to a fixed time per state, but
 *   the workflow's waits come from its input (SecondsPath). So each Wait runs as a Task whose
 *   Parameters resolve the same fields against the same input, served by a handler that sleeps
 *   the scaled time and hands its input on unchanged (InputPath, OutputPath, Next and End keep
 *   their meaning); retry intervals and caps are scaled in place.
 * - A complete event log. The library forwards a Parallel branch's (or Map iteration's) events
 *   to the enclosing run a few ticks late, and drops those that arrive after that run ended, so
 *   a fast machine loses state transitions from its history. After every Parallel and Map (and
 *   after each of their Catch routes) runs a pass-through Task that yields one turn of the
 *   event loop, long enough for every late event to arrive; an error no Catch of theirs takes
 *   goes, after their Retry as before, to a Task that waits the same turn and throws it on
 *   unchanged (same Error, same Cause).
 * The events are then shown as of the definition as written: the scaled waits as Wait states,
 * the added Tasks (and the catch and exit that lead to a rethrow) not at all.
 */
type PreparedState = StateLike & Record<string, unknown>;
interface PreparedDefinition {
  States: Record<string, PreparedState>;
  [key: string]: unknown;
}
interface Prepared {
  definition: PreparedDefinition;
  changed: boolean;
  /** Wait states now run as Tasks. */
  waits: Set<string>;
  /** The added pass-through Tasks. */
  settles: Set<string>;
  /** The added Tasks that throw a Parallel's or Map's uncaught error on. */
  rethrows: Set<string>;
}

const SCALED_WAIT_RESOURCE = 'arn:aws:states:::groundwork:scaled-wait';
const SETTLE_RESOURCE = 'arn:aws:states:::groundwork:settle';
const RETHROW_RESOURCE = 'arn:aws:states:::groundwork:rethrow';
/** The longest timer Node keeps (about 24.8 days); a Task's own timeout must stay below it. */
const MAX_TIMER_SECONDS = 2_147_483;

function prepareDefinition(definition: PreparedDefinition, options: { scaleWaits: boolean; retryScale: number | undefined }): Prepared {
  const waits = new Set<string>();
  const settles = new Set<string>();
  const rethrows = new Set<string>();

  function prepareStates(states: Record<string, PreparedState>): Record<string, PreparedState> {
    const out: Record<string, PreparedState> = {};
    for (const [name, state] of Object.entries(states)) {
      let prepared: PreparedState = { ...state };
      if (state.Branches) prepared.Branches = state.Branches.map((branch) => prepareBody(branch as { States: Record<string, PreparedState> }));
      if (state.Iterator) prepared.Iterator = prepareBody(state.Iterator as { States: Record<string, PreparedState> });
      if (state.ItemProcessor) prepared.ItemProcessor = prepareBody(state.ItemProcessor as { States: Record<string, PreparedState> });
      const retry = state['Retry'];
      if (options.retryScale !== undefined && Array.isArray(retry)) {
        const factor = options.retryScale;
        prepared['Retry'] = retry.map((retrier: Record<string, unknown>) => ({
          ...retrier,
          // Step Functions' default interval is 1 s.
          IntervalSeconds: (typeof retrier['IntervalSeconds'] === 'number' ? retrier['IntervalSeconds'] : 1) * factor,
          ...(typeof retrier['MaxDelaySeconds'] === 'number' ? { MaxDelaySeconds: retrier['MaxDelaySeconds'] * factor } : {}),
        }));
      }
      if (options.scaleWaits && state.Type === 'Wait') {
        prepared = waitAsTask(state);
        waits.add(name);
      }
      if (state.Type === 'Parallel' || state.Type === 'Map') {
        const settled = `${name}#settled`;
        out[settled] = settleTask(state['End'] === true ? { End: true } : { Next: state['Next'] });
        settles.add(settled);
        delete prepared['End'];
        prepared['Next'] = settled;
        const catchers: Array<Record<string, unknown>> = Array.isArray(state['Catch']) ? state['Catch'] : [];
        const rethrow = `${name}#rethrow`;
        out[rethrow] = { Type: 'Task', Resource: RETHROW_RESOURCE, TimeoutSeconds: 60, End: true };
        rethrows.add(rethrow);
        prepared['Catch'] = [
          ...catchers.map((catcher, index) => {
            const caught = `${name}#caught-${index}`;
            out[caught] = settleTask({ Next: catcher['Next'] });
            settles.add(caught);
            return { ...catcher, Next: caught };
          }),
          // No ResultPath: the error output replaces the input, as ResultPath '$' would (which the library mishandles).
          { ErrorEquals: ['States.ALL'], Next: rethrow },
        ];
      }
      out[name] = prepared;
    }
    return out;
  }
  function prepareBody<T extends { States: Record<string, PreparedState> }>(body: T): T {
    return { ...body, States: prepareStates(body.States) };
  }

  const prepared = prepareBody(definition);
  return { definition: prepared, changed: waits.size > 0 || settles.size > 0 || options.retryScale !== undefined, waits, settles, rethrows };
}

function settleTask(transition: { End: true } | { Next: unknown }): PreparedState {
  return { Type: 'Task', Resource: SETTLE_RESOURCE, TimeoutSeconds: 60, ...transition };
}

async function settle(input: JsonValue): Promise<JsonValue> {
  await new Promise((resolve) => setImmediate(resolve));
  return input;
}

/** The error as it was caught ({Error, Cause}), thrown again one turn later. */
async function rethrow(caught: JsonValue): Promise<JsonValue> {
  await new Promise((resolve) => setImmediate(resolve));
  const { Error: name, Cause: cause } = (caught ?? {}) as { Error?: unknown; Cause?: unknown };
  const error = new Error(typeof cause === 'string' ? cause : JSON.stringify(cause ?? null));
  error.name = typeof name === 'string' ? name : 'States.Runtime';
  throw error;
}

function waitAsTask(state: PreparedState): PreparedState {
  const { Type: _type, Seconds, SecondsPath, Timestamp, TimestampPath, ...rest } = state;
  const parameters: Record<string, unknown> = { 'input.$': '$' };
  if (Seconds !== undefined) parameters['seconds'] = Seconds;
  if (SecondsPath !== undefined) parameters['seconds.$'] = SecondsPath;
  if (Timestamp !== undefined) parameters['timestamp'] = Timestamp;
  if (TimestampPath !== undefined) parameters['timestamp.$'] = TimestampPath;
  return { ...rest, Type: 'Task', Resource: SCALED_WAIT_RESOURCE, Parameters: parameters, TimeoutSeconds: MAX_TIMER_SECONDS };
}

/** Named as aws-local-stepfunctions names a bad SecondsPath value: not retried, not caught here. */
class StatesRuntimeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'States.Runtime';
  }
}

async function scaledWait(waitInput: JsonValue, scale: number, signal: AbortSignal): Promise<JsonValue> {
  const { input, seconds, timestamp } = (waitInput ?? {}) as { input?: JsonValue; seconds?: unknown; timestamp?: unknown };
  let ms = 0;
  if (seconds !== undefined) {
    if (typeof seconds !== 'number' || !Number.isInteger(seconds) || seconds < 0) {
      throw new StatesRuntimeError(`The Wait state's seconds must be an integer >= 0, not ${JSON.stringify(seconds)}`);
    }
    ms = seconds * 1000 * scale;
  } else if (timestamp !== undefined) {
    const at = typeof timestamp === 'string' ? Date.parse(timestamp) : Number.NaN;
    if (Number.isNaN(at)) throw new StatesRuntimeError(`The Wait state's timestamp must be an RFC 3339 timestamp, not ${JSON.stringify(timestamp)}`);
    ms = (at - Date.now()) * scale;
  }
  await sleep(Math.min(Math.max(0, ms), MAX_TIMER_SECONDS * 1000), signal);
  return input ?? null;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0 || signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/** The run's events as of the definition as written: scaled waits as Wait states, no added Tasks. */
async function* asWritten(events: AsyncGenerator<LocalRunEvent>, prepared: Prepared): AsyncGenerator<LocalRunEvent> {
  /** States whose error went to a rethrow: in AWS they fail without exiting. */
  const failing = new Set<string>();
  for await (const event of events) {
    if ('state' in event && (prepared.settles.has(event.state.name) || prepared.rethrows.has(event.state.name))) continue;
    if (event.type === 'StateCaught' && prepared.rethrows.has(String(event.catch.catcher.Next))) {
      failing.add(event.state.name);
      continue;
    }
    if (event.type === 'StateExited' && failing.delete(event.state.name)) continue;
    if ('state' in event && event.state.type === 'Task' && prepared.waits.has(event.state.name)) {
      yield { ...event, state: { ...event.state, type: 'Wait' } } as LocalRunEvent;
    } else {
      yield event;
    }
  }
}
