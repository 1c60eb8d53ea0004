import { SQSClient } from '@aws-sdk/client-sqs';
import { clientConfig, type ClientOptions } from './clients';

/** SQS, for the functions that hand work to another (the onboarding callback's two stages). */
export function createQueueClient(options: ClientOptions): SQSClient {
  return new SQSClient(clientConfig(options));
}
