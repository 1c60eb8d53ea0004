import { ConflictError, GroundworkError, ValidationError } from '../errors';

/**
 * The network planner's named errors. Conflicts are 409 (the caller can fix them by choosing
 * another block or deleting stacks); malformed input is a 400 naming the field.
 */

/** A requested VPC block overlaps a block already used by the tenant in that account and region. */
export class CidrOverlapError extends ConflictError {
  override readonly code = 'cidr-overlap';

  constructor(
    readonly requested: string,
    readonly overlapping: readonly string[],
  ) {
    super(
      `${requested} overlaps ${overlapping.join(', ')}, already used by another stack of this tenant in this account and region; ` +
        'choose a block that does not overlap, or leave network.cidr out to have one allocated.',
    );
  }
}

/** No aligned block of the asked size is free in the allocation range. */
export class CidrExhaustedError extends ConflictError {
  override readonly code = 'cidr-exhausted';

  constructor(
    readonly range: string,
    readonly prefixLength: number,
    /** How many blocks of that size the range holds in all. */
    readonly capacity: number,
  ) {
    super(
      `No free /${prefixLength} is left in ${range}: it holds ${capacity} block${capacity === 1 ? '' : 's'} of that size ` +
        'and the stacks of this tenant in this account and region already use or overlap all of them. ' +
        'Deleting stacks frees their blocks; a smaller block (a longer prefix, up to /20) may still fit.',
    );
  }
}

/** A CIDR given by the caller is malformed, of a size we do not plan for, or not on its block boundary. */
export class InvalidCidrError extends ValidationError {
  constructor(
    readonly field: string,
    readonly cidr: string,
    reason: string,
  ) {
    super([{ field, message: `${cidr} ${reason}` }], `${field}: ${cidr} ${reason}`);
  }
}

/**
 * A block recorded for an existing stack does not parse. That is our data gone wrong, not the
 * caller's request, so it is a 500 whose detail stays in the logs.
 */
export class StoredCidrInvalidError extends GroundworkError {
  readonly status = 500;
  readonly code = 'stored-cidr-invalid';
  override readonly expose = false;

  constructor(
    readonly cidr: string,
    options?: { cause?: unknown },
  ) {
    super(`A stored stack CIDR does not parse: ${JSON.stringify(cidr)}`, options);
  }
}
