/**
 * What a customer account's onboarding stack (cfn/onboarding-role.yaml) made once and every
 * Groundwork stack in that account uses: the fixed roles, by ARN. The registration records them on
 * the account; the workflow passes them to the component templates as parameters, so no component
 * stack ever creates an IAM role (decision 0009).
 */
export const DEPLOY_CONTEXT_KEYS = [
  'natInstanceProfileArn',
  'containerInstanceProfileArn',
  'bastionInstanceProfileArn',
  'taskExecutionRoleArn',
] as const;
export type DeployContextKey = (typeof DEPLOY_CONTEXT_KEYS)[number];

export type DeployContext = Partial<Record<DeployContextKey, string>>;
