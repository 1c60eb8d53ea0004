import { createServiceClients } from '../aws/clients';
import { loadEnv } from '../config/load-env';
import { accountsApiEnvSchema } from '../config/service-env';
import { createEventPublisher } from '../events/event-publisher';
import type { ApiHandlerOptions } from '../http/api-handler';
import { createLogger } from '../log/logger';
import { AccountService } from './account-service';
import { DynamoDbAccountStore } from './account-store';

/** Built once per cold start by each account function: the environment checked, the clients made. */
export function accountApiFromEnv(env: NodeJS.ProcessEnv = process.env): { service: AccountService; options: ApiHandlerOptions } {
  const config = loadEnv(accountsApiEnvSchema, env);
  const logger = createLogger({ level: config.LOG_LEVEL, fields: { service: 'groundwork-accounts' } });
  const clients = createServiceClients({ region: config.AWS_REGION });
  const service = new AccountService({
    store: new DynamoDbAccountStore(clients.dynamo, config.TABLE_NAME),
    events: createEventPublisher(clients.events, config.EVENT_BUS_NAME),
    onboarding: {
      templateUrl: config.ONBOARDING_TEMPLATE_URL,
      region: config.AWS_REGION,
      serviceRoleArn: config.SERVICE_ROLE_ARN,
      registrationTopicArn: config.REGISTRATION_TOPIC_ARN,
    },
    logger,
    maxAccountsPerTenant: config.MAX_ACCOUNTS_PER_TENANT,
  });
  return { service, options: { logger, tenantClaim: config.TENANT_CLAIM } };
}
