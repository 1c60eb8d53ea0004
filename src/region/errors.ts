import { ConflictError } from '../errors';

/**
 * The customer's access role may not read what its region offers: the account's onboarding stack
 * predates the region checks, or was changed. A 409: a state of the account that the customer fixes
 * by updating the GroundworkOnboarding stack, not a fault of the request or of Groundwork.
 */
export class RegionUnreadableError extends ConflictError {
  override readonly code = 'region-unreadable';
  constructor(
    readonly action: string,
    options?: { cause?: unknown },
  ) {
    super(
      `Groundwork could not read the account's region: ${action} was refused. It needs the account's access role to choose the stack's availability zones and check its versions. ` +
        'Update the GroundworkOnboarding stack to the current onboarding template (GET /v1/accounts/{id} links to it), or reconnect the account.',
      options,
    );
  }
}
