import { stackWorkloadsFactory } from '../aws/customer-workload-clients';
import { createServiceRoleSts } from '../aws/service-role-sts';
import { loadEnv } from '../config/load-env';
import { stacksApiEnvSchema } from '../config/service-env';
import { stackApiFromEnv } from './stack-api-from-env';

/**
 * The stack-deleting function's composition root: the stack API's, plus the ECS read a teardown
 * starts with (the services in the stack's cluster, through the access role, assumed by the service
 * role). Kept apart so the other stack functions' bundles carry no ECS client.
 */
export function deleteStackApiFromEnv(env: NodeJS.ProcessEnv = process.env): ReturnType<typeof stackApiFromEnv> {
  const config = loadEnv(stacksApiEnvSchema, env);
  const workloads = stackWorkloadsFactory(createServiceRoleSts({ region: config.AWS_REGION, serviceRoleArn: config.SERVICE_ROLE_ARN }));
  return stackApiFromEnv(env, { workloads });
}
