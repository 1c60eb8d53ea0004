import middy from '@middy/core';
import type { Context, SNSEvent } from 'aws-lambda';
import { receiveRegistration, type ReceiveDeps } from './receive-registration';

export type OnboardingCallbackDeps = ReceiveDeps;

/**
 * The SNS-facing first stage (decision 0012): each record is a custom-resource request, checked
 * against its token and answered at once, or handed to the worker (onboarding-worker-handler.ts).
 */
export function onboardingCallbackHandler(deps: OnboardingCallbackDeps) {
  return middy<SNSEvent, void, Error, Context>(
    async (event: SNSEvent, context: Context) => {
      for (const record of event.Records) {
        await receiveRegistration(record.Sns.Message, () => context.getRemainingTimeInMillis(), deps);
      }
    },
    { timeoutEarlyInMillis: 0 },
  );
}
