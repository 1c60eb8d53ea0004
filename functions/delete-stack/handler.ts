import { stackApiContext } from '../../src/stacks/stack-api-context';
import { deleteStackRoute } from '../../src/stacks/stack-routes';

const { service, options } = stackApiContext();
export const handler = deleteStackRoute(service, options);
