/** The local Step Functions' own errors (what it answers callers is an AwsServiceError, local/edge/errors.ts). */

/** Step Functions' state file exists but cannot be read: refused rather than silently replaced. */
export class StateFileError extends Error {
  constructor(file: string, cause: unknown) {
    super(`Cannot read the Step Functions state file ${file}; move it away to start afresh`, { cause });
    this.name = 'StateFileError';
  }
}
