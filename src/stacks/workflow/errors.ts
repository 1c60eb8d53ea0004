import { GroundworkError } from '../../errors';

/**
 * Errors a workflow step throws. Their names are what the state machines' Retry and Catch
 * match on (statemachines/*.asl.json): the first group is final, the second transient.
 */
abstract class WorkflowError extends GroundworkError {
  readonly status = 500;
  override readonly expose = false;
}

/** The component's CloudFormation stack failed: its resources, its template, or a missing input. */
export class ComponentFailedError extends WorkflowError {
  readonly code = 'component-failed';
}

/** The component did not reach a terminal status within its time. */
export class ComponentTimedOutError extends WorkflowError {
  readonly code = 'component-timed-out';
}

/** The customer's account refused us: the access role, or an action it does not allow. */
export class CustomerAccessDeniedError extends WorkflowError {
  readonly code = 'customer-access-denied';
}

/** The customer account's AWS APIs throttled or failed transiently: retried with backoff. */
export class CustomerApiThrottledError extends WorkflowError {
  readonly code = 'customer-api-throttled';
}

/** A component in another branch that this one needs has not finished yet: retried. */
export class DependencyNotReadyError extends WorkflowError {
  readonly code = 'dependency-not-ready';
}

export const FINAL_ERRORS = ['ComponentFailedError', 'ComponentTimedOutError', 'CustomerAccessDeniedError', 'StaleStackWriteError', 'StackNotFoundError'] as const;
export const TRANSIENT_ERRORS = [
  'CustomerApiThrottledError',
  'DependencyNotReadyError',
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
] as const;
