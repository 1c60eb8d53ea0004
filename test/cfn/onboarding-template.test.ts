import { readdirSync, readFileSync } from 'node:fs';
import { isIamWrite, policyStatements, type PolicyStatement } from '../../src/cfn/policy-statements';
import { readTemplate } from '../../src/cfn/read-template';
import type { CfnTemplate, CfnValue } from '../../src/cfn/template-types';
import { validateTemplate } from '../../src/cfn/validate-template';

/**
 * cfn/onboarding-role.yaml is what a customer runs in their own account: it must be valid
 * CloudFormation, and it must give Groundwork no more than the design says. Every check is run
 * on the real template (no violation) and on a deliberately broken copy (the violation found).
 */
const original = readTemplate(readFileSync(new URL('../../cfn/onboarding-role.yaml', import.meta.url), 'utf8'));
const fresh = (): CfnTemplate => structuredClone(original);

const ACCESS = 'GroundworkAccessRole';
const EXECUTION = 'GroundworkExecutionRole';
const ROLE_WRITE_ACTIONS = ['iam:CreateRole', 'iam:PutRolePolicy', 'iam:AttachRolePolicy', 'iam:PutRolePermissionsBoundary'];

const same = (a: CfnValue | undefined, b: CfnValue) => JSON.stringify(a) === JSON.stringify(b);
const allows = (statements: PolicyStatement[], owner: string) => statements.filter((s) => s.owner === owner && s.kind === 'identity' && s.effect === 'Allow');

function wildcardIam(template: CfnTemplate): string[] {
  return policyStatements(template)
    .filter((s) => s.actions.some((a) => a === '*' || a.toLowerCase() === 'iam:*'))
    .map((s) => `${s.owner}/${s.sid ?? '?'}: ${s.actions.join(',')}`);
}

function iamWritesOnAccessRole(template: CfnTemplate): string[] {
  return allows(policyStatements(template), ACCESS).flatMap((s) => s.actions.filter(isIamWrite).map((a) => `${s.sid ?? '?'}: ${a}`));
}

function badPassRole(template: CfnTemplate): string[] {
  return policyStatements(template)
    .filter((s) => s.effect === 'Allow' && s.kind === 'identity' && s.actions.some((a) => a === 'iam:PassRole' || a === 'iam:Pass*'))
    .filter((s) => s.owner === ACCESS)
    .flatMap((s) => {
      const problems: string[] = [];
      if (s.resources.length !== 1 || !same(s.resources[0], { 'Fn::GetAtt': [EXECUTION, 'Arn'] })) problems.push(`${s.sid ?? '?'}: passes more than the execution role`);
      if (!same(s.condition?.['StringEquals']?.['iam:PassedToService'], 'cloudformation.amazonaws.com')) problems.push(`${s.sid ?? '?'}: not limited to CloudFormation`);
      return problems;
    });
}

function unscopedStackActions(template: CfnTemplate): string[] {
  return allows(policyStatements(template), ACCESS)
    .filter((s) => s.actions.some((a) => a.startsWith('cloudformation:')))
    .flatMap((s) =>
      s.resources
        .filter((r) => !(typeof r === 'object' && r !== null && !Array.isArray(r) && typeof r['Fn::Sub'] === 'string' && /:stack\/groundwork-\*\/\*$/.test(r['Fn::Sub'])))
        .map((r) => `${s.sid ?? '?'}: ${JSON.stringify(r)}`),
    );
}

function weakTrust(template: CfnTemplate): string[] {
  const trust = policyStatements(template).filter((s) => s.owner === ACCESS && s.kind === 'trust');
  if (trust.length === 0) return ['no trust policy'];
  return trust.flatMap((s) => {
    const problems: string[] = [];
    if (!same(s.principal, { AWS: { Ref: 'GroundworkServiceRoleArn' } })) problems.push(`trusts ${JSON.stringify(s.principal)}`);
    if (!same(s.condition?.['StringEquals']?.['sts:ExternalId'], { Ref: 'ExternalId' })) problems.push('no sts:ExternalId condition');
    return problems;
  });
}

function roleCreationWithoutBoundary(template: CfnTemplate): string[] {
  const statements = policyStatements(template).filter((s) => s.owner === EXECUTION && s.kind === 'identity');
  const boundary = { Ref: 'GroundworkBoundary' };
  const problems = statements
    .filter((s) => s.effect === 'Allow' && s.actions.some((a) => ROLE_WRITE_ACTIONS.includes(a)))
    .filter((s) => !same(s.condition?.['StringEquals']?.['iam:PermissionsBoundary'], boundary))
    .map((s) => `${s.sid ?? '?'}: allows role writes without the boundary condition`);
  const denyWithout = statements.some(
    (s) => s.effect === 'Deny' && s.actions.includes('iam:CreateRole') && same(s.condition?.['StringNotEquals']?.['iam:PermissionsBoundary'], boundary),
  );
  if (!denyWithout) problems.push('no explicit Deny of CreateRole without the boundary');
  const protectsBoundary = ['iam:DeleteRolePermissionsBoundary', 'iam:CreatePolicyVersion', 'iam:SetDefaultPolicyVersion', 'iam:DeletePolicy'].every((action) =>
    statements.some((s) => s.effect === 'Deny' && s.actions.includes(action) && s.condition === undefined),
  );
  if (!protectsBoundary) problems.push('the boundary can be removed or rewritten');
  const rolesOutsideBoundaryScope = statements
    .filter((s) => s.effect === 'Allow' && s.actions.some((a) => a.startsWith('iam:') && a !== 'iam:CreateServiceLinkedRole'))
    .flatMap((s) => s.resources)
    .filter((r) => !(typeof r === 'object' && r !== null && !Array.isArray(r) && typeof r['Fn::Sub'] === 'string' && /:(role|instance-profile)\/groundwork-\*$/.test(r['Fn::Sub'])));
  if (rolesOutsideBoundaryScope.length > 0) problems.push(`IAM actions on ${JSON.stringify(rolesOutsideBoundaryScope)}`);
  return problems;
}

function statement(template: CfnTemplate, owner: string, sid: string): Record<string, CfnValue> {
  const policies = template.Resources[owner]?.Properties?.['Policies'] as Array<{ PolicyDocument: { Statement: Array<Record<string, CfnValue>> } }>;
  const found = policies.flatMap((p) => p.PolicyDocument.Statement).find((s) => s['Sid'] === sid);
  if (!found) throw new Error(`no statement ${sid} on ${owner}`);
  return found;
}

/**
 * The CloudFormation commands production code sends (src/, functions/): every `new XCommand(`
 * whose XCommand is imported from @aws-sdk/client-cloudformation. Only the access role's
 * credentials ever reach a CloudFormation client, so this is what the access role must allow.
 */
function cloudFormationCommandsSent(): string[] {
  const sent = new Set<string>();
  for (const dir of ['src', 'functions']) {
    for (const file of readdirSync(new URL(`../../${dir}`, import.meta.url), { recursive: true, encoding: 'utf8' })) {
      if (!file.endsWith('.ts')) continue;
      const source = readFileSync(new URL(`../../${dir}/${file}`, import.meta.url), 'utf8');
      const imports = [...source.matchAll(/import\s*(?:type\s*)?\{([^}]*)\}\s*from\s*'@aws-sdk\/client-cloudformation'/g)];
      const commands = imports.flatMap((m) => (m[1] ?? '').split(',').map((name) => name.trim()).filter((name) => /^[A-Z]\w*Command$/.test(name)));
      for (const command of commands) if (source.includes(`new ${command}(`)) sent.add(command.replace(/Command$/, ''));
    }
  }
  return [...sent];
}

describe('cfn/onboarding-role.yaml', () => {
  it('is valid against the CloudFormation specification (types, properties, required, Ref/GetAtt/Sub, parameters used)', () => {
    expect(validateTemplate(original)).toEqual([]);
  });

  it.each([
    ['an unknown property', (t: CfnTemplate) => void ((t.Resources[ACCESS]!.Properties!['Colour'] = 'blue'))],
    ['a missing required property', (t: CfnTemplate) => void delete t.Resources[EXECUTION]!.Properties!['AssumeRolePolicyDocument']],
    ['a GetAtt of an attribute that does not exist', (t: CfnTemplate) => void ((t.Outputs!['AccessRoleArn']!.Value = { 'Fn::GetAtt': [ACCESS, 'Colour'] }))],
    ['a Ref to nothing', (t: CfnTemplate) => void ((t.Outputs!['AccessRoleArn']!.Value = { Ref: 'Nowhere' }))],
    ['a Sub naming nothing', (t: CfnTemplate) => void ((t.Outputs!['AccessRoleArn']!.Value = { 'Fn::Sub': '${Nowhere.Arn}' }))],
    ['an unknown resource type', (t: CfnTemplate) => void ((t.Resources['Extra'] = { Type: 'AWS::EC2::Colour', Properties: {} }))],
    ['an unused parameter', (t: CfnTemplate) => void ((t.Parameters!['Unused'] = { Type: 'String' }))],
  ])('the specification check catches %s', (_label, breakIt) => {
    const broken = fresh();
    breakIt(broken);
    expect(validateTemplate(broken).length).toBeGreaterThan(0);
  });

  it('grants no wildcard iam:* (nor *) anywhere', () => {
    expect(wildcardIam(original)).toEqual([]);
    const broken = fresh();
    (statement(broken, EXECUTION, 'StackResources')['Action'] as string[]).push('iam:*');
    expect(wildcardIam(broken)).toEqual(['GroundworkExecutionRole/StackResources: ' + (statement(broken, EXECUTION, 'StackResources')['Action'] as string[]).join(',')]);
  });

  it('gives the access role no IAM write action at all', () => {
    expect(iamWritesOnAccessRole(original)).toEqual([]);
    const broken = fresh();
    (statement(broken, ACCESS, 'ReadGroundworkStacks')['Action'] as string[]).push('iam:CreateRole');
    expect(iamWritesOnAccessRole(broken)).toEqual(['ReadGroundworkStacks: iam:CreateRole']);
  });

  it('lets the access role pass only the execution role, and only to CloudFormation', () => {
    expect(badPassRole(original)).toEqual([]);
    const anyRole = fresh();
    statement(anyRole, ACCESS, 'PassOnlyTheExecutionRoleToCloudFormation')['Resource'] = '*';
    expect(badPassRole(anyRole)).toEqual(['PassOnlyTheExecutionRoleToCloudFormation: passes more than the execution role']);
    const anyService = fresh();
    delete statement(anyService, ACCESS, 'PassOnlyTheExecutionRoleToCloudFormation')['Condition'];
    expect(badPassRole(anyService)).toEqual(['PassOnlyTheExecutionRoleToCloudFormation: not limited to CloudFormation']);
  });

  it('lets the access role act only on groundwork-* stacks, and change them only through the execution role', () => {
    expect(unscopedStackActions(original)).toEqual([]);
    expect(statement(original, ACCESS, 'ChangeGroundworkStacksThroughTheExecutionRole')['Condition']).toEqual({
      StringEquals: { 'cloudformation:RoleArn': { 'Fn::GetAtt': [EXECUTION, 'Arn'] } },
    });
    const broken = fresh();
    statement(broken, ACCESS, 'ChangeGroundworkStacksThroughTheExecutionRole')['Resource'] = '*';
    expect(unscopedStackActions(broken)).toEqual(['ChangeGroundworkStacksThroughTheExecutionRole: "*"']);
  });

  it('gives the access role exactly the calls Groundwork makes in the customer account, nothing more', () => {
    const granted = (template: CfnTemplate) => allows(policyStatements(template), ACCESS).flatMap((s) => s.actions).sort();
    const used = [...cloudFormationCommandsSent().map((command) => `cloudformation:${command}`), 'iam:PassRole'].sort();
    expect(used).toEqual(expect.arrayContaining(['cloudformation:CreateStack', 'cloudformation:DeleteStack', 'cloudformation:DescribeStacks']));
    expect(granted(original)).toEqual(used);
    const extra = fresh();
    (statement(extra, ACCESS, 'ReadGroundworkStacks')['Action'] as string[]).push('cloudformation:GetTemplate');
    expect(granted(extra)).not.toEqual(used);
  });

  it('lets only the Groundwork service role assume the access role, and only with the ExternalId', () => {
    expect(weakTrust(original)).toEqual([]);
    const noCondition = fresh();
    const trust = noCondition.Resources[ACCESS]!.Properties!['AssumeRolePolicyDocument'] as { Statement: Array<Record<string, CfnValue>> };
    delete trust.Statement[0]!['Condition'];
    expect(weakTrust(noCondition)).toEqual(['no sts:ExternalId condition']);
    const anyone = fresh();
    (anyone.Resources[ACCESS]!.Properties!['AssumeRolePolicyDocument'] as { Statement: Array<Record<string, CfnValue>> }).Statement[0]!['Principal'] = { AWS: '*' };
    expect(weakTrust(anyone)).toEqual(['trusts {"AWS":"*"}']);
  });

  it('lets the execution role create or change roles only with the boundary, and never loosen it', () => {
    expect(roleCreationWithoutBoundary(original)).toEqual([]);
    const noCondition = fresh();
    delete statement(noCondition, EXECUTION, 'CreateRolesOnlyWithTheBoundary')['Condition'];
    expect(roleCreationWithoutBoundary(noCondition)).toEqual(['CreateRolesOnlyWithTheBoundary: allows role writes without the boundary condition']);
    const noDeny = fresh();
    statement(noDeny, EXECUTION, 'NeverCreateRolesWithoutTheBoundary')['Effect'] = 'Allow';
    expect(roleCreationWithoutBoundary(noDeny)).toContain('no explicit Deny of CreateRole without the boundary');
    const boundaryEditable = fresh();
    statement(boundaryEditable, EXECUTION, 'NeverLoosenTheBoundary')['Action'] = ['iam:DeleteRolePermissionsBoundary'];
    expect(roleCreationWithoutBoundary(boundaryEditable)).toEqual(['the boundary can be removed or rewritten']);
    const anyRole = fresh();
    statement(anyRole, EXECUTION, 'ManageGroundworkStackRoles')['Resource'] = '*';
    expect(roleCreationWithoutBoundary(anyRole)).toEqual(['IAM actions on ["*"]']);
  });

  it('keeps Groundwork\'s own roles out of reach of the stacks it builds', () => {
    for (const role of [ACCESS, EXECUTION, 'GroundworkEventForwardingRole']) {
      const name = original.Resources[role]?.Properties?.['RoleName'] as { 'Fn::Sub': string };
      expect(name['Fn::Sub']).toMatch(/^Groundwork[A-Za-z]+-\$\{GroundworkAccountId\}$/);
      expect(name['Fn::Sub'].startsWith('groundwork-')).toBe(false);
    }
    const protectedRoles = statement(original, EXECUTION, 'NeverTouchGroundworkOwnRoles');
    expect(protectedRoles['Effect']).toBe('Deny');
    expect(JSON.stringify(protectedRoles['Resource'])).toContain('GroundworkBoundary');
  });

  it('registers only after everything it vouches for exists, through Groundwork\'s topic', () => {
    const registration = original.Resources['GroundworkRegistration']!;
    expect(registration.Type).toBe('Custom::GroundworkRegistration');
    expect(registration.Properties?.['ServiceToken']).toEqual({ Ref: 'RegistrationTopicArn' });
    expect(registration.DependsOn).toEqual(expect.arrayContaining([ACCESS, EXECUTION, 'GroundworkBoundary']));
    expect(registration.Properties?.['RegistrationToken']).toEqual({ Ref: 'RegistrationToken' });
    expect(original.Parameters?.['RegistrationToken']?.NoEcho).toBe(true);
  });

  it('forwards, when asked, only CloudFormation status changes of groundwork-* stacks', () => {
    const rule = original.Resources['GroundworkStackEventsRule']!;
    expect(rule.Condition).toBe('ForwardEvents');
    const pattern = rule.Properties?.['EventPattern'] as { source: string[]; detail: { 'stack-id': Array<{ prefix: { 'Fn::Sub': string } }> } };
    expect(pattern.source).toEqual(['aws.cloudformation']);
    expect(pattern.detail['stack-id'][0]?.prefix['Fn::Sub']).toMatch(/:stack\/groundwork-$/);
  });
});
