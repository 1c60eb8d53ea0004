import { accountApiContext } from '../../src/accounts/account-api-context';
import { getAccountRoute } from '../../src/accounts/account-routes';

const { service, options } = accountApiContext();
export const handler = getAccountRoute(service, options);
