import { accountApiFromEnv } from '../../src/accounts/account-api-from-env';
import { createAccountRoute } from '../../src/accounts/account-routes';

const { service, options } = accountApiFromEnv();
export const handler = createAccountRoute(service, options);
