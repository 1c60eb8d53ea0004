/**
 * An error an AWS API answers with: its code (`ExecutionAlreadyExists`, `NotFound`, …) is its
 * name, as the AWS SDK names the exceptions it throws, so in-process callers (the sandbox's
 * hooks) and SDK callers over HTTP see the same name. The edge turns it into the protocol's
 * error shape; anything else thrown by a service becomes an InternalFailure that hides details.
 */
export class AwsServiceError extends Error {
  /** Whether the caller (Sender) or the service (Receiver) is at fault, as the query protocol says. */
  readonly fault: 'Sender' | 'Receiver';

  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
    options: { cause?: unknown; fault?: 'Sender' | 'Receiver' } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = code;
    this.fault = options.fault ?? (status >= 500 ? 'Receiver' : 'Sender');
  }
}

/** The edge was started with options it must refuse (e.g. a host that is not the loopback). */
export class EdgeConfigurationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EdgeConfigurationError';
  }
}
