import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { clientConfig, type ClientOptions } from './clients';

/** Step Functions, for the API functions that start workflow executions. */
export function createWorkflowClient(options: ClientOptions = {}): SFNClient {
  return new SFNClient(clientConfig(options));
}

/** The ARN Step Functions gives the execution of that state machine with that name. */
export const executionArn = (stateMachineArn: string, name: string) => `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;

/**
 * Starts an execution by name. Starting a name that is running with the same input is the same
 * execution, so a repeat (a retried request, a redelivered event) is harmless. Step Functions
 * answers ExecutionAlreadyExists when the name is running with another input or was used by an
 * execution that has ended; that is taken as done: names are derived from the stack and its
 * operation, and an ended one is the reconciler's to follow up (src/stacks/stack-reconciler.ts).
 */
export async function startExecutionOnce(sfn: SFNClient, execution: { stateMachineArn: string; name: string; input: string }): Promise<void> {
  try {
    await sfn.send(new StartExecutionCommand(execution));
  } catch (error) {
    if (error instanceof Error && error.name === 'ExecutionAlreadyExists') return;
    throw error;
  }
}
