import { customerRegionClientsFactory } from '../aws/customer-region-clients';
import { createServiceRoleSts } from '../aws/service-role-sts';
import { loadEnv } from '../config/load-env';
import { stacksApiEnvSchema } from '../config/service-env';
import { awsRegionOfferFor } from '../region/region-offer';
import { stackApiFromEnv } from './stack-api-from-env';

/**
 * The stack-creating function's composition root: the stack API's, plus what creation alone reads
 * of a customer's region (EC2 and RDS through the access role, assumed by the service role). Kept
 * apart so the other stack functions' bundles carry no EC2 or RDS client.
 */
export function createStackApiFromEnv(env: NodeJS.ProcessEnv = process.env): ReturnType<typeof stackApiFromEnv> {
  const config = loadEnv(stacksApiEnvSchema, env);
  const regions = awsRegionOfferFor(customerRegionClientsFactory(createServiceRoleSts({ region: config.AWS_REGION, serviceRoleArn: config.SERVICE_ROLE_ARN })));
  return stackApiFromEnv(env, { regions });
}
