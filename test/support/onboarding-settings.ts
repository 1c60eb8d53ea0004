import type { OnboardingSettings } from '../../src/accounts/onboarding-links';

/** What a test Groundwork puts into onboarding links (nothing here is ever called). */
export const testOnboardingSettings: OnboardingSettings = {
  templateUrl: 'https://groundwork-test-templates.s3.us-east-1.amazonaws.com/onboarding/onboarding-role.yaml',
  region: 'us-east-1',
  serviceRoleArn: 'arn:aws:iam::999999999999:role/groundwork-test-service',
  registrationTopicArn: 'arn:aws:sns:us-east-1:999999999999:groundwork-test-registration',
};
