import { stackApiContext } from '../../src/stacks/stack-api-context';
import { getStackRoute } from '../../src/stacks/stack-routes';

const { service, options } = stackApiContext();
export const handler = getStackRoute(service, options);
