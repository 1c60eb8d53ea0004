import { ConflictError, GroundworkError, NotFoundError } from '../errors';

export class StackNotFoundError extends NotFoundError {
  override readonly code = 'stack-not-found';
  constructor(readonly stackId: string) {
    super(`No stack ${stackId}.`);
  }
}

export class AccountNotConnectedError extends ConflictError {
  override readonly code = 'account-not-connected';
  constructor(accountId: string, status: string) {
    super(`Account ${accountId} is ${status}; stacks can be created only in a CONNECTED account. Launch its onboarding stack first.`);
  }
}

export class StackNameTakenError extends ConflictError {
  override readonly code = 'stack-name-taken';
  constructor(name: string, existingStackId: string) {
    super(`A live stack named "${name}" already exists in this account and region (${existingStackId}).`);
  }
}

export class StackBusyError extends ConflictError {
  override readonly code = 'stack-busy';
  constructor(stackId: string, status: string) {
    super(`Stack ${stackId} is ${status}; wait until that operation ends.`);
  }
}

export class IdempotencyKeyReusedError extends GroundworkError {
  readonly status = 422;
  readonly code = 'idempotency-key-reused';
  constructor() {
    super('This Idempotency-Key was already used with a different request body. Use a new key for a new request.');
  }
}

/** A write found the stack in a state it does not move on from (a stale or reordered update). */
export class StaleStackWriteError extends GroundworkError {
  readonly status = 409;
  readonly code = 'stack-changed';
}
