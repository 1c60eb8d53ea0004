import { stackApiFromEnv } from '../../src/stacks/stack-api-from-env';
import { listStacksRoute } from '../../src/stacks/stack-routes';

const { service, options } = stackApiFromEnv();
export const handler = listStacksRoute(service, options);
