import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { clientConfig, type ClientOptions } from './clients';

/** Step Functions, for the API functions that start workflow executions. */
export function createWorkflowClient(options: ClientOptions = {}): SFNClient {
  return new SFNClient(clientConfig(options));
}

/**
 * Starts an execution by name. Step Functions refuses a second start of a name only when the input
 * differs; the same name and input is the same execution, so a repeat (a retried request, a
 * redelivered event) is harmless. ExecutionAlreadyExists — that name taken, even by a closed
 * execution — is taken as done: names are derived from the stack, and its operation owns them.
 */
export async function startExecutionOnce(sfn: SFNClient, execution: { stateMachineArn: string; name: string; input: string }): Promise<void> {
  try {
    await sfn.send(new StartExecutionCommand(execution));
  } catch (error) {
    if (error instanceof Error && error.name === 'ExecutionAlreadyExists') return;
    throw error;
  }
}
