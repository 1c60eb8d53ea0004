/**
 * The version of cfn/onboarding-role.yaml. Bump it whenever the template changes what it grants or
 * creates; `npm run build:onboarding` writes it into the template (the registration's
 * TemplateVersion), the registration records it on the account, and the account's API view says
 * when the account runs an older one (decision 0009). 1 was every template before versions.
 */
export const ONBOARDING_TEMPLATE_VERSION = 2;
