import { SFNClient } from '@aws-sdk/client-sfn';
import { clientConfig, type ClientOptions } from './clients';

/** Step Functions, for the API functions that start workflow executions. */
export function createWorkflowClient(options: ClientOptions = {}): SFNClient {
  return new SFNClient(clientConfig(options));
}
