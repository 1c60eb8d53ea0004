/**
 * What a customer needs to launch cfn/onboarding-role.yaml: its URL, every parameter filled in,
 * and a CloudFormation console quick-create link carrying them all.
 *
 * The onboarding stack is deliberately NOT named groundwork-*: the access role it creates may
 * only act on groundwork-* stacks, and must not be able to delete the stack that defines it.
 * It must be launched in Groundwork's own region: an SNS-backed custom resource's topic has to
 * be in the stack's region. Its AllowedRegions are the account's regions, where the access role may
 * act; that may well not include the onboarding stack's own region.
 */
export const ONBOARDING_STACK_NAME = 'GroundworkOnboarding';

export interface OnboardingSettings {
  templateUrl: string;
  region: string;
  serviceRoleArn: string;
  registrationTopicArn: string;
}

export interface OnboardingParameters {
  GroundworkAccountId: string;
  /** The account's regions, comma-separated (the template's CommaDelimitedList). */
  AllowedRegions: string;
  ExternalId: string;
  RegistrationToken: string;
  GroundworkServiceRoleArn: string;
  RegistrationTopicArn: string;
}

export interface OnboardingLinks {
  templateUrl: string;
  quickCreateUrl: string;
  stackName: string;
  region: string;
  parameters: OnboardingParameters;
}

export function onboardingLinks(
  settings: OnboardingSettings,
  account: { id: string; externalId: string; regions: readonly string[] },
  registrationToken: string,
): OnboardingLinks {
  const parameters: OnboardingParameters = {
    GroundworkAccountId: account.id,
    AllowedRegions: account.regions.join(','),
    ExternalId: account.externalId,
    RegistrationToken: registrationToken,
    GroundworkServiceRoleArn: settings.serviceRoleArn,
    RegistrationTopicArn: settings.registrationTopicArn,
  };
  const query = new URLSearchParams({ templateURL: settings.templateUrl, stackName: ONBOARDING_STACK_NAME });
  for (const [name, value] of Object.entries(parameters)) query.set(`param_${name}`, value);
  const console = `https://${settings.region}.console.aws.amazon.com/cloudformation/home?region=${encodeURIComponent(settings.region)}`;
  return {
    templateUrl: settings.templateUrl,
    quickCreateUrl: `${console}#/stacks/create/review?${query.toString()}`,
    stackName: ONBOARDING_STACK_NAME,
    region: settings.region,
    parameters,
  };
}
