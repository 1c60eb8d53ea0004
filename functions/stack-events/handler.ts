import { stackApiContext } from '../../src/stacks/stack-api-context';
import { stackEventsRoute } from '../../src/stacks/stack-routes';

const { service, options } = stackApiContext();
export const handler = stackEventsRoute(service, options);
