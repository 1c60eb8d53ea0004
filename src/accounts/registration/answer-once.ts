import type { Logger } from '../../log/logger';
import type { AnswerCloudFormation } from './answer-cloudformation';
import { boundedReason, customResourceRequestSchema, type CustomResourceRequest, type CustomResourceResponse } from './custom-resource-request';
import type { RegistrationRequestStore } from './registration-request-store';

/**
 * The envelopes of the onboarding callback's two stages (decision 0012): CloudFormation's
 * custom-resource request, delivered through SNS to the first stage (receive-registration.ts) and,
 * if its token matched, through a queue to the worker, which decides it here. Whatever happens — a
 * bad request, a crash, a dependency that hangs — the ResponseURL is answered exactly once, before
 * the function's time runs out:
 *
 *   take the request the first stage handed over (a redelivery stops here) → decide, racing a
 *   deadline → answer → note it.
 *
 * What to answer is the decision's (registration-decision.ts); this module only makes sure an
 * answer goes out, once, in time.
 */
export interface EnvelopeDeps {
  answer: AnswerCloudFormation;
  logger: Logger;
  now?: () => Date;
  /** Time kept back from the deadline for the answer and the bookkeeping after a timeout. */
  answerReserveMs: number;
  /** An unanswered claim older than this (the function's timeout) may be taken over. */
  staleClaimMs: number;
  /** Where CloudFormation's ResponseURLs live (cloudformation-response-url.ts); any other URL is never called (the topic is open). */
  responseUrlPattern: RegExp;
  /** A signal that aborts after the given time. Injected so a test of a hanging dependency need not wait it out. */
  deadline?: (ms: number) => AbortSignal;
}

export interface AnswerOnceDeps extends EnvelopeDeps {
  requests: RegistrationRequestStore;
}

export interface Outcome {
  status: 'SUCCESS' | 'FAILED';
  reason: string;
  physicalResourceId: string;
  data?: Record<string, string>;
}

/** One request's decision, with what it had learnt if it is interrupted. */
export interface Decision {
  decide(signal: AbortSignal): Promise<Outcome>;
  /** The Groundwork account the request is about, once known: a FAILED answer to a Create names it. */
  readonly accountId: string | undefined;
  /** After a timeout or crash, records what the answer says (bounded by the signal). */
  recordInterruption(reason: string, signal: AbortSignal): Promise<void>;
}

export type StartDecision = (request: CustomResourceRequest, log: Logger) => Decision;

export const INVALID_REGISTRATION_ID = 'groundwork-registration-invalid';

/** The answer when Groundwork cannot even keep track of the request: a Delete still succeeds. */
export function unavailable(request: CustomResourceRequest): Outcome {
  return request.RequestType === 'Delete'
    ? success(request, 'Groundwork was unavailable; the registration is unchanged.')
    : failure(request, 'Groundwork is temporarily unavailable. Update the stack (or delete and launch it again) to retry.', undefined);
}

/** The worker's half: decide a request the first stage handed over, and answer it once. */
export async function decideOnce(request: CustomResourceRequest, remainingMs: () => number, deps: AnswerOnceDeps, startDecision: StartDecision): Promise<void> {
  const now = deps.now ?? (() => new Date());
  const deadline = deps.deadline ?? ((ms: number) => AbortSignal.timeout(ms));
  const log = deps.logger.child({ requestId: request.RequestId, requestType: request.RequestType, stackId: request.StackId });
  if (!deps.responseUrlPattern.test(request.ResponseURL)) {
    // The first stage checked this; the worker does not take the queue's word for it.
    log.error('handed-over registration with a ResponseURL that is not CloudFormation\'s: ignored');
    return;
  }

  let taken = true;
  try {
    if ((await deps.requests.take(request.RequestId, { now: now(), staleAfterMs: deps.staleClaimMs })) === 'duplicate') {
      log.info('redelivered registration work ignored: it is answered or in hand');
      return;
    }
  } catch (error) {
    // Without the claim we cannot tell a redelivery from a first delivery; do nothing but answer.
    taken = false;
    log.error('could not record the registration request', { error });
  }

  let outcome: Outcome;
  if (!taken) {
    outcome = unavailable(request);
  } else {
    const decision = startDecision(request, log);
    const budget = deadline(Math.max(0, remainingMs() - deps.answerReserveMs));
    try {
      outcome = await raceAbort(decision.decide(budget), budget);
    } catch (error) {
      const timedOut = budget.aborted;
      log.error(timedOut ? 'registration timed out' : 'registration failed unexpectedly', { error });
      outcome = request.RequestType === 'Delete'
        ? success(request, `Groundwork could not record this deletion (reference ${request.RequestId}); its access ends with the access role.`)
        : failure(
            request,
            timedOut
              ? `Groundwork did not finish verifying the role in time (reference ${request.RequestId}). Update the stack to retry.`
              : `Groundwork hit an internal error while registering this account (reference ${request.RequestId}). Update the stack to retry.`,
            decision.accountId,
          );
      await recordAfterInterruption(decision, outcome.reason, deadline(Math.max(0, Math.min(1500, remainingMs() - deps.answerReserveMs / 2))), log);
    }
  }
  await answerAndNote(request, outcome, remainingMs, deps, taken);
}

/** Puts the answer to the ResponseURL, and notes it (when the request was ours to note) so a redelivery changes nothing. */
export async function answerAndNote(request: CustomResourceRequest, outcome: Outcome, remainingMs: () => number, deps: AnswerOnceDeps, noted: boolean): Promise<void> {
  const now = deps.now ?? (() => new Date());
  const answered = await deliver(deps, request.ResponseURL, {
    Status: outcome.status,
    Reason: boundedReason(outcome.reason),
    PhysicalResourceId: outcome.physicalResourceId,
    StackId: request.StackId,
    RequestId: request.RequestId,
    LogicalResourceId: request.LogicalResourceId,
    ...(outcome.data ? { Data: outcome.data } : {}),
  }, remainingMs);
  if (answered && noted) {
    await deps.requests.markAnswered(request.RequestId, outcome.status, now()).catch((error: unknown) => deps.logger.warn('could not note the answer', { requestId: request.RequestId, error }));
  }
}

/**
 * After a timeout or crash the answer is FAILED (or, for a Delete, SUCCESS): the decision records
 * the same, so the account never disagrees with the answer. Bounded in time, whatever the dependencies do.
 */
async function recordAfterInterruption(decision: Decision, reason: string, bound: AbortSignal, log: Logger): Promise<void> {
  await raceAbort(decision.recordInterruption(reason, bound), bound).catch((error: unknown) =>
    log.error('could not record the outcome of an interrupted registration', { error }),
  );
}

export async function deliver(deps: EnvelopeDeps, responseUrl: string, response: CustomResourceResponse, remainingMs: () => number): Promise<boolean> {
  try {
    await deps.answer(responseUrl, response, { timeoutMs: Math.max(500, remainingMs() - 250) });
    return true;
  } catch (error) {
    deps.logger.error('could not answer CloudFormation', { requestId: response.RequestId, error });
    return false;
  }
}

export function raceAbort<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
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

export function success(request: CustomResourceRequest, reason: string, connected?: { accountId: string; data: Record<string, string> }): Outcome {
  return { status: 'SUCCESS', reason, physicalResourceId: physicalIdFor(request, connected?.accountId ?? request.PhysicalResourceId), ...(connected ? { data: connected.data } : {}) };
}

export function failure(request: CustomResourceRequest, reason: string, accountId: string | undefined): Outcome {
  return { status: 'FAILED', reason, physicalResourceId: physicalIdFor(request, accountId) };
}

export type ParsedRequest =
  | { ok: true; request: CustomResourceRequest }
  | { ok: false; partial?: Pick<CustomResourceRequest, 'ResponseURL' | 'StackId' | 'RequestId' | 'LogicalResourceId' | 'PhysicalResourceId'> };

export function parseRequest(message: string): ParsedRequest {
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
