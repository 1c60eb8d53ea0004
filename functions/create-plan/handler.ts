import { planApiFromEnv } from '../../src/plans/plan-api-from-env';
import { createPlanRoute } from '../../src/plans/plan-routes';

const { accounts, cidrs, regions, options } = planApiFromEnv();
export const handler = createPlanRoute({ accounts, cidrs, regions }, options);
