import { assertRegionAllowed } from '../accounts/account';
import type { Account } from '../accounts/account';
import type { AccountLookup } from '../accounts/account-lookup';
import { apiHandler, type ApiHandlerOptions } from '../http/api-handler';
import { parseInput } from '../http/parse-input';
import type { CidrRegistry } from '../network/cidr-registry';
import { stackRequestSchema, type StackRequest } from '../model/stack-request';
import { fitRequestToRegion, type RegionFit } from '../region/fit-region';
import type { RegionOfferFor } from '../region/region-offer';
import { planStack, type RegionCheck } from './plan-stack';

/** The id plans use in stack names and tags; a created stack gets its own. */
export const PLAN_STACK_ID = 'plan';

/**
 * POST /v1/plans: a dry run of a stack request. Reads our own table, and what the account's region
 * offers through its access role (its AZs, instance types, PostgreSQL versions and classes); it
 * creates nothing anywhere.
 */
export function createPlanRoute(deps: { accounts: AccountLookup; cidrs: Pick<CidrRegistry, 'taken'>; regions: RegionOfferFor }, options: ApiHandlerOptions) {
  return apiHandler(options, async (request) => {
    const stackRequest = parseInput(stackRequestSchema, request.body ?? {});
    const account = await deps.accounts.get(request.tenantId, stackRequest.accountId);
    assertRegionAllowed(account, stackRequest.region);
    const { fit, regionCheck } = await fitToAccountRegion(account, stackRequest, deps.regions);
    const takenCidrs = await deps.cidrs.taken({ tenantId: request.tenantId, accountId: account.id, region: stackRequest.region });
    return {
      status: 200,
      body: planStack({ request: stackRequest, tenantId: request.tenantId, stackId: PLAN_STACK_ID, takenCidrs, regionCheck, ...(fit ? { availabilityZones: fit.availabilityZones } : {}) }),
    };
  });
}

/**
 * The region check of a connected account. One that is not connected has no access role Groundwork
 * can use, so its region cannot be read: the plan is made without AZs, and says so.
 */
async function fitToAccountRegion(account: Account, request: StackRequest, regions: RegionOfferFor): Promise<{ fit?: RegionFit; regionCheck: RegionCheck }> {
  if (account.status !== 'CONNECTED' || account.accessRoleArn === undefined) {
    const reason =
      `Account ${account.id} is ${account.status}: Groundwork reads a region only through the account's access role, once it is connected. ` +
      'The AZs are not chosen and the instance types, PostgreSQL version and DB instance class are not checked against the region yet; POST /v1/stacks does both.';
    return { regionCheck: { status: 'skipped', reason } };
  }
  const offer = await regions({ accessRoleArn: account.accessRoleArn, externalId: account.externalId, sessionName: 'groundwork-plan' }, request.region);
  return { fit: await fitRequestToRegion(request, offer), regionCheck: { status: 'checked' } };
}
