import { createServiceClients } from '../aws/clients';
import { createWorkflowClient } from '../aws/workflow-client';
import { loadEnv } from '../config/load-env';
import { stackReconcilerEnvSchema } from '../config/service-env';
import { createEventPublisher } from '../events/event-publisher';
import { createLogger, type Logger } from '../log/logger';
import { StackReconciler } from './stack-reconciler';
import { StackRecorder } from './stack-recorder';
import { DynamoDbStackStore } from './stack-store';

/** Built once per cold start by the stackExecutionEnded function. */
export function stackReconcilerFromEnv(env: NodeJS.ProcessEnv = process.env): { reconciler: StackReconciler; logger: Logger } {
  const config = loadEnv(stackReconcilerEnvSchema, env);
  const logger = createLogger({ level: config.LOG_LEVEL, fields: { service: 'groundwork-stack-reconciler' } });
  const clients = createServiceClients({ region: config.AWS_REGION });
  const store = new DynamoDbStackStore(clients.dynamo, config.TABLE_NAME);
  const reconciler = new StackReconciler({
    store,
    recorder: new StackRecorder(store, createEventPublisher(clients.events, config.EVENT_BUS_NAME), logger),
    sfn: createWorkflowClient({ region: config.AWS_REGION }),
    deleteStateMachineArn: config.DELETE_STATE_MACHINE_ARN,
    logger,
  });
  return { reconciler, logger };
}
