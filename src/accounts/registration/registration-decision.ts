import type { Logger } from '../../log/logger';
import type { DeployContext } from '../../model/deploy-context';
import { UNVERSIONED_TEMPLATE } from '../onboarding-template-version';
import type { Account } from '../account';
import type { AccountRecorder } from '../account-recorder';
import type { AccountChange, AccountStore, WriteExpectation } from '../account-store';
import { registrationTokenMatches } from '../onboarding-credentials';
import { failure, success, type Decision, type Outcome } from './answer-once';
import { accountOfArn, boundedReason, registrationPropertiesSchema, type CustomResourceRequest, type RegistrationProperties } from './custom-resource-request';
import type { RoleProver } from './prove-access-role';

/**
 * What a Custom::GroundworkRegistration request does to its account. Create/Update connect the
 * account after proving the role; Delete revokes it, and always succeeds so a customer can always
 * remove our access. One instance per request: it remembers what it learnt, so an interruption
 * (answer-once.ts) can still be recorded.
 */
export interface RegistrationDecisionDeps {
  accounts: AccountStore;
  prover: RoleProver;
  recorder: AccountRecorder;
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
    const props = registrationPropertiesSchema.safeParse(request.ResourceProperties);
    if (request.RequestType === 'Delete') {
      if (!props.success) return success(request, 'Nothing was registered by this resource.');
      return this.revoke(props.data, signal);
    }
    if (!props.success) {
      const fields = props.error.issues.map((issue) => issue.path.map(String).join('.')).join(', ');
      return failure(request, `The registration properties are missing or invalid (${fields}). Launch the unmodified Groundwork onboarding template.`, undefined);
    }
    const properties = props.data;
    const requester = accountOfArn(request.StackId);
    const found = await this.deps.accounts.get(properties.GroundworkAccountId, { signal });
    // Anyone may publish to the registration topic, so nothing in the message counts until the
    // token matches: without it the answer is FAILED and the account is left exactly as it was.
    // A missing account, another AWS account's and a wrong token get the same answer, naming no
    // account of ours (security review L5: no oracle for who holds an id, or where).
    if (!found || requester !== found.awsAccountId || !registrationTokenMatches(properties.RegistrationToken, found.registrationTokenHash)) {
      return failure(request, unknownRegistrationReason(requester), undefined);
    }
    const account = found;
    this.account = account;
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
   * stack leaves it REVOKED. The condition accepts this request's own earlier write, so a write
   * that landed just as time ran out is overruled rather than left standing beside the answer.
   */
  async recordInterruption(reason: string, signal: AbortSignal): Promise<void> {
    const account = this.account;
    const revoking = this.request.RequestType === 'Delete' && this.revoking;
    const failing = this.request.RequestType !== 'Delete' && this.mayChangeState;
    if (!account || (!revoking && !failing)) return;
    const expected = { version: account.version, orLastRequestId: this.request.RequestId };
    if (revoking) await this.markRevoked(account, expected, signal);
    else await this.markFailed(account, reason, expected, signal);
  }

  private async revoke(properties: RegistrationProperties, signal: AbortSignal): Promise<Outcome> {
    const request = this.request;
    const account = await this.deps.accounts.get(properties.GroundworkAccountId, { signal });
    if (
      !account ||
      account.status === 'REVOKED' ||
      account.registrationStackId !== request.StackId ||
      !registrationTokenMatches(properties.RegistrationToken, account.registrationTokenHash)
    ) {
      // Not the stack that connected an account (a failed launch rolling back, or a stranger): nothing to undo.
      return success(request, 'Nothing registered by this stack.');
    }
    signal.throwIfAborted();
    this.account = account;
    this.revoking = true;
    await this.markRevoked(account, { version: account.version }, signal);
    this.deps.log.info('account revoked', { accountId: account.id });
    return success(request, 'Groundwork access revoked.');
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
        remove: ['statusReason'],
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
    const reason = `The onboarding stack was deleted on ${this.deps.now().toISOString()}; Groundwork can no longer reach this account. Stacks are kept; to reconnect, ask for a new link (POST /v1/accounts/${account.id}/registration-link) and launch the onboarding stack again.`;
    return this.deps.recorder.transition(account, { status: 'REVOKED', reason: boundedReason(reason), set: {}, expected, requestId: this.request.RequestId }, { signal });
  }
}

/** The one answer to a registration that is not (or not visibly) ours. */
export function unknownRegistrationReason(requester: string | undefined): string {
  return `Groundwork has no registration matching this link for AWS account ${requester ?? 'unknown'}. Launch the template from the quick-create link Groundwork gave when you added this AWS account.`;
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
