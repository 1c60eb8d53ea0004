import { DynamoDbAccountStore } from '../../accounts/account-store';
import { createServiceClients } from '../../aws/clients';
import { createServiceRoleSts } from '../../aws/service-role-sts';
import { customerCloudFormationFactory } from '../../aws/customer-clients';
import { loadEnv } from '../../config/load-env';
import { stackWorkflowEnvSchema } from '../../config/service-env';
import { createEventPublisher } from '../../events/event-publisher';
import { createLogger } from '../../log/logger';
import { StackRecorder } from '../stack-recorder';
import { DynamoDbStackStore } from '../stack-store';
import { createStackWorkflow } from './stack-workflow';

/** The workflow Lambda's step handler, wired once per cold start from its environment: its own store, recorder, account lookup and customer CloudFormation. */
export function stackWorkflowFromEnv(env: NodeJS.ProcessEnv = process.env) {
  const config = loadEnv(stackWorkflowEnvSchema, env);
  const logger = createLogger({ level: config.LOG_LEVEL, fields: { service: 'groundwork-stack-workflow' } });
  const clients = createServiceClients({ region: config.AWS_REGION });
  const store = new DynamoDbStackStore(clients.dynamo, config.TABLE_NAME);
  return createStackWorkflow({
    recorder: new StackRecorder(store, createEventPublisher(clients.events, config.EVENT_BUS_NAME), logger),
    accounts: new DynamoDbAccountStore(clients.dynamo, config.TABLE_NAME),
    cloudFormation: customerCloudFormationFactory(createServiceRoleSts({ region: config.AWS_REGION, serviceRoleArn: config.SERVICE_ROLE_ARN })),
    logger,
  });
}
