import { onboardingWorkerFromEnv } from '../../src/accounts/registration/onboarding-worker-from-env';

export const handler = onboardingWorkerFromEnv();
