/**
 * The status vocabulary of accounts, stacks and their steps (DESIGN.md §1), shared by the API, the
 * workflow and the public events, and the moves between statuses that a write may make.
 */
export const ACCOUNT_STATUSES = ['AWAITING_CONNECTION', 'CONNECTED', 'FAILED', 'REVOKED'] as const;
export type AccountStatus = (typeof ACCOUNT_STATUSES)[number];

export const STACK_STATUSES = [
  'CREATE_IN_PROGRESS', 'CREATE_COMPLETE', 'ROLLBACK_IN_PROGRESS', 'ROLLBACK_COMPLETE', 'ROLLBACK_FAILED',
  'DELETE_IN_PROGRESS', 'DELETE_COMPLETE', 'DELETE_FAILED',
] as const;
export type StackStatus = (typeof STACK_STATUSES)[number];

export const STEP_STATUSES = ['PENDING', 'IN_PROGRESS', 'COMPLETE', 'FAILED', 'ROLLING_BACK', 'ROLLED_BACK', 'SKIPPED'] as const;
export type StepStatus = (typeof STEP_STATUSES)[number];

/** Statuses in which a stack's workflow is running: nothing else may start. */
export const BUSY_STATUSES: readonly StackStatus[] = ['CREATE_IN_PROGRESS', 'ROLLBACK_IN_PROGRESS', 'DELETE_IN_PROGRESS'];

/** Statuses after which the stack holds nothing in the customer's account. */
export const RELEASED_STATUSES: readonly StackStatus[] = ['ROLLBACK_COMPLETE', 'DELETE_COMPLETE'];

/** Allowed moves; anything else is a stale or reordered write and is refused. */
export const STACK_TRANSITIONS: Record<StackStatus, readonly StackStatus[]> = {
  CREATE_IN_PROGRESS: ['CREATE_COMPLETE', 'ROLLBACK_IN_PROGRESS'],
  CREATE_COMPLETE: ['DELETE_IN_PROGRESS'],
  ROLLBACK_IN_PROGRESS: ['ROLLBACK_COMPLETE', 'ROLLBACK_FAILED'],
  ROLLBACK_COMPLETE: ['DELETE_IN_PROGRESS'],
  ROLLBACK_FAILED: ['DELETE_IN_PROGRESS'],
  DELETE_IN_PROGRESS: ['DELETE_COMPLETE', 'DELETE_FAILED'],
  DELETE_COMPLETE: [],
  DELETE_FAILED: ['DELETE_IN_PROGRESS'],
};

export const STEP_TRANSITIONS: Record<StepStatus, readonly StepStatus[]> = {
  PENDING: ['IN_PROGRESS', 'SKIPPED', 'ROLLED_BACK', 'ROLLING_BACK', 'FAILED'],
  IN_PROGRESS: ['COMPLETE', 'FAILED', 'ROLLING_BACK', 'ROLLED_BACK'],
  // FAILED from COMPLETE: a teardown left it behind (its deletion failed or was blocked).
  COMPLETE: ['ROLLING_BACK', 'ROLLED_BACK', 'FAILED'],
  FAILED: ['ROLLING_BACK', 'ROLLED_BACK'],
  ROLLING_BACK: ['ROLLED_BACK', 'FAILED'],
  ROLLED_BACK: ['ROLLING_BACK'],
  SKIPPED: [],
};

/** Steps in these statuses hold nothing in the customer's account. */
export const GONE_STEP_STATUSES: readonly StepStatus[] = ['SKIPPED', 'ROLLED_BACK'];
