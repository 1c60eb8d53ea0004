import { stackApiFromEnv } from '../../src/stacks/stack-api-from-env';
import { deleteStackRoute } from '../../src/stacks/stack-routes';

const { service, options } = stackApiFromEnv();
export const handler = deleteStackRoute(service, options);
