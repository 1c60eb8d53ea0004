import { accountApiContext } from '../../src/accounts/account-api-context';
import { createPlanRoute } from '../../src/plans/plan-routes';

const { service, cidrs, options } = accountApiContext();
export const handler = createPlanRoute({ accounts: service, cidrs }, options);
