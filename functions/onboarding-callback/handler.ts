import { onboardingCallbackDeps, onboardingCallbackHandler } from '../../src/accounts/registration/onboarding-callback-handler';

export const handler = onboardingCallbackHandler(onboardingCallbackDeps());
