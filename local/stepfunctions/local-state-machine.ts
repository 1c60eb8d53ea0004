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
}

export function runLocalStateMachine(definition: object, input: unknown, options: LocalRunOptions) {
  const states = allStates(definition as { States: Record<string, StateLike> });
  const taskResourceLocalHandlers: Handlers = {};
  const waitTimeOverrides: Record<string, number> = {};
  const retryIntervalOverrides: Record<string, number> = {};
  for (const [name, state] of states) {
    if (state.Type === 'Task') {
      const fn = state.Resource ? options.functions[state.Resource] : undefined;
      if (!fn) throw new Error(`no local function serves Task ${name} (${state.Resource ?? 'no resource'})`);
      taskResourceLocalHandlers[name] = async (taskInput) => (await fn(taskInput)) as JsonValue;
      if (options.retryIntervalMs !== undefined) retryIntervalOverrides[name] = options.retryIntervalMs;
    }
    if (state.Type === 'Wait' && options.waitMs !== undefined) waitTimeOverrides[name] = options.waitMs;
  }
  const machine = new StateMachine(definition as StateMachineDefinition, { validationOptions: { checkArn: false } });
  return machine.run(input as JsonValue, { overrides: { taskResourceLocalHandlers, waitTimeOverrides, retryIntervalOverrides } });
}
