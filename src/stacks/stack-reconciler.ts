import type { SFNClient } from '@aws-sdk/client-sfn';
import type { Logger } from '../log/logger';
import { leftoversOf, teardownExecutionName, type Stack } from './stack';
import { BUSY_STATUSES } from '../model/statuses';
import { stackIdOfExecutionInput, startStackExecution } from './stack-execution';
import type { StackRecorder } from './stack-recorder';
import type { StackStore } from './stack-store';

/**
 * Finishes what a workflow left half-done. A workflow records its own ending, also when a step
 * fails (its Catch rolls back); but an execution can still stop outside its Catch — stopped by
 * an operator, States.Runtime, a history or time limit — leaving the stack CREATE_IN_PROGRESS,
 * ROLLBACK_IN_PROGRESS or DELETE_IN_PROGRESS for ever, and whatever it built in the account.
 *
 * Step Functions announces every such ending ("Step Functions Execution Status Change"). For a
 * stack still waiting on the execution that ended, a new teardown execution takes over: a stopped
 * creation is rolled back (ending ROLLBACK_COMPLETE or ROLLBACK_FAILED), a stopped teardown is
 * started again. Bounded: after MAX_RESTARTS, the stack ends FAILED naming what may be left.
 * Safe to repeat: the restart is one conditional write, keyed on the execution that stopped, and
 * starting the same execution name with the same input again is harmless.
 */
export const MAX_RESTARTS = 3;

export interface ExecutionEnded {
  /** The execution's name (Step Functions' `detail.name`). */
  executionName: string;
  status: 'FAILED' | 'TIMED_OUT' | 'ABORTED';
  /** The execution's input, as Step Functions reports it: a JSON string. */
  input: string;
  error?: string;
}

export type Reconciled = 'restarted' | 'ended' | 'ignored';

export interface StackReconcilerDeps {
  store: StackStore;
  recorder: StackRecorder;
  sfn: SFNClient;
  deleteStateMachineArn: string;
  logger: Logger;
}

export class StackReconciler {
  constructor(private readonly deps: StackReconcilerDeps) {}

  async executionEnded(ended: ExecutionEnded): Promise<Reconciled> {
    const stackId = stackIdOfExecutionInput(ended.input);
    const log = { stackId, executionName: ended.executionName, executionStatus: ended.status };
    const stack = stackId === undefined ? undefined : await this.deps.store.get(stackId);
    if (!stack || !BUSY_STATUSES.includes(stack.status)) return this.ignore('no stack waits on this execution', log);
    if (stack.executionName !== ended.executionName) {
      // Already handed over, perhaps by this very event delivered before: make sure the successor runs.
      if (stack.restartedAfter !== ended.executionName) return this.ignore('the stack has moved on to another execution', log);
      await this.startTeardown(stack);
      return 'restarted';
    }

    const creating = stack.status !== 'DELETE_IN_PROGRESS';
    const stopped = `The ${stack.status === 'CREATE_IN_PROGRESS' ? 'provisioning' : creating ? 'rollback' : 'teardown'} workflow stopped before it finished (${ended.status}${ended.error ? `: ${ended.error}` : ''})`;
    if ((stack.restarts ?? 0) >= MAX_RESTARTS) {
      const leftovers = leftoversOf(stack);
      await this.deps.recorder.recordStackStatus(stack.id, {
        status: creating ? 'ROLLBACK_FAILED' : 'DELETE_FAILED',
        reason: `${stopped}, ${MAX_RESTARTS + 1} times; not tried again. These CloudFormation stacks may remain: ${leftovers.map((l) => l.cloudFormationStackName).join(', ') || 'none'}`,
        set: { leftovers },
        whileExecution: ended.executionName,
      });
      this.deps.logger.error('stack workflow keeps stopping; stack ended as failed', { ...log, restarts: stack.restarts });
      return 'ended';
    }
    const next = await this.deps.recorder.restart(stack.id, {
      stopped: ended.executionName,
      status: creating ? 'ROLLBACK_IN_PROGRESS' : 'DELETE_IN_PROGRESS',
      reason: `${stopped}; ${creating ? 'rolling back' : 'deleting'} what it built`,
      executionName: teardownExecutionName(stack.id, stack.deleteCount + 1),
    });
    if (next.restartedAfter !== ended.executionName) return this.ignore('the stack moved on meanwhile', log);
    await this.startTeardown(next);
    this.deps.logger.warn('stack workflow stopped; a teardown took over', { ...log, status: next.status, newExecution: next.executionName });
    return 'restarted';
  }

  private startTeardown(stack: Stack): Promise<void> {
    return startStackExecution(this.deps.sfn, this.deps.deleteStateMachineArn, stack);
  }

  private ignore(why: string, log: Record<string, unknown>): Reconciled {
    this.deps.logger.info(`execution ended; nothing to do: ${why}`, log);
    return 'ignored';
  }
}
