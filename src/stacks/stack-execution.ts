import type { SFNClient } from '@aws-sdk/client-sfn';
import { startExecutionOnce } from '../aws/workflow-client';
import type { Stack } from './stack';

/**
 * A stack's workflow executions: named after the stack's operation (`stack.executionName`) and
 * given the stack id as input, so starting one twice is the same execution (startExecutionOnce).
 */
export function stackExecutionInput(stackId: string): string {
  return JSON.stringify({ stackId });
}

/** The stack id an execution was started with; undefined for input that is not a stack's. */
export function stackIdOfExecutionInput(input: string): string | undefined {
  try {
    const parsed: unknown = JSON.parse(input);
    const id = typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>)['stackId'] : undefined;
    return typeof id === 'string' ? id : undefined;
  } catch {
    return undefined;
  }
}

/** Starts (or finds already started) the stack's current execution of that state machine. */
export function startStackExecution(sfn: SFNClient, stateMachineArn: string, stack: Pick<Stack, 'id' | 'executionName'>): Promise<void> {
  return startExecutionOnce(sfn, { stateMachineArn, name: stack.executionName, input: stackExecutionInput(stack.id) });
}
