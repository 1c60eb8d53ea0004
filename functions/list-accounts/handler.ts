import { accountApiFromEnv } from '../../src/accounts/account-api-from-env';
import { listAccountsRoute } from '../../src/accounts/account-routes';

const { service, options } = accountApiFromEnv();
export const handler = listAccountsRoute(service, options);
