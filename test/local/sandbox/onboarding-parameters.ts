import { arns, REGION } from '../../../local/config';

/**
 * The parameters Groundwork's quick-create link fills in for cfn/onboarding-role.yaml; `regions`,
 * the account's regions (AllowedRegions), the sandbox's region unless told.
 */
export function onboardingParameters(groundworkAccountId: string, externalId: string, regions: readonly string[] = [REGION]) {
  return [
    { ParameterKey: 'GroundworkAccountId', ParameterValue: groundworkAccountId },
    { ParameterKey: 'AllowedRegions', ParameterValue: regions.join(',') },
    { ParameterKey: 'ExternalId', ParameterValue: externalId },
    { ParameterKey: 'RegistrationToken', ParameterValue: 'reg-token-0123456789abcdef' },
    { ParameterKey: 'GroundworkServiceRoleArn', ParameterValue: arns.serviceRole },
    { ParameterKey: 'RegistrationTopicArn', ParameterValue: arns.registrationTopic },
  ];
}
