import { answerAndNote, deliver, INVALID_REGISTRATION_ID, parseRequest, raceAbort, unavailable, type AnswerOnceDeps, type Outcome } from './answer-once';
import type { CustomResourceRequest } from './custom-resource-request';
import type { RegistrationBindingReader } from './registration-binding';
import { screenRequest } from './registration-screen';
import type { DecideWork, WorkQueue } from './registration-work';

/**
 * The first stage of the onboarding callback, the only one the open registration topic feeds
 * (decision 0012, security review M1). It parses the request, checks its token against the
 * account's binding — read without the ExternalId — and answers at once what fails that check;
 * a request that passes is handed to the worker through a queue only this stage may send to. It
 * holds no ExternalId and cannot assume any role, so code execution here reaches neither.
 *
 *   parse (an unreadable request is answered FAILED) → claim the RequestId (a redelivery stops
 *   here) → read the binding, check the token → answer, or mark it QUEUED and queue it.
 */
export interface ReceiveDeps extends AnswerOnceDeps {
  bindings: RegistrationBindingReader;
  handOver: WorkQueue<DecideWork>;
}

export async function receiveRegistration(message: string, remainingMs: () => number, deps: ReceiveDeps): Promise<void> {
  const now = deps.now ?? (() => new Date());
  const deadline = deps.deadline ?? ((ms: number) => AbortSignal.timeout(ms));
  const parsed = parseRequest(message);
  const url = parsed.ok ? parsed.request.ResponseURL : parsed.partial?.ResponseURL;
  if (url !== undefined && !deps.responseUrlPattern.test(url)) {
    // Not CloudFormation's: answering would make us send requests wherever a stranger points.
    deps.logger.error('registration message with a ResponseURL that is not CloudFormation\'s: ignored', { length: message.length });
    return;
  }
  if (!parsed.ok) {
    if (parsed.partial) {
      await deliver(deps, parsed.partial.ResponseURL, {
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

  try {
    if ((await deps.requests.claim(request.RequestId, { now: now(), staleAfterMs: deps.staleClaimMs })) === 'duplicate') {
      log.info('redelivered registration request ignored: it is answered or in hand');
      return;
    }
  } catch (error) {
    // Without the claim we cannot tell a redelivery from a first delivery; do nothing but answer.
    log.error('could not record the registration request', { error });
    await answerAndNote(request, unavailable(request), remainingMs, deps, false);
    return;
  }

  const budget = deadline(Math.max(0, remainingMs() - deps.answerReserveMs));
  let outcome: Outcome;
  try {
    outcome = (await raceAbort(screenAndHandOver(request, deps, budget), budget)) ?? HANDED_OVER;
  } catch (error) {
    log.error(budget.aborted ? 'registration check timed out' : 'registration check failed', { error });
    outcome = unavailable(request);
  }
  if (outcome === HANDED_OVER) {
    log.info('registration handed to the worker');
    return;
  }
  await answerAndNote(request, outcome, remainingMs, deps, true);
}

/** Marks an outcome that is not an answer: the worker answers. */
const HANDED_OVER: Outcome = { status: 'SUCCESS', reason: 'handed over', physicalResourceId: INVALID_REGISTRATION_ID };

/** The answer to a request that fails the check; undefined once a passing one is queued. */
async function screenAndHandOver(request: CustomResourceRequest, deps: ReceiveDeps, signal: AbortSignal): Promise<Outcome | undefined> {
  const now = deps.now ?? (() => new Date());
  const screened = await screenRequest(request, (accountId) => deps.bindings.read(accountId, { signal }));
  if ('outcome' in screened) return screened.outcome;
  signal.throwIfAborted();
  await deps.requests.handOver(request.RequestId, now());
  await deps.handOver.send({ kind: 'decide', request }, { signal });
  return undefined;
}
