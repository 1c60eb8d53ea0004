import { createTableClient } from '../../aws/clients';
import { createQueueClient } from '../../aws/queue-client';
import { loadEnv } from '../../config/load-env';
import { onboardingCallbackEnvSchema } from '../../config/service-env';
import { createLogger } from '../../log/logger';
import { createCloudFormationAnswerer } from './answer-cloudformation';
import { cloudFormationResponseUrlPattern } from './cloudformation-response-url';
import { onboardingCallbackHandler } from './onboarding-callback-handler';
import { DynamoDbRegistrationBindingReader } from './registration-binding';
import { DynamoDbRegistrationRequestStore } from './registration-request-store';
import { sqsWorkQueue } from './registration-work';

/** Time kept back from the Lambda deadline: the answer to CloudFormation, and recording a failure. */
export const ANSWER_RESERVE_MS = 5000;

/**
 * The first stage of the onboarding callback, built once per cold start: the table (the binding
 * without the ExternalId, the request records) and the registration queue. No STS, no event bus.
 */
export function onboardingCallbackFromEnv(env: NodeJS.ProcessEnv = process.env) {
  const config = loadEnv(onboardingCallbackEnvSchema, env);
  const log = createLogger({ level: config.LOG_LEVEL, fields: { service: 'groundwork-onboarding-callback' } });
  const dynamo = createTableClient({ region: config.AWS_REGION });
  return onboardingCallbackHandler({
    requests: new DynamoDbRegistrationRequestStore(dynamo, config.TABLE_NAME),
    bindings: new DynamoDbRegistrationBindingReader(dynamo, config.TABLE_NAME),
    handOver: sqsWorkQueue(createQueueClient({ region: config.AWS_REGION }), config.REGISTRATION_QUEUE_URL),
    answer: createCloudFormationAnswerer(log),
    logger: log,
    answerReserveMs: ANSWER_RESERVE_MS,
    staleClaimMs: config.FUNCTION_TIMEOUT_SECONDS * 1000,
    responseUrlPattern: config.CFN_RESPONSE_URL_PATTERN ? new RegExp(config.CFN_RESPONSE_URL_PATTERN) : cloudFormationResponseUrlPattern(config.AWS_REGION),
  });
}
