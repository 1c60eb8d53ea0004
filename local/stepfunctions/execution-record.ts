import type { HistoryEvent } from './execution-history';

/** An execution of the local Step Functions as it is kept (and persisted) and described. */
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

export const STATE_MACHINE_ARN = /^arn:aws[a-z-]*:states:([a-z0-9-]+):(\d{12}):stateMachine:([A-Za-z0-9_-]{1,80})$/;
export const EXECUTION_ARN = /^arn:aws[a-z-]*:states:([a-z0-9-]+):(\d{12}):execution:([A-Za-z0-9_-]{1,80}):([^:]{1,80})$/;

export const stateMachineName = (arn: string): string => arn.slice(arn.lastIndexOf(':') + 1);

/** The role a state machine's executions run as: one per machine, named after it. */
export function executionRoleArn(stateMachineArn: string): string {
  const account = STATE_MACHINE_ARN.exec(stateMachineArn)?.[2] ?? '000000000000';
  return `arn:aws:iam::${account}:role/${stateMachineName(stateMachineArn)}-execution`;
}
