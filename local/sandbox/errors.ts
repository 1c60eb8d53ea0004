/**
 * Errors of the sandbox account. An AwsApiError is what an AWS API answers: a code the SDK turns
 * into the error's `name`, an HTTP status, and whether the caller (Sender) or the service
 * (Receiver) is at fault. Everything else thrown inside the sandbox is a bug and is answered as
 * InternalFailure without details.
 */
export class AwsApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
    readonly type: 'Sender' | 'Receiver' = status >= 500 ? 'Receiver' : 'Sender',
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'AwsApiError';
  }
}

export class ValidationError extends AwsApiError {
  constructor(message: string) {
    super('ValidationError', message, 400);
    this.name = 'ValidationError';
  }
}

export class AccessDeniedError extends AwsApiError {
  constructor(message: string) {
    super('AccessDenied', message, 403);
    this.name = 'AccessDeniedError';
  }
}

/** A template value the evaluator cannot work out (an unsupported function, a missing attribute). */
export class TemplateResolutionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TemplateResolutionError';
  }
}

/** The state file cannot be read as the sandbox's state. */
export class StateFileError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StateFileError';
  }
}
