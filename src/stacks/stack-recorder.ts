import type { EventPublisher } from '../events/event-publisher';
import type { Logger } from '../log/logger';
import type { ComponentName } from '../model/components';
import { StackNotFoundError, StaleStackWriteError } from './errors';
import { type Stack, type StackStep } from './stack';
import { BUSY_STATUSES, RELEASED_STATUSES, STACK_TRANSITIONS, STEP_TRANSITIONS, type StackStatus, type StepStatus } from '../model/statuses';
import type { StackEvent, StackStore } from './stack-store';

/**
 * The one way a stack's state changes: read, apply an allowed transition, write conditionally
 * (retrying when a parallel branch wrote first), then publish the change's events. A repeated
 * transition (a retried step) is a no-op; a transition the state machine of statuses does not
 * allow is a stale write and is refused. Events are written with the change and published from
 * there, so one whose publication failed goes out with the next change.
 */
export interface StepChange {
  status: StepStatus;
  set?: Partial<Omit<StackStep, 'component' | 'status'>>;
}

export interface StackChange {
  status: StackStatus;
  reason?: string;
  set?: Partial<Pick<Stack, 'leftovers' | 'executionName' | 'deleteCount' | 'restarts'>>;
  /** Made only while this is still the stack's current execution (see recordStep()). */
  whileExecution?: string;
}

/** A new execution takes over from one that stopped before it finished. */
export interface Restart {
  /** The execution that stopped: the restart happens only while it is still the stack's current one. */
  stopped: string;
  status: Extract<StackStatus, 'ROLLBACK_IN_PROGRESS' | 'DELETE_IN_PROGRESS'>;
  reason: string;
  executionName: string;
}

const MAX_ATTEMPTS = 10;

function assertCurrentExecution(stack: Stack, expected: string | undefined, what: string): void {
  if (expected !== undefined && stack.executionName !== expected) {
    throw new StaleStackWriteError(`${what} of ${stack.id} not changed: its operation is now execution ${stack.executionName}, not ${expected}`);
  }
}

/**
 * The stack moved to `status` (which may be the one it is in) with `set`, and the event saying so;
 * a status it may not move to from where it is is a stale write.
 */
function statusChange(stack: Stack, status: StackStatus, reason: string | undefined, set: Partial<Stack>, at: string) {
  if (stack.status !== status && !STACK_TRANSITIONS[stack.status].includes(status)) {
    throw new StaleStackWriteError(`stack ${stack.id} cannot go from ${stack.status} to ${status}`);
  }
  const release = RELEASED_STATUSES.includes(status) && stack.released !== true;
  const after: Stack = { ...stack, ...set, status, ...(release ? { released: true } : {}) };
  if (reason !== undefined) after.statusReason = reason;
  else delete after.statusReason;
  const event: StackEvent = {
    type: 'Stack Status Change',
    detail: {
      tenantId: stack.tenantId,
      accountId: stack.accountId,
      stackId: stack.id,
      status,
      previousStatus: stack.status,
      ...(reason !== undefined ? { reason } : {}),
      occurredAt: at,
    },
  };
  return { after, events: [event], release };
}

export class StackRecorder {
  constructor(
    private readonly store: StackStore,
    private readonly events: EventPublisher,
    private readonly logger: Logger,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async load(stackId: string): Promise<Stack> {
    const stack = await this.store.get(stackId);
    if (!stack) throw new StackNotFoundError(stackId);
    return stack;
  }

  /**
   * `whileStack`: the change is made only if the stack is (still) in that status, atomically.
   * `whileExecution`: only if that is (still) the stack's current execution — a step of an
   * execution that was stopped and replaced may still be running, and must not write over its successor.
   */
  async recordStep(stackId: string, component: ComponentName, change: StepChange, options: { whileStack?: StackStatus; whileExecution?: string } = {}): Promise<Stack> {
    return this.record(stackId, (stack, at) => {
      if (options.whileStack !== undefined && stack.status !== options.whileStack) {
        throw new StaleStackWriteError(`step ${component} of ${stackId} not changed: the stack is ${stack.status}, not ${options.whileStack}`);
      }
      assertCurrentExecution(stack, options.whileExecution, `step ${component}`);
      const step = stack.steps[component];
      if (step.status === change.status && change.set === undefined) return undefined;
      if (step.status !== change.status && !STEP_TRANSITIONS[step.status].includes(change.status)) {
        throw new StaleStackWriteError(`step ${component} of ${stackId} cannot go from ${step.status} to ${change.status}`);
      }
      const next: StackStep = { ...step, ...change.set, status: change.status };
      const events: StackEvent[] =
        step.status === change.status
          ? []
          : [
              {
                type: 'Stack Step Status Change',
                detail: {
                  tenantId: stack.tenantId,
                  accountId: stack.accountId,
                  stackId: stack.id,
                  step: component,
                  status: change.status,
                  previousStatus: step.status,
                  ...(next.reason !== undefined && change.set?.reason !== undefined ? { reason: next.reason } : {}),
                  occurredAt: at,
                },
              },
            ];
      return { after: { ...stack, steps: { ...stack.steps, [component]: next } }, events };
    });
  }

  async recordStackStatus(stackId: string, change: StackChange): Promise<Stack> {
    return this.record(stackId, (stack, at) => {
      assertCurrentExecution(stack, change.whileExecution, 'status');
      if (stack.status === change.status) return undefined;
      return statusChange(stack, change.status, change.reason, change.set ?? {}, at);
    });
  }

  /**
   * Hands the stack's current operation to a new execution, once: a no-op (returning the stack as
   * it is) when `stopped` is no longer its current execution. The status may stay what it was
   * (a teardown restarted); the change is published either way, with the reason.
   */
  async restart(stackId: string, restart: Restart): Promise<Stack> {
    return this.record(stackId, (stack, at) => {
      // Moved on (another execution), or ended after all (its finish got there first): nothing to restart.
      if (stack.executionName !== restart.stopped || !BUSY_STATUSES.includes(stack.status)) return undefined;
      return statusChange(
        stack,
        restart.status,
        restart.reason,
        { executionName: restart.executionName, deleteCount: stack.deleteCount + 1, restartedAfter: restart.stopped, restarts: (stack.restarts ?? 0) + 1 },
        at,
      );
    });
  }

  private async record(
    stackId: string,
    apply: (stack: Stack, at: string) => { after: Stack; events: StackEvent[]; release?: boolean } | undefined,
  ): Promise<Stack> {
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt += 1) {
      const before = await this.load(stackId);
      const at = this.now().toISOString();
      const change = apply(before, at);
      if (!change) {
        await this.publishPendingQuietly(stackId);
        return before;
      }
      const after: Stack = { ...change.after, version: before.version + 1, updatedAt: at };
      if (await this.store.save(before, after, change.events, { release: change.release ?? false })) {
        await this.publishPendingQuietly(stackId);
        return after;
      }
      // Another branch of the workflow wrote first: read again and re-apply.
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 20 * attempt));
    }
    throw new StaleStackWriteError(`stack ${stackId} kept changing; gave up after ${MAX_ATTEMPTS} attempts`);
  }

  private publish(event: StackEvent): Promise<void> {
    // Two calls, not one: each narrows the event to its own detail type.
    return event.type === 'Stack Status Change' ? this.events.publish(event.type, event.detail) : this.events.publish(event.type, event.detail);
  }

  /** The change is committed whatever EventBridge says: an event not sent stays pending for the next change. */
  private async publishPendingQuietly(stackId: string): Promise<void> {
    try {
      await this.publishPending(stackId);
    } catch (error) {
      this.logger.warn('stack events not published yet; they stay pending', { stackId, error });
    }
  }

  /** Publishes, in order, every event of the stack not yet published. */
  async publishPending(stackId: string): Promise<void> {
    const { items } = await this.store.events(stackId, { limit: 100, pendingOnly: true });
    for (const event of items) {
      // Claim first: parallel branches flush the same pending events, and each must go out once.
      if (!(await this.store.claimForPublication(stackId, event.sequence))) continue;
      try {
        await this.publish(event);
      } catch (error) {
        await this.store.releaseClaim(stackId, event.sequence);
        throw error;
      }
    }
    if (items.length > 0) this.logger.debug('published stack events', { stackId, count: items.length });
  }
}
