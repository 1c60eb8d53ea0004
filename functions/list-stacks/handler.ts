import { stackApiContext } from '../../src/stacks/stack-api-context';
import { listStacksRoute } from '../../src/stacks/stack-routes';

const { service, options } = stackApiContext();
export const handler = listStacksRoute(service, options);
