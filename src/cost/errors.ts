import { GroundworkError } from '../errors';

/**
 * A request names an instance type or DB class the price table does not hold. 422: the request is
 * well formed (AWS may well offer that type) but we cannot estimate it, so we say which we can.
 */
export class UnknownPriceError extends GroundworkError {
  readonly status = 422;
  readonly code = 'unknown-price';

  constructor(
    /** The request field, by its JSON path: `compute.instanceType`, `database.instanceClass`. */
    readonly field: string,
    readonly value: string,
    readonly known: readonly string[],
  ) {
    super(`${field}: no price is known for ${value}; the price table holds ${known.join(', ')}.`);
  }
}
