import { stackApiContext } from '../../src/stacks/stack-api-context';
import { createStackRoute } from '../../src/stacks/stack-routes';

const { service, options } = stackApiContext();
export const handler = createStackRoute(service, options);
