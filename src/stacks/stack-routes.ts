// zod 4 as zod/mini, imported as a namespace: it tree-shakes (~12 KB; `import { z }` pulls in every locale).
import * as z from 'zod/mini';
import { listQuerySchema } from '../http/list-query';
import { apiHandler, type ApiHandlerOptions } from '../http/api-handler';
import { parseInput } from '../http/parse-input';
import { stackView } from './stack';
import { stackRequestSchema } from '../model/stack-request';
import type { StackService } from './stack-service';

/** The stack routes: parse, call the service, map the result. */
const stackIdSchema = z.object({ id: z.string().check(z.regex(/^stk-[a-z0-9]{20}$/, 'must be a stack id (stk-…)')) });

export function createStackRoute(service: StackService, options: ApiHandlerOptions) {
  return apiHandler(options, async (request) => {
    const stackRequest = parseInput(stackRequestSchema, request.body ?? {});
    const created = await service.create(request.tenantId, stackRequest, request.headers['idempotency-key']);
    return { status: 202, body: created, headers: { location: `/v1/stacks/${created.id}` } };
  });
}

export function listStacksRoute(service: StackService, options: ApiHandlerOptions) {
  return apiHandler(options, async (request) => ({ status: 200, body: await service.list(request.tenantId, parseInput(listQuerySchema, request.query)) }));
}

export function getStackRoute(service: StackService, options: ApiHandlerOptions) {
  return apiHandler(options, async (request) => {
    const { id } = parseInput(stackIdSchema, request.pathParameters);
    return { status: 200, body: stackView(await service.get(request.tenantId, id)) };
  });
}

export function stackEventsRoute(service: StackService, options: ApiHandlerOptions) {
  return apiHandler(options, async (request) => {
    const { id } = parseInput(stackIdSchema, request.pathParameters);
    return { status: 200, body: await service.events(request.tenantId, id, parseInput(listQuerySchema, request.query)) };
  });
}

export function deleteStackRoute(service: StackService, options: ApiHandlerOptions) {
  return apiHandler(options, async (request) => {
    const { id } = parseInput(stackIdSchema, request.pathParameters);
    return { status: 202, body: await service.delete(request.tenantId, id) };
  });
}
