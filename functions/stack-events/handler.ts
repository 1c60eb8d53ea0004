import { stackApiFromEnv } from '../../src/stacks/stack-api-from-env';
import { stackEventsRoute } from '../../src/stacks/stack-routes';

const { service, options } = stackApiFromEnv();
export const handler = stackEventsRoute(service, options);
