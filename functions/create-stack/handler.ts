import { createStackApiFromEnv } from '../../src/stacks/create-stack-api-from-env';
import { createStackRoute } from '../../src/stacks/stack-routes';

const { service, options } = createStackApiFromEnv();
export const handler = createStackRoute(service, options);
