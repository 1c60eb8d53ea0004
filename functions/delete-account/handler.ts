import { accountApiFromEnv } from '../../src/accounts/account-api-from-env';
import { deleteAccountRoute } from '../../src/accounts/account-routes';

const { service, options } = accountApiFromEnv();
export const handler = deleteAccountRoute(service, options);
