import { accountApiContext } from '../../src/accounts/account-api-context';
import { deleteAccountRoute } from '../../src/accounts/account-routes';

const { service, options } = accountApiContext();
export const handler = deleteAccountRoute(service, options);
