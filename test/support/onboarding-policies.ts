import { readFileSync } from 'node:fs';
import type { PrincipalPolicies } from '../../local/iam/evaluate-policies';
import { parseTemplateBody } from '../../local/sandbox/stack-input';
import { TemplateEvaluator } from '../../local/sandbox/template-evaluator';

/**
 * The policies of the real cfn/onboarding-role.yaml, resolved for one account as CloudFormation
 * would: each role's inline policies and the customer managed policies the template attaches to it.
 * AWS managed policies, attached by ARN, are not in the template: a role holding one cannot be
 * judged from the template, so reading its policies fails (decision 0013).
 */
export const ACCOUNT = '111122223333';
export const GROUNDWORK_ACCOUNT_ID = 'acc_abcdefghij0123456789';

/** The roles code runs as in a customer account, besides Groundwork's own two. */
export const WORKLOAD_ROLES = ['GroundworkNatInstanceRole', 'GroundworkContainerInstanceRole', 'GroundworkBastionRole', 'GroundworkTaskExecutionRole'] as const;

/**
 * `allowedRegions`: the onboarding stack's AllowedRegions parameter as the console sends it
 * (comma-separated); absent, its default (empty: the stack's own region, us-east-1 here).
 */
export function onboardingPolicies(options: { allowedRegions?: string } = {}): {
  access: PrincipalPolicies;
  execution: PrincipalPolicies;
  workloads: Record<(typeof WORKLOAD_ROLES)[number], PrincipalPolicies>;
  executionRoleArn: string;
  executionPolicyArns: string[];
} {
  const template = parseTemplateBody(readFileSync(new URL('../../cfn/onboarding-role.yaml', import.meta.url), 'utf8'), 'url');
  const evaluator = new TemplateEvaluator(template, {
    stackId: `arn:aws:cloudformation:us-east-1:${ACCOUNT}:stack/GroundworkOnboarding/1`,
    stackName: 'GroundworkOnboarding',
    account: ACCOUNT,
    region: 'us-east-1',
    parameters: {
      GroundworkAccountId: GROUNDWORK_ACCOUNT_ID,
      ExternalId: 'x'.repeat(32),
      GroundworkServiceRoleArn: 'arn:aws:iam::999999999999:role/groundwork-service',
      AllowedRegions: options.allowedRegions ?? String(template.Parameters?.['AllowedRegions']?.Default ?? ''),
    },
  });
  const properties = (logicalId: string) => evaluator.resolve(template.Resources[logicalId]?.Properties ?? {}) as Record<string, unknown>;
  const managed = Object.entries(template.Resources).filter(([, resource]) => resource.Type === 'AWS::IAM::ManagedPolicy').map(([logicalId]) => logicalId);
  const attachedTo = (roleId: string) => managed.filter((policyId) => ((properties(policyId)['Roles'] ?? []) as unknown[]).includes(String(properties(roleId)['RoleName'] ?? '')));
  const identity = (roleId: string) => {
    const unseen = (properties(roleId)['ManagedPolicyArns'] ?? []) as unknown[];
    if (unseen.length > 0) throw new Error(`${roleId} holds policies the template does not contain: ${JSON.stringify(unseen)}`);
    const inline = ((properties(roleId)['Policies'] ?? []) as Array<{ PolicyName: string; PolicyDocument: unknown }>).map((policy) => ({ name: policy.PolicyName, document: policy.PolicyDocument }));
    const attached = attachedTo(roleId).map((policyId) => ({ name: String(properties(policyId)['ManagedPolicyName'] ?? policyId), document: properties(policyId)['PolicyDocument'] }));
    return { identity: [...inline, ...attached] };
  };
  return {
    access: identity('GroundworkAccessRole'),
    execution: identity('GroundworkExecutionRole'),
    workloads: Object.fromEntries(WORKLOAD_ROLES.map((roleId) => [roleId, identity(roleId)])) as unknown as Record<(typeof WORKLOAD_ROLES)[number], PrincipalPolicies>,
    executionRoleArn: String(evaluator.attribute('GroundworkExecutionRole', 'Arn')),
    executionPolicyArns: attachedTo('GroundworkExecutionRole').map((policyId) => String(evaluator.value({ Ref: policyId }))),
  };
}
