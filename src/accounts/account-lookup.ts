import type { Account } from './account';
import type { AccountStore } from './account-store';
import { AccountNotFoundError } from './errors';

/**
 * What other areas need of accounts: a tenant's own account, read with nothing else built
 * (no onboarding settings, no event publisher). Another tenant's account is indistinguishable
 * from a missing one. AccountService answers the same way.
 */
export interface AccountLookup {
  get(tenantId: string, accountId: string): Promise<Account>;
}

export function accountLookup(store: Pick<AccountStore, 'get'>): AccountLookup {
  return {
    async get(tenantId, accountId) {
      const account = await store.get(accountId);
      if (!account || account.tenantId !== tenantId) throw new AccountNotFoundError(accountId);
      return account;
    },
  };
}
