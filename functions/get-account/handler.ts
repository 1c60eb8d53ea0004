import { accountApiFromEnv } from '../../src/accounts/account-api-from-env';
import { getAccountRoute } from '../../src/accounts/account-routes';

const { service, options } = accountApiFromEnv();
export const handler = getAccountRoute(service, options);
