import { ConflictError, GroundworkError, NotFoundError, ValidationError } from '../errors';

/** Also what another tenant's account looks like: a 404, never a 403 that confirms it exists. */
export class AccountNotFoundError extends NotFoundError {
  override readonly code = 'account-not-found';
  constructor(readonly accountId: string) {
    super(`No account ${accountId}.`);
  }
}

export class AccountAlreadyRegisteredError extends ConflictError {
  override readonly code = 'account-already-registered';
  constructor(readonly awsAccountId: string, readonly existingAccountId: string) {
    super(`AWS account ${awsAccountId} is already registered as ${existingAccountId}. Use it, or delete it first.`);
  }
}

export class AccountHasLiveStacksError extends ConflictError {
  override readonly code = 'account-has-live-stacks';
  constructor(readonly accountId: string) {
    super(`Account ${accountId} still has stacks that are not deleted. Delete them first.`);
  }
}

/** A new registration link is only for an account whose connection ended, failed, or never came in time. */
export class RegistrationLinkRefusedError extends ConflictError {
  override readonly code = 'registration-link-refused';
  constructor(readonly accountId: string, readonly accountStatus: string) {
    super(`Account ${accountId} is ${accountStatus}: a new registration link is only given to an account that is REVOKED, FAILED, or AWAITING_CONNECTION with an expired link.`);
  }
}

/** A conditional write lost a race with another writer: re-read and decide again. */
export class ConcurrentModificationError extends GroundworkError {
  readonly status = 409;
  readonly code = 'concurrent-modification';
}

/**
 * A stack (or plan) in a region the account does not let Groundwork deploy to: the access role
 * would be refused there (the onboarding stack's AllowedRegions), so the request is, field by field.
 */
export class RegionNotAllowedError extends ValidationError {
  constructor(readonly accountId: string, readonly region: string, readonly allowed: readonly string[]) {
    super([{ field: 'region', message: `must be one of the regions account ${accountId} lets Groundwork deploy to: ${allowed.join(', ')} (not ${region})` }]);
  }
}
