import { deleteStackApiFromEnv } from '../../src/stacks/delete-stack-api-from-env';
import { deleteStackRoute } from '../../src/stacks/stack-routes';

const { service, options } = deleteStackApiFromEnv();
export const handler = deleteStackRoute(service, options);
