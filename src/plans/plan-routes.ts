import { assertRegionAllowed } from '../accounts/account';
import type { AccountLookup } from '../accounts/account-lookup';
import { apiHandler, type ApiHandlerOptions } from '../http/api-handler';
import { parseInput } from '../http/parse-input';
import type { CidrRegistry } from '../network/cidr-registry';
import { stackRequestSchema } from '../model/stack-request';
import { planStack } from './plan-stack';

/** The id plans use in stack names and tags; a created stack gets its own. */
export const PLAN_STACK_ID = 'plan';

/** POST /v1/plans: a dry run of a stack request. Reads our own table only, never AWS. */
export function createPlanRoute(deps: { accounts: AccountLookup; cidrs: Pick<CidrRegistry, 'taken'> }, options: ApiHandlerOptions) {
  return apiHandler(options, async (request) => {
    const stackRequest = parseInput(stackRequestSchema, request.body ?? {});
    const account = await deps.accounts.get(request.tenantId, stackRequest.accountId);
    assertRegionAllowed(account, stackRequest.region);
    const takenCidrs = await deps.cidrs.taken({ tenantId: request.tenantId, accountId: account.id, region: stackRequest.region });
    return { status: 200, body: planStack({ request: stackRequest, tenantId: request.tenantId, stackId: PLAN_STACK_ID, takenCidrs }) };
  });
}
