import type { DeployContext } from '../model/deploy-context';
import type { AccountStatus } from '../model/statuses';
import { RegionNotAllowedError } from './errors';
import { onboardingTemplateStatus, type OnboardingTemplateStatus } from './onboarding-template-version';

/** A customer AWS account connected (or being connected) to Groundwork. */

export interface Account {
  id: string;
  tenantId: string;
  awsAccountId: string;
  name: string;
  /**
   * The regions Groundwork may deploy to (the onboarding stack's AllowedRegions). Absent: an account
   * created before regions existed, whose template lets the access role act in every region.
   */
  regions?: string[];
  status: AccountStatus;
  /** Why the account is FAILED or REVOKED, in words a customer can act on. */
  statusReason?: string;
  externalId: string;
  /** SHA-256 of the one-time registration token; the token itself is never stored. */
  registrationTokenHash: string;
  registrationTokenExpiresAt: string;
  /** The onboarding stack that connected the account: the only one whose Update/Delete count. */
  registrationStackId?: string;
  accessRoleArn?: string;
  executionRoleArn?: string;
  /** The fixed roles the onboarding stack made, which component templates take as parameters. */
  deployContext?: DeployContext;
  /** The onboarding template version the last registration reported (none: before versions existed). */
  onboardingTemplateVersion?: number;
  connectedAt?: string;
  /**
   * When the registering stack's Delete arrived (decision 0012): the account stays CONNECTED until
   * a check finds its access role refused, then it is REVOKED; the check's own key.
   */
  revocationRequestedAt?: string;
  createdAt: string;
  updatedAt: string;
  /** Incremented on every write; writes are conditional on it. */
  version: number;
  /** The custom-resource request that made the last registration change. */
  lastRequestId?: string;
  /** Counted in its tenant's accounts when created (accounts from before the tenant caps are not). */
  countsInTenant?: boolean;
}

/** What the API shows of an account: never the token hash. */
export interface AccountView {
  id: string;
  name: string;
  awsAccountId: string;
  /** Absent: every region (an account older than regions). */
  regions?: string[];
  status: AccountStatus;
  statusReason?: string;
  externalId: string;
  accessRoleArn?: string;
  executionRoleArn?: string;
  connectedAt?: string;
  /** Whether the onboarding stack runs the current template, and what to do if not. */
  onboardingTemplate?: OnboardingTemplateStatus;
  registrationTokenExpiresAt: string;
  createdAt: string;
  updatedAt: string;
}

export function toAccountView(account: Account): AccountView {
  const onboardingTemplate = onboardingTemplateStatus(account);
  return {
    id: account.id,
    name: account.name,
    awsAccountId: account.awsAccountId,
    ...(account.regions !== undefined ? { regions: account.regions } : {}),
    status: account.status,
    ...(account.statusReason !== undefined ? { statusReason: account.statusReason } : {}),
    externalId: account.externalId,
    ...(account.accessRoleArn !== undefined ? { accessRoleArn: account.accessRoleArn } : {}),
    ...(account.executionRoleArn !== undefined ? { executionRoleArn: account.executionRoleArn } : {}),
    ...(account.connectedAt !== undefined ? { connectedAt: account.connectedAt } : {}),
    ...(onboardingTemplate !== undefined ? { onboardingTemplate } : {}),
    registrationTokenExpiresAt: account.registrationTokenExpiresAt,
    createdAt: account.createdAt,
    updatedAt: account.updatedAt,
  };
}

/**
 * Refuses a region the account does not let Groundwork deploy to. An account without regions runs
 * an onboarding template from before AllowedRegions, whose access role may act in every region.
 */
export function assertRegionAllowed(account: Pick<Account, 'id' | 'regions'>, region: string): void {
  if (account.regions === undefined || account.regions.includes(region)) return;
  throw new RegionNotAllowedError(account.id, region, account.regions);
}
