import { createServiceClients } from '../../aws/clients';
import { createQueueClient } from '../../aws/queue-client';
import { createServiceRoleSts } from '../../aws/service-role-sts';
import { loadEnv } from '../../config/load-env';
import { onboardingWorkerEnvSchema } from '../../config/service-env';
import { createEventPublisher } from '../../events/event-publisher';
import { createLogger } from '../../log/logger';
import { DynamoDbAccountStore } from '../account-store';
import { createCloudFormationAnswerer } from './answer-cloudformation';
import { cloudFormationResponseUrlPattern } from './cloudformation-response-url';
import { ANSWER_RESERVE_MS } from './onboarding-callback-from-env';
import { onboardingWorkerHandler } from './onboarding-worker-handler';
import { createStsRoleProver } from './prove-access-role';
import { DynamoDbRegistrationRequestStore } from './registration-request-store';
import { sqsWorkQueue } from './registration-work';
import { REVOCATION_POLICY } from './revocation-check';

/** The onboarding worker, built once per cold start: the environment checked, the clients made. */
export function onboardingWorkerFromEnv(env: NodeJS.ProcessEnv = process.env) {
  const config = loadEnv(onboardingWorkerEnvSchema, env);
  const log = createLogger({ level: config.LOG_LEVEL, fields: { service: 'groundwork-onboarding-worker' } });
  const clients = createServiceClients({ region: config.AWS_REGION });
  return onboardingWorkerHandler({
    accounts: new DynamoDbAccountStore(clients.dynamo, config.TABLE_NAME),
    requests: new DynamoDbRegistrationRequestStore(clients.dynamo, config.TABLE_NAME),
    prover: createStsRoleProver(createServiceRoleSts({ region: config.AWS_REGION, serviceRoleArn: config.SERVICE_ROLE_ARN }), { propagationRetryMs: config.ROLE_PROPAGATION_RETRY_SECONDS * 1000, retryIntervalMs: 2000 }),
    events: createEventPublisher(clients.events, config.EVENT_BUS_NAME),
    revocationChecks: sqsWorkQueue(createQueueClient({ region: config.AWS_REGION }), config.REVOCATION_QUEUE_URL),
    revocationPolicy: REVOCATION_POLICY,
    answer: createCloudFormationAnswerer(log),
    logger: log,
    answerReserveMs: ANSWER_RESERVE_MS,
    staleClaimMs: config.FUNCTION_TIMEOUT_SECONDS * 1000,
    responseUrlPattern: config.CFN_RESPONSE_URL_PATTERN ? new RegExp(config.CFN_RESPONSE_URL_PATTERN) : cloudFormationResponseUrlPattern(config.AWS_REGION),
  });
}
