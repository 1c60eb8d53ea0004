import { readFileSync } from 'node:fs';
import type { PrincipalPolicies } from '../../local/iam/evaluate-policies';
import { parseTemplateBody } from '../../local/sandbox/stack-input';
import { TemplateEvaluator } from '../../local/sandbox/template-evaluator';

/**
 * The policies of the real cfn/onboarding-role.yaml, resolved for one account as CloudFormation
 * would: the access role's, the execution role's, and those of a role created with the boundary.
 */
export const ACCOUNT = '111122223333';
export const GROUNDWORK_ACCOUNT_ID = 'acc_abcdefghij0123456789';

export function onboardingPolicies(): { access: PrincipalPolicies; execution: PrincipalPolicies; bounded: PrincipalPolicies; executionRoleArn: string; boundaryArn: string } {
  const template = parseTemplateBody(readFileSync(new URL('../../cfn/onboarding-role.yaml', import.meta.url), 'utf8'));
  const evaluator = new TemplateEvaluator(template, {
    stackId: `arn:aws:cloudformation:us-east-1:${ACCOUNT}:stack/GroundworkOnboarding/1`,
    stackName: 'GroundworkOnboarding',
    account: ACCOUNT,
    region: 'us-east-1',
    parameters: { GroundworkAccountId: GROUNDWORK_ACCOUNT_ID, ExternalId: 'x'.repeat(32), GroundworkServiceRoleArn: 'arn:aws:iam::999999999999:role/groundwork-service', EnableEventForwarding: 'true' },
  });
  const properties = (logicalId: string) => evaluator.resolve(template.Resources[logicalId]?.Properties ?? {}) as Record<string, unknown>;
  const inline = (logicalId: string) =>
    (properties(logicalId)['Policies'] as Array<{ PolicyName: string; PolicyDocument: unknown }>).map((policy) => ({ name: policy.PolicyName, document: policy.PolicyDocument }));
  const boundary = properties('GroundworkBoundary')['PolicyDocument'];
  return {
    access: { identity: inline('GroundworkAccessRole') },
    execution: { identity: inline('GroundworkExecutionRole') },
    // The most a role created with the boundary may do: anything its own policies say, capped by the boundary.
    bounded: { identity: [{ name: 'AdministratorAccess', document: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] } }], boundary },
    executionRoleArn: String(evaluator.attribute('GroundworkExecutionRole', 'Arn')),
    boundaryArn: String(evaluator.value({ Ref: 'GroundworkBoundary' })),
  };
}
