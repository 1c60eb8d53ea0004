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

/** ECS services the customer runs in the stack's cluster: deleting it under them would fail half-way (D9). */
export class StackHasWorkloadsError extends ConflictError {
  override readonly code = 'stack-has-workloads';
  constructor(
    stackId: string,
    /** ARNs of the ECS services in the stack's cluster. */
    readonly services: readonly string[],
    /** Ids of the instances in the stack's Cloud Map service. */
    readonly cloudMapInstances: readonly string[] = [],
  ) {
    const found = [
      ...(services.length > 0 ? [`ECS services in its cluster: ${services.map((arn) => arn.split('/').at(-1) ?? arn).join(', ')}`] : []),
      ...(cloudMapInstances.length > 0 ? [`instances in its Cloud Map service: ${cloudMapInstances.join(', ')}`] : []),
    ];
    super(
      `Stack ${stackId} still has workloads Groundwork did not create: ${found.join('; ')}. ` +
        'Delete them (and anything they registered) first: Groundwork does not delete what it did not create, and ECS and Cloud Map refuse to delete a cluster or service still in use.',
    );
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
