import { accountApiContext } from '../../src/accounts/account-api-context';
import { listAccountsRoute } from '../../src/accounts/account-routes';

const { service, options } = accountApiContext();
export const handler = listAccountsRoute(service, options);
