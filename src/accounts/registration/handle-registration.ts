import type { EventPublisher } from '../../events/event-publisher';
import type { Logger } from '../../log/logger';
import type { Account } from '../account';
import type { AccountStore, AccountChange } from '../account-store';
import { registrationTokenMatches } from '../onboarding-credentials';
import type { AnswerCloudFormation } from './answer-cloudformation';
import {
  accountOfArn,
  boundedReason,
  customResourceRequestSchema,
  registrationPropertiesSchema,
  type CustomResourceRequest,
  type CustomResourceResponse,
  type RegistrationProperties,
} from './custom-resource-request';
import type { RoleProver } from './prove-access-role';
import type { RegistrationRequestStore } from './registration-request-store';

/**
 * The onboarding callback: CloudFormation's Custom::GroundworkRegistration request, delivered
 * through SNS. Whatever happens — a bad request, a refused role, a crash, a dependency that hangs
 * — the ResponseURL is answered exactly once, before the function's time runs out:
 *
 *   claim the RequestId (a redelivery stops here) → decide, racing a deadline → answer → note it.
 *
 * Create/Update connect the account after proving the role; Delete revokes it, and always
 * succeeds so a customer can always remove our access.
 */
export interface RegistrationDeps {
  accounts: AccountStore;
  requests: RegistrationRequestStore;
  prover: RoleProver;
  events: EventPublisher;
  answer: AnswerCloudFormation;
  logger: Logger;
  now?: () => Date;
  /** Time kept back from the deadline for the answer and the bookkeeping after a timeout. */
  answerReserveMs: number;
  /** An unanswered claim older than this (the function's timeout) may be taken over. */
  staleClaimMs: number;
  /** Where CloudFormation's ResponseURLs live; any other URL is never called (the topic is open). */
  responseUrlPattern: RegExp;
}

/** CloudFormation's presigned response buckets (standard and China partitions). */
export const CLOUDFORMATION_RESPONSE_URL = /^https:\/\/cloudformation-custom-resource-response-[a-z0-9-]+\.s3([.-][a-z0-9-]+)*\.amazonaws\.com(\.cn)?\//;

interface Outcome {
  status: 'SUCCESS' | 'FAILED';
  reason: string;
  physicalResourceId: string;
  data?: Record<string, string>;
}

/** What the decision had learnt when it stopped: lets a timeout or crash record the failure. */
interface DecisionState {
  account?: Account;
  mayChangeState: boolean;
  /** A Delete from the registering stack got as far as revoking. */
  revoking?: boolean;
}

class DeadlineExceededError extends Error {
  constructor() {
    super('the registration deadline passed');
    this.name = 'DeadlineExceededError';
  }
}

const INVALID_REGISTRATION_ID = 'groundwork-registration-invalid';

export async function handleRegistrationMessage(message: string, remainingMs: () => number, deps: RegistrationDeps): Promise<void> {
  const now = deps.now ?? (() => new Date());
  const parsed = parseRequest(message);
  const url = parsed.ok ? parsed.request.ResponseURL : parsed.partial?.ResponseURL;
  if (url !== undefined && !deps.responseUrlPattern.test(url)) {
    // Not CloudFormation's: answering would make us send requests wherever a stranger points.
    deps.logger.error('registration message with a ResponseURL that is not CloudFormation\'s: ignored', { length: message.length });
    return;
  }
  if (!parsed.ok) {
    if (parsed.partial) {
      await answerOnce(deps, parsed.partial.ResponseURL, {
        Status: 'FAILED',
        Reason: 'Groundwork could not read this custom-resource request. Launch the unmodified onboarding template.',
        PhysicalResourceId: parsed.partial.PhysicalResourceId ?? INVALID_REGISTRATION_ID,
        StackId: parsed.partial.StackId,
        RequestId: parsed.partial.RequestId,
        LogicalResourceId: parsed.partial.LogicalResourceId,
      }, remainingMs);
    } else {
      deps.logger.error('unanswerable registration message (no ResponseURL or ids)', { length: message.length });
    }
    return;
  }
  const request = parsed.request;
  const log = deps.logger.child({ requestId: request.RequestId, requestType: request.RequestType, stackId: request.StackId });

  let claimed = true;
  try {
    if ((await deps.requests.claim(request.RequestId, { now: now(), staleAfterMs: deps.staleClaimMs })) === 'duplicate') {
      log.info('redelivered registration request ignored: it is answered or in hand');
      return;
    }
  } catch (error) {
    // Without the claim we cannot tell a redelivery from a first delivery; do nothing but answer.
    claimed = false;
    log.error('could not record the registration request', { error });
  }

  const state: DecisionState = { mayChangeState: false };
  let outcome: Outcome;
  if (!claimed) {
    outcome = request.RequestType === 'Delete'
      ? success(request, 'Groundwork was unavailable; the registration is unchanged.')
      : failure(request, 'Groundwork is temporarily unavailable. Update the stack (or delete and launch it again) to retry.', undefined);
  } else {
    const controller = new AbortController();
    const budget = Math.max(0, remainingMs() - deps.answerReserveMs);
    const timer = setTimeout(() => controller.abort(new DeadlineExceededError()), budget);
    try {
      outcome = await raceAbort(decide(request, state, controller.signal, deps, now, log), controller.signal);
    } catch (error) {
      const timedOut = controller.signal.aborted;
      log.error(timedOut ? 'registration timed out' : 'registration failed unexpectedly', { error });
      outcome = request.RequestType === 'Delete'
        ? success(request, 'Registration removed.')
        : failure(
            request,
            timedOut
              ? `Groundwork did not finish verifying the role in time (reference ${request.RequestId}). Update the stack to retry.`
              : `Groundwork hit an internal error while registering this account (reference ${request.RequestId}). Update the stack to retry.`,
            state.account?.id,
          );
      await recordAfterInterruption(request, state, outcome.reason, deps, now, log, remainingMs);
    } finally {
      clearTimeout(timer);
    }
  }

  const answered = await answerOnce(deps, request.ResponseURL, {
    Status: outcome.status,
    Reason: boundedReason(outcome.reason),
    PhysicalResourceId: outcome.physicalResourceId,
    StackId: request.StackId,
    RequestId: request.RequestId,
    LogicalResourceId: request.LogicalResourceId,
    ...(outcome.data ? { Data: outcome.data } : {}),
  }, remainingMs);
  if (answered && claimed) {
    await deps.requests.markAnswered(request.RequestId, outcome.status, now()).catch((error: unknown) => log.warn('could not note the answer', { error }));
  }
}

async function decide(
  request: CustomResourceRequest,
  state: DecisionState,
  signal: AbortSignal,
  deps: RegistrationDeps,
  now: () => Date,
  log: Logger,
): Promise<Outcome> {
  const props = registrationPropertiesSchema.safeParse(request.ResourceProperties);
  if (request.RequestType === 'Delete') {
    if (!props.success) return success(request, 'Nothing was registered by this resource.');
    return revoke(request, props.data, state, signal, deps, now, log);
  }
  if (!props.success) {
    const fields = props.error.issues.map((issue) => issue.path.join('.')).join(', ');
    return failure(request, `The registration properties are missing or invalid (${fields}). Launch the unmodified Groundwork onboarding template.`, undefined);
  }
  const properties = props.data;
  const account = await deps.accounts.get(properties.GroundworkAccountId, { signal });
  if (!account) {
    return failure(request, `Groundwork has no account ${properties.GroundworkAccountId}. Create one with POST /v1/accounts and launch the template from its quick-create link.`, undefined);
  }
  state.account = account;
  const requester = accountOfArn(request.StackId);
  if (requester !== account.awsAccountId) {
    return failure(request, `This registration is for AWS account ${account.awsAccountId}, but the stack runs in ${requester ?? 'an unknown account'}. Launch it in ${account.awsAccountId}.`, account.id);
  }
  // Anyone may publish to the registration topic, so nothing in the message counts until the
  // token matches: without it the answer is FAILED and the account is left exactly as it was.
  if (!registrationTokenMatches(properties.RegistrationToken, account.registrationTokenHash)) {
    return failure(request, 'The registration token does not match this Groundwork account. Launch the template from the quick-create link Groundwork gave for it.', account.id);
  }
  const bound = account.registrationStackId === request.StackId;
  // Only the customer's own, current onboarding stack may move the account's state.
  state.mayChangeState = account.status !== 'REVOKED' && (account.registrationStackId === undefined || bound);

  const refuse = async (reason: string): Promise<Outcome> => {
    if (state.mayChangeState) await transition(account, 'FAILED', reason, failedChange(account), { version: account.version }, signal, deps, now, request.RequestId);
    return failure(request, reason, account.id);
  };

  if (account.status === 'REVOKED') {
    return failure(request, `Groundwork account ${account.id} was revoked when its onboarding stack was deleted. Delete it in Groundwork and create it again for a new link.`, account.id);
  }
  if (accountOfArn(properties.AccessRoleArn) !== requester || accountOfArn(properties.ExecutionRoleArn) !== requester) {
    return refuse(`The roles must be in AWS account ${requester}, the account being connected.`);
  }
  if (!bound) {
    if (account.registrationStackId !== undefined) {
      return failure(request, 'This registration link was already used by another onboarding stack; each link connects one stack. Delete this stack.', account.id);
    }
    if (Date.parse(account.registrationTokenExpiresAt) < now().getTime()) {
      return refuse(`The registration link expired at ${account.registrationTokenExpiresAt}. Delete the Groundwork account and create it again for a new link.`);
    }
  }

  const proof = await deps.prover.prove({
    roleArn: properties.AccessRoleArn,
    externalId: account.externalId,
    sessionName: `groundwork-registration-${account.id}`.slice(0, 64),
    signal,
  });
  if (!proof.ok) return refuse(proof.reason);

  signal.throwIfAborted();
  await transition(
    account,
    'CONNECTED',
    undefined,
    {
      set: {
        registrationStackId: request.StackId,
        accessRoleArn: properties.AccessRoleArn,
        executionRoleArn: properties.ExecutionRoleArn,
        permissionsBoundaryArn: properties.PermissionsBoundaryArn,
        eventForwarding: properties.EventForwarding !== 'false',
        connectedAt: account.connectedAt ?? now().toISOString(),
      },
      remove: ['statusReason'],
    },
    { version: account.version },
    signal,
    deps,
    now,
    request.RequestId,
  );
  log.info('account connected', { accountId: account.id, awsAccountId: account.awsAccountId });
  return {
    status: 'SUCCESS',
    reason: `Connected to Groundwork as ${account.id}.`,
    physicalResourceId: physicalIdFor(request, account.id),
    data: { GroundworkAccountId: account.id },
  };
}

async function revoke(
  request: CustomResourceRequest,
  properties: RegistrationProperties,
  state: DecisionState,
  signal: AbortSignal,
  deps: RegistrationDeps,
  now: () => Date,
  log: Logger,
): Promise<Outcome> {
  const account = await deps.accounts.get(properties.GroundworkAccountId, { signal });
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
  state.account = account;
  state.revoking = true;
  await transition(account, 'REVOKED', revokedReason(now), { set: {} }, { version: account.version }, signal, deps, now, request.RequestId);
  log.info('account revoked', { accountId: account.id });
  return success(request, 'Groundwork access revoked.');
}

/** Writes a status change (conditionally) and publishes it when the status really changed. */
async function transition(
  account: Account,
  status: Account['status'],
  reason: string | undefined,
  change: AccountChange,
  expected: { version: number; orLastRequestId?: string },
  signal: AbortSignal | undefined,
  deps: RegistrationDeps,
  now: () => Date,
  requestId: string,
): Promise<void> {
  const at = now().toISOString();
  const updated = await deps.accounts.update(
    account.id,
    {
      set: { ...change.set, status, updatedAt: at, lastRequestId: requestId, ...(reason !== undefined ? { statusReason: boundedReason(reason) } : {}) },
      ...(change.remove ? { remove: change.remove } : {}),
    },
    expected,
    signal ? { signal } : {},
  );
  if (account.status === status && account.statusReason === updated.statusReason) return;
  await deps.events.publish(
    'Account Status Change',
    {
      tenantId: account.tenantId,
      accountId: account.id,
      awsAccountId: account.awsAccountId,
      status,
      previousStatus: account.status,
      ...(updated.statusReason !== undefined ? { reason: updated.statusReason } : {}),
      occurredAt: at,
    },
    signal ? { signal } : {},
  );
}

/**
 * After a timeout or crash, record what the answer says: a Create/Update that this request was
 * allowed to decide leaves the account FAILED (holding no role); a Delete from the registering
 * stack leaves it REVOKED. The condition accepts this request's own earlier write, so a write
 * that landed just as time ran out is overruled rather than left standing beside the answer.
 * Bounded in time, whatever the dependencies do.
 */
async function recordAfterInterruption(
  request: CustomResourceRequest,
  state: DecisionState,
  reason: string,
  deps: RegistrationDeps,
  now: () => Date,
  log: Logger,
  remainingMs: () => number,
): Promise<void> {
  const account = state.account;
  const revoking = request.RequestType === 'Delete' && state.revoking === true;
  const failing = request.RequestType !== 'Delete' && state.mayChangeState;
  if (!account || (!revoking && !failing)) return;
  const signal = AbortSignal.timeout(Math.max(0, Math.min(1500, remainingMs() - deps.answerReserveMs / 2)));
  const expected = { version: account.version, orLastRequestId: request.RequestId };
  const write = revoking
    ? transition(account, 'REVOKED', revokedReason(now), { set: {} }, expected, signal, deps, now, request.RequestId)
    : transition(account, 'FAILED', reason, failedChange(account), expected, signal, deps, now, request.RequestId);
  await raceAbort(write, signal).catch((error: unknown) => log.error('could not record the outcome of an interrupted registration', { error }));
}

/** A FAILED account holds no role: what this request may have written is taken back. */
function failedChange(account: Account): AccountChange {
  const remove: Array<keyof Account> = ['accessRoleArn', 'executionRoleArn', 'permissionsBoundaryArn', 'eventForwarding', 'connectedAt'];
  if (account.registrationStackId === undefined) remove.push('registrationStackId');
  return { set: account.registrationStackId !== undefined ? { registrationStackId: account.registrationStackId } : {}, remove };
}

function revokedReason(now: () => Date): string {
  return `The onboarding stack was deleted on ${now().toISOString()}; Groundwork can no longer reach this account. Stacks are kept; to reconnect, delete the account in Groundwork and create it again.`;
}

async function answerOnce(deps: RegistrationDeps, responseUrl: string, response: CustomResourceResponse, remainingMs: () => number): Promise<boolean> {
  try {
    await deps.answer(responseUrl, response, { timeoutMs: Math.max(500, remainingMs() - 250) });
    return true;
  } catch (error) {
    deps.logger.error('could not answer CloudFormation', { requestId: response.RequestId, error });
    return false;
  }
}

function raceAbort<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

/** Update and Delete keep the id CloudFormation holds (a new id would mean a replacement). */
function physicalIdFor(request: CustomResourceRequest, accountId: string | undefined): string {
  if (request.RequestType !== 'Create' && request.PhysicalResourceId) return request.PhysicalResourceId;
  return accountId ?? INVALID_REGISTRATION_ID;
}

function success(request: CustomResourceRequest, reason: string): Outcome {
  return { status: 'SUCCESS', reason, physicalResourceId: physicalIdFor(request, request.PhysicalResourceId) };
}

function failure(request: CustomResourceRequest, reason: string, accountId: string | undefined): Outcome {
  return { status: 'FAILED', reason, physicalResourceId: physicalIdFor(request, accountId) };
}

type ParsedRequest =
  | { ok: true; request: CustomResourceRequest }
  | { ok: false; partial?: Pick<CustomResourceRequest, 'ResponseURL' | 'StackId' | 'RequestId' | 'LogicalResourceId' | 'PhysicalResourceId'> };

function parseRequest(message: string): ParsedRequest {
  let raw: unknown;
  try {
    raw = JSON.parse(message);
  } catch {
    return { ok: false };
  }
  const parsed = customResourceRequestSchema.safeParse(raw);
  if (parsed.success) return { ok: true, request: parsed.data };
  const r = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
  const text = (key: string) => (typeof r[key] === 'string' ? (r[key] as string) : undefined);
  const [url, stackId, requestId, logicalId] = [text('ResponseURL'), text('StackId'), text('RequestId'), text('LogicalResourceId')];
  if (!url || !stackId || !requestId || !logicalId) return { ok: false };
  const physical = text('PhysicalResourceId');
  return { ok: false, partial: { ResponseURL: url, StackId: stackId, RequestId: requestId, LogicalResourceId: logicalId, ...(physical ? { PhysicalResourceId: physical } : {}) } };
}
