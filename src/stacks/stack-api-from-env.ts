import { accountLookup } from '../accounts/account-lookup';
import { DynamoDbAccountStore } from '../accounts/account-store';
import { createServiceClients } from '../aws/clients';
import { createWorkflowClient } from '../aws/workflow-client';
import { loadEnv } from '../config/load-env';
import { stacksApiEnvSchema } from '../config/service-env';
import { createEventPublisher } from '../events/event-publisher';
import type { ApiHandlerOptions } from '../http/api-handler';
import { createLogger } from '../log/logger';
import { StackRecorder } from './stack-recorder';
import { StackService, type StackServiceDeps } from './stack-service';
import { DynamoDbStackStore } from './stack-store';

/** Built once per cold start by each stack API function: its environment checked, its clients made. */
export function stackApiFromEnv(env: NodeJS.ProcessEnv = process.env, more: Pick<StackServiceDeps, 'regions' | 'workloads'> = {}): { service: StackService; options: ApiHandlerOptions } {
  const config = loadEnv(stacksApiEnvSchema, env);
  const logger = createLogger({ level: config.LOG_LEVEL, fields: { service: 'groundwork-stacks' } });
  const clients = createServiceClients({ region: config.AWS_REGION });
  const store = new DynamoDbStackStore(clients.dynamo, config.TABLE_NAME);
  const service = new StackService({
    store,
    recorder: new StackRecorder(store, createEventPublisher(clients.events, config.EVENT_BUS_NAME), logger),
    accounts: accountLookup(new DynamoDbAccountStore(clients.dynamo, config.TABLE_NAME)),
    sfn: createWorkflowClient({ region: config.AWS_REGION }),
    provisionStateMachineArn: config.PROVISION_STATE_MACHINE_ARN,
    deleteStateMachineArn: config.DELETE_STATE_MACHINE_ARN,
    logger,
    maxLiveStacksPerTenant: config.MAX_LIVE_STACKS_PER_TENANT,
    ...more,
  });
  return { service, options: { logger, tenantClaim: config.TENANT_CLAIM } };
}
