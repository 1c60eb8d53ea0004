import { accountApiFromEnv } from '../../src/accounts/account-api-from-env';
import { createPlanRoute } from '../../src/plans/plan-routes';

const { service, cidrs, options } = accountApiFromEnv();
export const handler = createPlanRoute({ accounts: service, cidrs }, options);
