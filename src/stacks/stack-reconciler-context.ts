import { z } from 'zod/v3';
import { createServiceClients } from '../aws/clients';
import { createWorkflowClient } from '../aws/workflow-client';
import { loadEnv } from '../config/load-env';
import { stackReconcilerEnvSchema } from '../config/service-env';
import { createEventPublisher } from '../events/event-publisher';
import { createLogger, type Logger } from '../log/logger';
import { StackReconciler, type Reconciled } from './stack-reconciler';
import { StackRecorder } from './stack-recorder';
import { DynamoDbStackStore } from './stack-store';

/** The part of a "Step Functions Execution Status Change" event the reconciler reads. */
const executionStatusChangeSchema = z.object({
  source: z.literal('aws.states'),
  'detail-type': z.literal('Step Functions Execution Status Change'),
  detail: z.object({
    name: z.string(),
    status: z.enum(['FAILED', 'TIMED_OUT', 'ABORTED']),
    input: z.string().nullish(),
    error: z.string().nullish(),
  }),
});

/** EventBridge → the reconciler. A malformed event is logged and dropped (a retry would not mend it). */
export function executionEndedHandler(reconciler: StackReconciler, logger: Logger) {
  return async (event: unknown): Promise<Reconciled> => {
    const parsed = executionStatusChangeSchema.safeParse(event);
    if (!parsed.success) {
      logger.warn('not an execution status change this function handles; dropped', { issues: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`) });
      return 'ignored';
    }
    const { name, status, input, error } = parsed.data.detail;
    return reconciler.executionEnded({ executionName: name, status, input: input ?? '', ...(error ? { error } : {}) });
  };
}

/** Built once per cold start. */
export function stackExecutionEndedFromEnv(env: NodeJS.ProcessEnv = process.env) {
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
  return executionEndedHandler(reconciler, logger);
}
