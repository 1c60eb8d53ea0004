import type { ComponentName } from '../../model/components';
import type { Stack } from '../stack';
import type { StackRecorder } from '../stack-recorder';
import type { CustomerStacks } from './customer-stacks';

/**
 * What every workflow step shares: what it is given, what it answers, and the guard on its writes.
 * A step reads the stack from the store, talks to the customer's CloudFormation through
 * CustomerStacks, and records what it saw through the StackRecorder; it is safe to run twice
 * (Step Functions retries), and a step that finds its work already done says so.
 */
export interface StepContext {
  recorder: StackRecorder;
  customers: CustomerStacks;
  now: () => Date;
}

/**
 * What the state machine does next, read by its Choice states as `$.result.outcome`:
 * IN_PROGRESS and DELETING wait and look again, RETRY deletes again, the rest move on.
 * Not a StepStatus: the step's recorded status is on the stack.
 */
export type StepOutcome = 'SKIPPED' | 'IN_PROGRESS' | 'COMPLETE' | 'DELETING' | 'GONE' | 'RETRY' | 'LEFT' | 'DONE';

export interface StepResult {
  outcome: StepOutcome;
  waitSeconds?: number;
  attempt?: number;
  stackStatus?: string;
}

/** Every step names its stack, and (from the state machines) the execution running it. */
export interface StackStepInput {
  stackId: string;
  execution?: string;
}

export interface ComponentStepInput extends StackStepInput {
  component: ComponentName;
}

/** Step Functions hands a caught error over as {Error, Cause}; Cause is the Lambda's JSON error. */
export interface StepError {
  Error?: string;
  Cause?: string;
}

/** Writes only while this is the stack's current execution: a stopped, replaced one's step may still be running. */
export interface ExecutionGuard {
  whileExecution: string;
}

/** The stack, and the guard for writes on behalf of the execution running this step. */
export async function loadForExecution(context: StepContext, input: StackStepInput): Promise<{ stack: Stack; own: ExecutionGuard }> {
  const stack = await context.recorder.load(input.stackId);
  return { stack, own: { whileExecution: input.execution ?? stack.executionName } };
}

export function describeStepError(error: StepError | undefined): string {
  if (!error) return 'failed';
  let message = error.Cause ?? '';
  try {
    const cause = JSON.parse(message) as { errorMessage?: string };
    if (cause.errorMessage) message = cause.errorMessage;
  } catch {
    // a plain-text cause
  }
  return [error.Error, message].filter(Boolean).join(': ').slice(0, 1000) || 'failed';
}
