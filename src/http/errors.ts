import { GroundworkError } from '../errors';

export class UnauthorizedError extends GroundworkError {
  readonly status = 401;
  readonly code = 'unauthorized';
}

export class ForbiddenError extends GroundworkError {
  readonly status = 403;
  readonly code = 'forbidden';
}

export class PayloadTooLargeError extends GroundworkError {
  readonly status = 413;
  readonly code = 'payload-too-large';
}

export class UnsupportedMediaTypeError extends GroundworkError {
  readonly status = 415;
  readonly code = 'unsupported-media-type';
}
