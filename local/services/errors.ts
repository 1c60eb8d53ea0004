/** The local AWS services' own errors (what they answer callers is an AwsServiceError, local/edge/errors.ts). */

/** An EventBridge rule's pattern that EventBridge's PutRule would refuse; named as its error is. */
export class InvalidEventPatternError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidEventPatternException';
  }
}
