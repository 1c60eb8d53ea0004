import { stackApiFromEnv } from '../../src/stacks/stack-api-from-env';
import { getStackRoute } from '../../src/stacks/stack-routes';

const { service, options } = stackApiFromEnv();
export const handler = getStackRoute(service, options);
