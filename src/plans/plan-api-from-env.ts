import { accountLookup, type AccountLookup } from '../accounts/account-lookup';
import { DynamoDbAccountStore } from '../accounts/account-store';
import { createTableClient } from '../aws/clients';
import { customerRegionClientsFactory } from '../aws/customer-region-clients';
import { createServiceRoleSts } from '../aws/service-role-sts';
import { loadEnv } from '../config/load-env';
import { plansApiEnvSchema } from '../config/service-env';
import type { ApiHandlerOptions } from '../http/api-handler';
import { createLogger } from '../log/logger';
import { DynamoDbCidrRegistry, type CidrRegistry } from '../network/cidr-registry';
import { awsRegionOfferFor, type RegionOfferFor } from '../region/region-offer';

/** Built once per cold start by the plan function: a tenant's accounts and VPC blocks, read-only, and what their regions offer. */
export function planApiFromEnv(env: NodeJS.ProcessEnv = process.env): { accounts: AccountLookup; cidrs: CidrRegistry; regions: RegionOfferFor; options: ApiHandlerOptions } {
  const config = loadEnv(plansApiEnvSchema, env);
  const logger = createLogger({ level: config.LOG_LEVEL, fields: { service: 'groundwork-plans' } });
  // A plan announces nothing: the table alone, no EventBridge client.
  const dynamo = createTableClient({ region: config.AWS_REGION });
  return {
    accounts: accountLookup(new DynamoDbAccountStore(dynamo, config.TABLE_NAME)),
    cidrs: new DynamoDbCidrRegistry(dynamo, config.TABLE_NAME),
    regions: awsRegionOfferFor(customerRegionClientsFactory(createServiceRoleSts({ region: config.AWS_REGION, serviceRoleArn: config.SERVICE_ROLE_ARN }))),
    options: { logger, tenantClaim: config.TENANT_CLAIM },
  };
}
