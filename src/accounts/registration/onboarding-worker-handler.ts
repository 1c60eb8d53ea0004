import middy from '@middy/core';
import type { Context, SQSEvent } from 'aws-lambda';
import type { EventPublisher } from '../../events/event-publisher';
import { AccountRecorder } from '../account-recorder';
import type { AccountStore } from '../account-store';
import { decideOnce, type AnswerOnceDeps, type StartDecision } from './answer-once';
import type { RoleProver } from './prove-access-role';
import { RegistrationDecision } from './registration-decision';
import { registrationWorkSchema, type RevocationCheckWork, type WorkQueue } from './registration-work';
import { checkRevocation, type RevocationPolicy } from './revocation-check';

/**
 * The onboarding worker (decision 0012): the only function that reads ExternalIds for
 * registrations and assumes customer access roles through the service role. Nothing outside
 * Groundwork can feed it: its queues accept messages only from the first stage (registrations)
 * and from itself (revocation checks). One message per invocation (batch size 1):
 * - `decide`: prove the role, record the decision, answer CloudFormation, once (answer-once.ts);
 * - `revocation-check`: the delayed look at the access role after a Delete (revocation-check.ts).
 *   A check that fails is thrown, so SQS delivers it again (and, in the end, dead-letters it).
 */
export interface OnboardingWorkerDeps extends AnswerOnceDeps {
  accounts: AccountStore;
  prover: RoleProver;
  events: EventPublisher;
  revocationChecks: WorkQueue<RevocationCheckWork>;
  revocationPolicy: RevocationPolicy;
}

export function onboardingWorkerHandler(deps: OnboardingWorkerDeps) {
  const now = deps.now ?? (() => new Date());
  const deadline = deps.deadline ?? ((ms: number) => AbortSignal.timeout(ms));
  const recorder = new AccountRecorder(deps.accounts, deps.events, deps.logger, now);
  const startDecision: StartDecision = (request, log) =>
    new RegistrationDecision(request, { accounts: deps.accounts, prover: deps.prover, recorder, revocationChecks: deps.revocationChecks, revocationPolicy: deps.revocationPolicy, now, log });
  return middy<SQSEvent, void, Error, Context>(
    async (event: SQSEvent, context: Context) => {
      const remainingMs = () => context.getRemainingTimeInMillis();
      for (const record of event.Records) {
        const work = parseWork(record.body);
        if (!work.success) {
          deps.logger.error('unreadable onboarding work dropped', { messageId: record.messageId, length: record.body.length });
          continue;
        }
        if (work.data.kind === 'decide') {
          await decideOnce(work.data.request, remainingMs, deps, startDecision);
        } else {
          const signal = deadline(Math.max(0, remainingMs() - deps.answerReserveMs));
          await checkRevocation(work.data, { accounts: deps.accounts, prover: deps.prover, recorder, queue: deps.revocationChecks, policy: deps.revocationPolicy, now, log: deps.logger }, signal);
        }
      }
    },
    { timeoutEarlyInMillis: 0 },
  );
}

function parseWork(body: string) {
  let raw: unknown;
  try {
    raw = JSON.parse(body);
  } catch {
    raw = undefined;
  }
  return registrationWorkSchema.safeParse(raw);
}
