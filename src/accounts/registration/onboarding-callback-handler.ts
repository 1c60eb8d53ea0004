import middy from '@middy/core';
import type { Context, SNSEvent } from 'aws-lambda';
import type { EventPublisher } from '../../events/event-publisher';
import { AccountRecorder } from '../account-recorder';
import type { AccountStore } from '../account-store';
import { answerOnce, type AnswerOnceDeps, type StartDecision } from './answer-once';
import type { RoleProver } from './prove-access-role';
import { RegistrationDecision } from './registration-decision';

export interface OnboardingCallbackDeps extends AnswerOnceDeps {
  accounts: AccountStore;
  prover: RoleProver;
  events: EventPublisher;
}

/** SNS hands over one message per record; each is a separate custom-resource request, answered once. */
export function onboardingCallbackHandler(deps: OnboardingCallbackDeps) {
  const now = deps.now ?? (() => new Date());
  const recorder = new AccountRecorder(deps.accounts, deps.events, deps.logger, now);
  const startDecision: StartDecision = (request, log) =>
    new RegistrationDecision(request, { accounts: deps.accounts, prover: deps.prover, recorder, now, log });
  return middy<SNSEvent, void, Error, Context>(
    async (event: SNSEvent, context: Context) => {
      for (const record of event.Records) {
        await answerOnce(record.Sns.Message, () => context.getRemainingTimeInMillis(), deps, startDecision);
      }
    },
    { timeoutEarlyInMillis: 0 },
  );
}
