import type { Logger } from '../../log/logger';
import type { DeployContext } from '../../model/deploy-context';
import { UNVERSIONED_TEMPLATE } from '../onboarding-template-version';
import type { Account } from '../account';
import type { AccountRecorder } from '../account-recorder';
import type { AccountChange, AccountStore, WriteExpectation } from '../account-store';
import { failure, success, type Decision, type Outcome } from './answer-once';
import { accountOfArn, boundedReason, type CustomResourceRequest, type RegistrationProperties } from './custom-resource-request';
import type { RoleProver } from './prove-access-role';
import { screenRequest } from './registration-screen';
import type { RevocationCheckWork, WorkQueue } from './registration-work';
import { revocationPendingReason, revokedReason, type RevocationPolicy } from './revocation-check';

/**
 * What a Custom::GroundworkRegistration request does to its account, in the callback's worker
 * (decision 0012). Create/Update connect the account after proving the role. A Delete always
 * succeeds, so a customer can always remove our access; it revokes a connected account only once
 * the access role really cannot be assumed: it notes revocationRequestedAt and schedules a delayed
 * check (revocation-check.ts), because CloudFormation deletes this resource before the roles
 * (they are its dependencies). One instance per request: it remembers what it learnt, so an
 * interruption (answer-once.ts) can still be recorded.
 */
export interface RegistrationDecisionDeps {
  accounts: AccountStore;
  prover: RoleProver;
  recorder: AccountRecorder;
  /** Where a Delete schedules the first look at the access role. */
  revocationChecks: WorkQueue<RevocationCheckWork>;
  revocationPolicy: RevocationPolicy;
  now: () => Date;
  log: Logger;
}

export class RegistrationDecision implements Decision {
  private account: Account | undefined;
  /** Only the customer's own, current onboarding stack may move the account's state. */
  private mayChangeState = false;
  /** A Delete from the registering stack got as far as revoking. */
  private revoking = false;

  constructor(
    private readonly request: CustomResourceRequest,
    private readonly deps: RegistrationDecisionDeps,
  ) {}

  get accountId(): string | undefined {
    return this.account?.id;
  }

  async decide(signal: AbortSignal): Promise<Outcome> {
    const request = this.request;
    // The first stage checked this already; the worker checks again on the full account.
    const screened = await screenRequest(request, (id) => this.deps.accounts.get(id, { signal }));
    if ('outcome' in screened) return screened.outcome;
    const { properties, found: account } = screened;
    this.account = account;
    if (request.RequestType === 'Delete') return this.revoke(account, signal);
    const requester = accountOfArn(request.StackId);
    const bound = account.registrationStackId === request.StackId;
    // The token is retired once a stack is bound to it (security review L1): from then on only that
    // stack's Update may use it. A second Create, even naming the same StackId, is refused.
    const retired = account.registrationStackId !== undefined && (request.RequestType === 'Create' || !bound);
    this.mayChangeState = account.status !== 'REVOKED' && !retired;

    if (account.status === 'REVOKED') {
      return failure(request, `Groundwork account ${account.id} was revoked when its onboarding stack was deleted. Ask Groundwork for a new link (POST /v1/accounts/${account.id}/registration-link) and launch the stack again.`, account.id);
    }
    if (retired) {
      return failure(request, 'This registration link was already used by an onboarding stack; each link connects one stack, once. Delete this stack.', account.id);
    }
    if (accountOfArn(properties.AccessRoleArn) !== requester || accountOfArn(properties.ExecutionRoleArn) !== requester) {
      return this.refuse(account, `The roles must be in AWS account ${requester}, the account being connected.`, signal);
    }
    if (!bound && Date.parse(account.registrationTokenExpiresAt) < this.deps.now().getTime()) {
      return this.refuse(account, `The registration link expired at ${account.registrationTokenExpiresAt}. Ask Groundwork for a new link: POST /v1/accounts/${account.id}/registration-link.`, signal);
    }

    const proof = await this.deps.prover.prove({
      roleArn: properties.AccessRoleArn,
      externalId: account.externalId,
      sessionName: `groundwork-registration-${account.id}`.slice(0, 64),
      signal,
    });
    if (!proof.ok) return this.refuse(account, proof.reason, signal);

    signal.throwIfAborted();
    await this.connect(account, properties, signal);
    this.deps.log.info('account connected', { accountId: account.id, awsAccountId: account.awsAccountId });
    return success(request, `Connected to Groundwork as ${account.id}.`, { accountId: account.id, data: { GroundworkAccountId: account.id } });
  }

  /**
   * After a timeout or crash, record what the answer says: a Create/Update that this request was
   * allowed to decide leaves the account FAILED (holding no role); a Delete from the registering
   * stack of an account that holds no role leaves it REVOKED. (A connected account is revoked only
   * by the check; a Delete interrupted before it was scheduled leaves the account as it was.) The
   * condition accepts this request's own earlier write, so a write that landed just as time ran
   * out is overruled rather than left standing beside the answer.
   */
  async recordInterruption(reason: string, signal: AbortSignal): Promise<void> {
    const account = this.account;
    const revoking = this.request.RequestType === 'Delete' && this.revoking && account?.status !== 'CONNECTED';
    const failing = this.request.RequestType !== 'Delete' && this.mayChangeState;
    if (!account || (!revoking && !failing)) return;
    const expected = { version: account.version, orLastRequestId: this.request.RequestId };
    if (revoking) await this.markRevoked(account, expected, signal);
    else await this.markFailed(account, reason, expected, signal);
  }

  /**
   * The registering stack is being deleted. An account that holds no role (FAILED) is REVOKED at
   * once. A CONNECTED one stays CONNECTED, with revocationRequestedAt, until the check finds the
   * access role refused: the check is scheduled first, so a noted request always has one coming
   * (a check that finds no matching request does nothing).
   */
  private async revoke(account: Account, signal: AbortSignal): Promise<Outcome> {
    const request = this.request;
    signal.throwIfAborted();
    this.revoking = true;
    if (account.status !== 'CONNECTED') {
      await this.markRevoked(account, { version: account.version }, signal);
      this.deps.log.info('account revoked', { accountId: account.id });
      return success(request, 'Groundwork access revoked.');
    }
    const requestedAt = this.deps.now().toISOString();
    await this.deps.revocationChecks.send({ kind: 'revocation-check', accountId: account.id, requestedAt, attempt: 1 }, { delaySeconds: this.deps.revocationPolicy.delaysSeconds[0] ?? 0, signal });
    await this.deps.recorder.transition(
      account,
      { status: 'CONNECTED', reason: revocationPendingReason(requestedAt), set: { revocationRequestedAt: requestedAt }, expected: { version: account.version }, requestId: request.RequestId },
      { signal },
    );
    this.deps.log.info('revocation requested; the access role is checked again later', { accountId: account.id });
    return success(request, 'Groundwork stops using this account once its access role is gone.');
  }

  /** A refusal this request may record leaves the account FAILED; any other leaves it as it was. */
  private async refuse(account: Account, reason: string, signal: AbortSignal): Promise<Outcome> {
    if (this.mayChangeState) await this.markFailed(account, reason, { version: account.version }, signal);
    return failure(this.request, reason, account.id);
  }

  private connect(account: Account, properties: RegistrationProperties, signal: AbortSignal): Promise<Account> {
    return this.deps.recorder.transition(
      account,
      {
        status: 'CONNECTED',
        set: {
          registrationStackId: this.request.StackId,
          accessRoleArn: properties.AccessRoleArn,
          executionRoleArn: properties.ExecutionRoleArn,
          deployContext: deployContextOf(properties),
          onboardingTemplateVersion: properties.TemplateVersion === undefined ? UNVERSIONED_TEMPLATE : Number(properties.TemplateVersion),
          connectedAt: account.connectedAt ?? this.deps.now().toISOString(),
        },
        // A role proven to work ends any revocation a Delete asked for.
        remove: ['statusReason', 'revocationRequestedAt'],
        expected: { version: account.version },
        requestId: this.request.RequestId,
      },
      { signal },
    );
  }

  /** A FAILED account holds no role: what this request may have written is taken back. */
  private markFailed(account: Account, reason: string, expected: WriteExpectation, signal: AbortSignal): Promise<Account> {
    return this.deps.recorder.transition(account, { status: 'FAILED', reason: boundedReason(reason), ...failedChange(account), expected, requestId: this.request.RequestId }, { signal });
  }

  private markRevoked(account: Account, expected: WriteExpectation, signal: AbortSignal): Promise<Account> {
    return this.deps.recorder.transition(account, { status: 'REVOKED', reason: revokedReason(account.id, this.deps.now()), set: {}, expected, requestId: this.request.RequestId }, { signal });
  }
}

function failedChange(account: Account): AccountChange {
  const remove: Array<keyof Account> = ['accessRoleArn', 'executionRoleArn', 'deployContext', 'onboardingTemplateVersion', 'connectedAt'];
  if (account.registrationStackId === undefined) remove.push('registrationStackId');
  return { set: account.registrationStackId !== undefined ? { registrationStackId: account.registrationStackId } : {}, remove };
}

/** The fixed roles a registration names, as the account records them for the templates. */
function deployContextOf(properties: RegistrationProperties): DeployContext {
  const named: DeployContext = {
    natInstanceProfileArn: properties.NatInstanceProfileArn,
    containerInstanceProfileArn: properties.ContainerInstanceProfileArn,
    bastionInstanceProfileArn: properties.BastionInstanceProfileArn,
    taskExecutionRoleArn: properties.TaskExecutionRoleArn,
  };
  return Object.fromEntries(Object.entries(named).filter(([, arn]) => arn !== undefined));
}
