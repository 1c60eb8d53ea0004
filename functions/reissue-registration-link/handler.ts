import { accountApiFromEnv } from '../../src/accounts/account-api-from-env';
import { reissueRegistrationLinkRoute } from '../../src/accounts/account-routes';

const { service, options } = accountApiFromEnv();
export const handler = reissueRegistrationLinkRoute(service, options);
