import { readFileSync } from 'node:fs';
import type { PrincipalPolicies } from '../../local/iam/evaluate-policies';
import { parseTemplateBody } from '../../local/sandbox/stack-input';
import { TemplateEvaluator } from '../../local/sandbox/template-evaluator';

/**
 * The policies of the real cfn/onboarding-role.yaml, resolved for one account as CloudFormation
 * would: each role's inline policies and the customer managed policies the template attaches to it
 * (AWS managed policies, by ARN, are not in the template and are not evaluated).
 */
export const ACCOUNT = '111122223333';
export const GROUNDWORK_ACCOUNT_ID = 'acc_abcdefghij0123456789';

/** The roles code runs as in a customer account, besides Groundwork's own two. */
export const WORKLOAD_ROLES = ['GroundworkNatInstanceRole', 'GroundworkContainerInstanceRole', 'GroundworkBastionRole', 'GroundworkTaskExecutionRole'] as const;

export function onboardingPolicies(): {
  access: PrincipalPolicies;
  execution: PrincipalPolicies;
  workloads: Record<(typeof WORKLOAD_ROLES)[number], PrincipalPolicies>;
  executionRoleArn: string;
  executionPolicyArns: string[];
} {
  const template = parseTemplateBody(readFileSync(new URL('../../cfn/onboarding-role.yaml', import.meta.url), 'utf8'));
  const evaluator = new TemplateEvaluator(template, {
    stackId: `arn:aws:cloudformation:us-east-1:${ACCOUNT}:stack/GroundworkOnboarding/1`,
    stackName: 'GroundworkOnboarding',
    account: ACCOUNT,
    region: 'us-east-1',
    parameters: { GroundworkAccountId: GROUNDWORK_ACCOUNT_ID, ExternalId: 'x'.repeat(32), GroundworkServiceRoleArn: 'arn:aws:iam::999999999999:role/groundwork-service' },
  });
  const properties = (logicalId: string) => evaluator.resolve(template.Resources[logicalId]?.Properties ?? {}) as Record<string, unknown>;
  const managed = Object.entries(template.Resources).filter(([, resource]) => resource.Type === 'AWS::IAM::ManagedPolicy').map(([logicalId]) => logicalId);
  const identity = (roleId: string) => {
    const role = properties(roleId);
    const roleName = String(role['RoleName'] ?? '');
    const inline = ((role['Policies'] ?? []) as Array<{ PolicyName: string; PolicyDocument: unknown }>).map((policy) => ({ name: policy.PolicyName, document: policy.PolicyDocument }));
    const attached = managed
      .filter((policyId) => ((properties(policyId)['Roles'] ?? []) as unknown[]).includes(roleName))
      .map((policyId) => ({ name: String(properties(policyId)['ManagedPolicyName'] ?? policyId), document: properties(policyId)['PolicyDocument'] }));
    return { identity: [...inline, ...attached] };
  };
  return {
    access: identity('GroundworkAccessRole'),
    execution: identity('GroundworkExecutionRole'),
    workloads: Object.fromEntries(WORKLOAD_ROLES.map((roleId) => [roleId, identity(roleId)])) as unknown as Record<(typeof WORKLOAD_ROLES)[number], PrincipalPolicies>,
    executionRoleArn: String(evaluator.attribute('GroundworkExecutionRole', 'Arn')),
    executionPolicyArns: managed.map((policyId) => String(evaluator.value({ Ref: policyId }))),
  };
}
