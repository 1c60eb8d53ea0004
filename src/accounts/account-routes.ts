// zod/mini, as a namespace: the tree-shakable zod 4 (docs/decisions/0008).
import * as z from 'zod/mini';
import { apiHandler, type ApiHandlerOptions } from '../http/api-handler';
import { parseInput } from '../http/parse-input';
import { toAccountView } from './account';
import { listQuerySchema } from '../http/list-query';
import type { AccountService } from './account-service';
import { createAccountInputSchema } from './create-account-input';

/** The account routes: parse, call the service, map the result. Nothing else. */
const accountIdSchema = z.object({ id: z.string().check(z.regex(/^acc_[a-z0-9]{20}$/, 'must be an account id (acc_…)')) });

export function createAccountRoute(service: AccountService, options: ApiHandlerOptions) {
  return apiHandler(options, async (request) => {
    const input = parseInput(createAccountInputSchema, request.body ?? {});
    const created = await service.create(request.tenantId, input);
    return { status: 201, body: created, headers: { location: `/v1/accounts/${created.id}` } };
  });
}

export function listAccountsRoute(service: AccountService, options: ApiHandlerOptions) {
  return apiHandler(options, async (request) => {
    const query = parseInput(listQuerySchema, request.query);
    return { status: 200, body: await service.list(request.tenantId, query) };
  });
}

export function getAccountRoute(service: AccountService, options: ApiHandlerOptions) {
  return apiHandler(options, async (request) => {
    const { id } = parseInput(accountIdSchema, request.pathParameters);
    return { status: 200, body: toAccountView(await service.get(request.tenantId, id)) };
  });
}

export function deleteAccountRoute(service: AccountService, options: ApiHandlerOptions) {
  return apiHandler(options, async (request) => {
    const { id } = parseInput(accountIdSchema, request.pathParameters);
    await service.delete(request.tenantId, id);
    return { status: 204 };
  });
}

/** 200, not 201: the account exists already; the answer is the same onboarding as its creation's. */
export function reissueRegistrationLinkRoute(service: AccountService, options: ApiHandlerOptions) {
  return apiHandler(options, async (request) => {
    const { id } = parseInput(accountIdSchema, request.pathParameters);
    return { status: 200, body: await service.reissueRegistrationLink(request.tenantId, id) };
  });
}
