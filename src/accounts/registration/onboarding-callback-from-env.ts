import { createServiceClients } from '../../aws/clients';
import { createServiceRoleSts } from '../../aws/service-role-sts';
import { loadEnv } from '../../config/load-env';
import { onboardingCallbackEnvSchema } from '../../config/service-env';
import { createEventPublisher } from '../../events/event-publisher';
import { createLogger } from '../../log/logger';
import { DynamoDbAccountStore } from '../account-store';
import { createCloudFormationAnswerer } from './answer-cloudformation';
import { cloudFormationResponseUrlPattern } from './cloudformation-response-url';
import { onboardingCallbackHandler } from './onboarding-callback-handler';
import { createStsRoleProver } from './prove-access-role';
import { DynamoDbRegistrationRequestStore } from './registration-request-store';

/** Time kept back from the Lambda deadline: the answer to CloudFormation, and recording a failure. */
export const ANSWER_RESERVE_MS = 5000;

/** The onboarding callback, built once per cold start: the environment checked, the clients made. */
export function onboardingCallbackFromEnv(env: NodeJS.ProcessEnv = process.env) {
  const config = loadEnv(onboardingCallbackEnvSchema, env);
  const log = createLogger({ level: config.LOG_LEVEL, fields: { service: 'groundwork-onboarding-callback' } });
  const clients = createServiceClients({ region: config.AWS_REGION });
  return onboardingCallbackHandler({
    accounts: new DynamoDbAccountStore(clients.dynamo, config.TABLE_NAME),
    requests: new DynamoDbRegistrationRequestStore(clients.dynamo, config.TABLE_NAME),
    prover: createStsRoleProver(createServiceRoleSts({ region: config.AWS_REGION, serviceRoleArn: config.SERVICE_ROLE_ARN }), { propagationRetryMs: config.ROLE_PROPAGATION_RETRY_SECONDS * 1000, retryIntervalMs: 2000 }),
    events: createEventPublisher(clients.events, config.EVENT_BUS_NAME),
    answer: createCloudFormationAnswerer(log),
    logger: log,
    answerReserveMs: ANSWER_RESERVE_MS,
    staleClaimMs: config.FUNCTION_TIMEOUT_SECONDS * 1000,
    responseUrlPattern: config.CFN_RESPONSE_URL_PATTERN ? new RegExp(config.CFN_RESPONSE_URL_PATTERN) : cloudFormationResponseUrlPattern(config.AWS_REGION),
  });
}
