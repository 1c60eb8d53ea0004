import { arns } from '../../../local/config';

/** The parameters Groundwork's quick-create link fills in for cfn/onboarding-role.yaml. */
export function onboardingParameters(groundworkAccountId: string, externalId: string) {
  return [
    { ParameterKey: 'GroundworkAccountId', ParameterValue: groundworkAccountId },
    { ParameterKey: 'ExternalId', ParameterValue: externalId },
    { ParameterKey: 'RegistrationToken', ParameterValue: 'reg-token-0123456789abcdef' },
    { ParameterKey: 'GroundworkServiceRoleArn', ParameterValue: arns.serviceRole },
    { ParameterKey: 'RegistrationTopicArn', ParameterValue: arns.registrationTopic },
  ];
}
