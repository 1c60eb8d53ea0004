import type { EventPublisher } from '../events/event-publisher';
import type { Logger } from '../log/logger';
import { DEFAULT_REGION } from '../model/regions';
import { DEFAULT_TENANT_LIMITS } from '../model/tenant-limits';
import { toAccountView, type Account, type AccountView } from './account';
import { AccountRecorder } from './account-recorder';
import type { AccountPage, AccountStore } from './account-store';
import type { CreateAccountInput } from './create-account-input';
import { AccountHasLiveStacksError, AccountNotFoundError, RegistrationLinkRefusedError } from './errors';
import {
  REGISTRATION_TOKEN_TTL_MS,
  hashRegistrationToken,
  newAccountId,
  newExternalId,
  newRegistrationToken,
} from './onboarding-credentials';
import { onboardingLinks, type OnboardingLinks, type OnboardingSettings } from './onboarding-links';

export interface CreatedAccount extends AccountView {
  onboarding: OnboardingLinks & {
    /** Shown once: only its hash is kept. */
    registrationToken: string;
    registrationTokenExpiresAt: string;
  };
}

export interface AccountServiceDeps {
  store: AccountStore;
  events: EventPublisher;
  onboarding: OnboardingSettings;
  logger: Logger;
  /** Default: DEFAULT_TENANT_LIMITS.accounts. */
  maxAccountsPerTenant?: number;
  now?: () => Date;
}

export class AccountService {
  private readonly now: () => Date;
  private readonly recorder: AccountRecorder;

  constructor(private readonly deps: AccountServiceDeps) {
    this.now = deps.now ?? (() => new Date());
    this.recorder = new AccountRecorder(deps.store, deps.events, deps.logger, this.now);
  }

  async create(tenantId: string, input: CreateAccountInput): Promise<CreatedAccount> {
    const now = this.now();
    const token = newRegistrationToken();
    const account: Account = {
      id: newAccountId(),
      tenantId,
      awsAccountId: input.awsAccountId,
      name: input.name ?? `AWS account ${input.awsAccountId}`,
      regions: input.regions,
      status: 'AWAITING_CONNECTION',
      externalId: newExternalId(),
      registrationTokenHash: hashRegistrationToken(token),
      registrationTokenExpiresAt: new Date(now.getTime() + REGISTRATION_TOKEN_TTL_MS).toISOString(),
      createdAt: now.toISOString(),
      updatedAt: now.toISOString(),
      version: 1,
      countsInTenant: true,
    };
    await this.recorder.create(account, { maxAccountsPerTenant: this.deps.maxAccountsPerTenant ?? DEFAULT_TENANT_LIMITS.accounts });
    this.deps.logger.info('account created', { tenantId, accountId: account.id, awsAccountId: account.awsAccountId });
    return this.withOnboarding(account, input.regions, token);
  }

  /**
   * A fresh one-time registration link for an account whose connection ended (REVOKED), never
   * came (FAILED), or whose link expired unused (decision 0011, L1). The ExternalId is kept: the
   * customer's new onboarding stack trusts it again. The account goes back to AWAITING_CONNECTION
   * holding nothing of its last connection, so the next registration is a first connection. The
   * link launches the current template, which confines the access role to the account's regions:
   * an account from before regions existed gets the default one, so its record says what the new
   * stack will allow.
   */
  async reissueRegistrationLink(tenantId: string, accountId: string): Promise<CreatedAccount> {
    const account = await this.get(tenantId, accountId);
    const now = this.now();
    const linkExpired = account.status === 'AWAITING_CONNECTION' && Date.parse(account.registrationTokenExpiresAt) <= now.getTime();
    if (account.status !== 'REVOKED' && account.status !== 'FAILED' && !linkExpired) throw new RegistrationLinkRefusedError(account.id, account.status);
    const token = newRegistrationToken();
    const regions = account.regions ?? [DEFAULT_REGION];
    const updated = await this.recorder.transition(account, {
      status: 'AWAITING_CONNECTION',
      set: { regions, registrationTokenHash: hashRegistrationToken(token), registrationTokenExpiresAt: new Date(now.getTime() + REGISTRATION_TOKEN_TTL_MS).toISOString() },
      // lastRequestId too: no retry of a request about the last connection may write over this one.
      remove: ['statusReason', 'registrationStackId', 'accessRoleArn', 'executionRoleArn', 'deployContext', 'onboardingTemplateVersion', 'connectedAt', 'lastRequestId'],
      expected: { version: account.version },
    });
    this.deps.logger.info('registration link reissued', { tenantId, accountId: account.id, previousStatus: account.status });
    return this.withOnboarding(updated, regions, token);
  }

  private withOnboarding(account: Account, regions: readonly string[], token: string): CreatedAccount {
    return {
      ...toAccountView(account),
      onboarding: {
        ...onboardingLinks(this.deps.onboarding, { id: account.id, externalId: account.externalId, regions }, token),
        registrationToken: token,
        registrationTokenExpiresAt: account.registrationTokenExpiresAt,
      },
    };
  }

  /** Another tenant's account is indistinguishable from a missing one. */
  async get(tenantId: string, accountId: string): Promise<Account> {
    const account = await this.deps.store.get(accountId);
    if (!account || account.tenantId !== tenantId) throw new AccountNotFoundError(accountId);
    return account;
  }

  async list(tenantId: string, query: { limit: number; nextToken?: string }): Promise<{ items: AccountView[]; nextToken?: string }> {
    const page: AccountPage = await this.deps.store.listByTenant(tenantId, query);
    return { items: page.items.map(toAccountView), ...(page.nextToken ? { nextToken: page.nextToken } : {}) };
  }

  /** Forgets the account. The customer's roles stay until they delete the onboarding stack. */
  async delete(tenantId: string, accountId: string): Promise<void> {
    const account = await this.get(tenantId, accountId);
    if (await this.deps.store.hasLiveStacks(account.id)) throw new AccountHasLiveStacksError(account.id);
    await this.recorder.delete(account);
    this.deps.logger.info('account deleted', { tenantId, accountId });
  }
}
