import { onboardingCallbackFromEnv } from '../../src/accounts/registration/onboarding-callback-from-env';

export const handler = onboardingCallbackFromEnv();
