/** The local AWS services' own errors (what they answer callers is an AwsServiceError, local/edge/errors.ts). */

/** Step Functions' state file exists but cannot be read: refused rather than silently replaced. */
export class StateFileError extends Error {
  constructor(file: string, cause: unknown) {
    super(`Cannot read the Step Functions state file ${file}; move it away to start afresh`, { cause });
    this.name = 'StateFileError';
  }
}

/** An EventBridge rule's pattern that EventBridge's PutRule would refuse; named as its error is. */
export class InvalidEventPatternError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidEventPatternException';
  }
}
