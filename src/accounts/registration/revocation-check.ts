import type { Logger } from '../../log/logger';
import type { AccountRecorder } from '../account-recorder';
import type { AccountStore } from '../account-store';
import { boundedReason } from './custom-resource-request';
import type { RoleProver } from './prove-access-role';
import type { RevocationCheckWork, WorkQueue } from './registration-work';

/**
 * After the registering stack's Delete, the account is revoked only once its access role really
 * cannot be assumed (decision 0012; decision 0011 says why a check at the Delete itself cannot
 * work: CloudFormation deletes the registration resource before the roles, and waits for our
 * answer to do so). Each check is one AssumeRole with the ExternalId, from the worker:
 *
 * - refused (AccessDenied)            → REVOKED, with how to reconnect;
 * - still works, or STS fails         → look again after the next delay, up to the policy's bound;
 * - still works after the last check  → stays CONNECTED, with a reason saying the stack's deletion
 *                                       did not remove Groundwork's access (and the event that says so).
 *
 * A check belongs to one request (its requestedAt): a later Delete, a reconnection, or a change of
 * status makes it stale, and a stale check does nothing.
 */
export interface RevocationPolicy {
  /** The delay before each check, in seconds (at most 900, SQS's DelaySeconds); its length is the bound. */
  delaysSeconds: readonly number[];
}

/**
 * 1, 2, 4, 8, 15, 15 minutes: about 45 minutes in all. CloudFormation deletes the roles right after
 * our answer, and IAM takes seconds to make a deletion seen by STS; a stack whose role deletion is
 * slow or fails (DELETE_FAILED, or a retained role) is still caught within the bound.
 */
export const REVOCATION_POLICY: RevocationPolicy = { delaysSeconds: [60, 120, 240, 480, 900, 900] };

export function revocationPendingReason(requestedAt: string): string {
  return `The onboarding stack was deleted on ${requestedAt}. Groundwork stops using this account as soon as its access role can no longer be assumed, and marks it REVOKED then.`;
}

export function revokedReason(accountId: string, at: Date): string {
  return boundedReason(
    `The onboarding stack was deleted and Groundwork's access role refused on ${at.toISOString()}; Groundwork can no longer reach this account. Stacks are kept; to reconnect, ask for a new link (POST /v1/accounts/${accountId}/registration-link) and launch the onboarding stack again.`,
  );
}

export function accessRemainsReason(requestedAt: string, roleArn: string, at: Date, lastError: string | undefined): string {
  const found = lastError === undefined ? `${roleArn} can still be assumed with this account's ExternalId` : `Groundwork could not check ${roleArn} (${lastError})`;
  return boundedReason(
    `The onboarding stack was deleted on ${requestedAt}, but its deletion did not remove Groundwork's access: on ${at.toISOString()} ${found}. The account stays CONNECTED. To disconnect it, delete that role (or the stack that still holds it); to keep it, nothing needs doing.`,
  );
}

export interface RevocationCheckDeps {
  accounts: AccountStore;
  prover: RoleProver;
  recorder: AccountRecorder;
  /** Where the next check goes (the worker's own queue). */
  queue: WorkQueue<RevocationCheckWork>;
  policy: RevocationPolicy;
  now: () => Date;
  log: Logger;
}

export type RevocationCheckResult = 'stale' | 'revoked' | 'scheduled' | 'access-remains';

export async function checkRevocation(work: RevocationCheckWork, deps: RevocationCheckDeps, signal: AbortSignal): Promise<RevocationCheckResult> {
  const log = deps.log.child({ accountId: work.accountId, attempt: work.attempt });
  const account = await deps.accounts.get(work.accountId, { signal });
  if (!account || account.status !== 'CONNECTED' || account.revocationRequestedAt !== work.requestedAt || account.accessRoleArn === undefined) {
    log.info('revocation check no longer applies');
    return 'stale';
  }
  const roleArn = account.accessRoleArn;
  let lastError: string | undefined;
  try {
    const works = await deps.prover.canAssume({ roleArn, externalId: account.externalId, sessionName: `groundwork-revocation-${account.id}`.slice(0, 64), signal });
    if (!works) {
      await deps.recorder.transition(account, { status: 'REVOKED', reason: revokedReason(account.id, deps.now()), set: {}, remove: ['revocationRequestedAt'], expected: { version: account.version } }, { signal });
      log.info('access role refused: account revoked');
      return 'revoked';
    }
  } catch (error) {
    if (signal.aborted) throw error;
    lastError = error instanceof Error ? error.name : 'UnknownError';
    log.warn('revocation check could not reach STS', { error });
  }
  const nextDelay = deps.policy.delaysSeconds[work.attempt];
  if (nextDelay !== undefined) {
    await deps.queue.send({ ...work, attempt: work.attempt + 1 }, { delaySeconds: nextDelay, signal });
    log.info('access role still assumable: checking again later', { inSeconds: nextDelay });
    return 'scheduled';
  }
  await deps.recorder.transition(
    account,
    { status: 'CONNECTED', reason: accessRemainsReason(work.requestedAt, roleArn, deps.now(), lastError), set: {}, remove: ['revocationRequestedAt'], expected: { version: account.version } },
    { signal },
  );
  log.warn('the onboarding stack was deleted but the access role still works: account stays CONNECTED');
  return 'access-remains';
}
