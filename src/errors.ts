/**
 * The root of Groundwork's named errors. `status` is the HTTP status the API edge answers with
 * (problem+json); `expose` says whether the message is safe to show the caller. Internal errors
 * (anything not a GroundworkError) become a 500 with no detail.
 */
export abstract class GroundworkError extends Error {
  abstract readonly status: number;
  /** A stable, machine-readable code, used as the problem `type` suffix. */
  abstract readonly code: string;
  readonly expose: boolean = true;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** One invalid field of a request, named by its JSON path (`network.cidr`). */
export interface FieldError {
  field: string;
  message: string;
}

export class ValidationError extends GroundworkError {
  readonly status = 400;
  readonly code = 'validation-failed';
  constructor(readonly errors: FieldError[], message = 'The request is not valid.') {
    super(message);
  }
}

export class NotFoundError extends GroundworkError {
  readonly status = 404;
  readonly code: string = 'not-found';
}

export class ConflictError extends GroundworkError {
  readonly status = 409;
  readonly code: string = 'conflict';
}

/**
 * The tenant holds as many accounts or live stacks as its cap allows. A 409, not a 429: it is a
 * state of the tenant's data that waiting does not change, so a retry would fail again until the
 * tenant deletes something (decision 0011, L4).
 */
export class TenantLimitError extends ConflictError {
  override readonly code = 'tenant-limit';
  constructor(
    readonly counter: 'accounts' | 'liveStacks',
    readonly limit: number,
    readonly count: number,
  ) {
    const what = counter === 'accounts' ? 'accounts' : 'live stacks';
    const free = counter === 'accounts' ? 'Delete an account' : 'Delete a stack';
    super(`This tenant has ${count} ${what}; the cap is ${limit}. ${free} first, or ask the operator to raise the cap.`);
  }
}
