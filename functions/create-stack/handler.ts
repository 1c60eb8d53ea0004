import { stackApiFromEnv } from '../../src/stacks/stack-api-from-env';
import { createStackRoute } from '../../src/stacks/stack-routes';

const { service, options } = stackApiFromEnv();
export const handler = createStackRoute(service, options);
