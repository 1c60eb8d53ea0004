import { accountApiContext } from '../../src/accounts/account-api-context';
import { createAccountRoute } from '../../src/accounts/account-routes';

const { service, options } = accountApiContext();
export const handler = createAccountRoute(service, options);
