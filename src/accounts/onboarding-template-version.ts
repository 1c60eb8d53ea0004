/**
 * The version of cfn/onboarding-role.yaml. Bump it whenever the template changes what it grants or
 * creates; `npm run build:onboarding` writes it into the template (the registration's
 * TemplateVersion), the registration records it on the account, and the account's API view says
 * when the account runs an older one (decision 0009).
 */
export const ONBOARDING_TEMPLATE_VERSION = 5;

/** What an account registered before versions existed runs: the first template. */
export const UNVERSIONED_TEMPLATE = 1;

export interface OnboardingTemplateStatus {
  /** The version the account's onboarding stack runs, as its last registration reported it. */
  version: number;
  currentVersion: number;
  outdated: boolean;
  /** What the customer should do, when outdated. */
  action?: string;
  /** The onboarding stack in the CloudFormation console (where its Update button is), when outdated. */
  stackUrl?: string;
}

/** Whether the account's onboarding stack runs the current template; only for an account a stack registered. */
export function onboardingTemplateStatus(account: { registrationStackId?: string; onboardingTemplateVersion?: number }): OnboardingTemplateStatus | undefined {
  if (account.registrationStackId === undefined) return undefined;
  const version = account.onboardingTemplateVersion ?? UNVERSIONED_TEMPLATE;
  if (version >= ONBOARDING_TEMPLATE_VERSION) return { version, currentVersion: ONBOARDING_TEMPLATE_VERSION, outdated: false };
  const region = account.registrationStackId.split(':')[3] ?? '';
  return {
    version,
    currentVersion: ONBOARDING_TEMPLATE_VERSION,
    outdated: true,
    action:
      `Update the GroundworkOnboarding stack in ${region} (Update, Replace existing template) with Groundwork's current onboarding template, ` +
      'keeping every parameter as it is. Until then, stacks that need what the newer template creates fail to deploy.',
    stackUrl: `https://${region}.console.aws.amazon.com/cloudformation/home?region=${encodeURIComponent(region)}#/stacks/stackinfo?stackId=${encodeURIComponent(account.registrationStackId)}`,
  };
}
