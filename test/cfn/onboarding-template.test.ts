import { readdirSync, readFileSync } from 'node:fs';
import { isIamWrite, policyStatements, type PolicyStatement } from '../../src/cfn/policy-statements';
import { readTemplate } from '../../src/cfn/read-template';
import type { CfnTemplate, CfnValue } from '../../src/cfn/template-types';
import { validateTemplate } from '../../src/cfn/validate-template';
import { buildStackTemplates } from '../../src/templates/build-stack-templates';
import { WORKLOAD_LOG_GROUP_PREFIX } from '../../src/templates/fixed-roles';
import { allCombinations } from '../templates/fixtures';

/**
 * cfn/onboarding-role.yaml is what a customer runs in their own account: it must be valid
 * CloudFormation, and it must give Groundwork no more than the design says. Every check is run
 * on the real template (no violation) and on a deliberately broken copy (the violation found).
 */
const original = readTemplate(readFileSync(new URL('../../cfn/onboarding-role.yaml', import.meta.url), 'utf8'));
const fresh = (): CfnTemplate => structuredClone(original);

const ACCESS = 'GroundworkAccessRole';
const EXECUTION = 'GroundworkExecutionRole';

const same = (a: CfnValue | undefined, b: CfnValue) => JSON.stringify(a) === JSON.stringify(b);
const allows = (statements: PolicyStatement[], owner: string) => statements.filter((s) => s.owner === owner && s.kind === 'identity' && s.effect === 'Allow');

/** The Allow statements a role holds: its inline policies and the managed policies attached to it. */
function heldBy(template: CfnTemplate, role: string): PolicyStatement[] {
  const attached = Object.entries(template.Resources)
    .filter(([, r]) => r.Type === 'AWS::IAM::ManagedPolicy' && JSON.stringify(r.Properties?.['Roles'] ?? []).includes(JSON.stringify({ Ref: role })))
    .map(([id]) => id);
  return policyStatements(template).filter((s) => (s.owner === role || attached.includes(s.owner)) && s.kind === 'identity' && s.effect === 'Allow');
}

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

/** The roles made once here for the stacks' instances and tasks, and the one service each serves. */
const FIXED_ROLES: Record<string, string> = {
  GroundworkNatInstanceRole: 'ec2.amazonaws.com',
  GroundworkContainerInstanceRole: 'ec2.amazonaws.com',
  GroundworkBastionRole: 'ec2.amazonaws.com',
  GroundworkTaskExecutionRole: 'ecs-tasks.amazonaws.com',
};

/**
 * What the execution role may do in IAM: pass a fixed role, to that role's own service, and create
 * the services' linked roles. No role, profile or policy write: no stack can make a role.
 */
function executionRoleIamProblems(template: CfnTemplate): string[] {
  return heldBy(template, EXECUTION).flatMap((s) => {
    const iam = s.actions.filter((a) => a.toLowerCase().startsWith('iam:'));
    const problems = iam.filter((a) => isIamWrite(a) && a !== 'iam:CreateServiceLinkedRole').map((a) => `${s.sid ?? '?'}: ${a}`);
    if (!iam.includes('iam:PassRole')) return problems;
    const passedTo = s.condition?.['StringEquals']?.['iam:PassedToService'];
    for (const resource of s.resources) {
      const role = typeof resource === 'object' && resource !== null && !Array.isArray(resource) && Array.isArray(resource['Fn::GetAtt']) ? String(resource['Fn::GetAtt'][0]) : undefined;
      const service = role === undefined ? undefined : FIXED_ROLES[role];
      if (service === undefined) problems.push(`${s.sid ?? '?'}: passes ${JSON.stringify(resource)}, not a fixed role`);
      else if (!same(passedTo, service)) problems.push(`${s.sid ?? '?'}: passes ${role} to ${JSON.stringify(passedTo ?? 'any service')}, not ${service}`);
    }
    return problems;
  });
}

/** Each fixed role is trusted by exactly its own service, and by nothing else. */
function fixedRoleTrustProblems(template: CfnTemplate): string[] {
  return Object.entries(FIXED_ROLES).flatMap(([role, service]) => {
    const trust = policyStatements(template).filter((s) => s.owner === role && s.kind === 'trust');
    if (trust.length === 0) return [`${role}: missing`];
    return trust.filter((s) => s.effect === 'Allow' && !same(s.principal, { Service: service })).map((s) => `${role} trusts ${JSON.stringify(s.principal)}`);
  });
}

function statement(template: CfnTemplate, owner: string, sid: string): Record<string, CfnValue> {
  const policies = template.Resources[owner]?.Properties?.['Policies'] as Array<{ PolicyDocument: { Statement: Array<Record<string, CfnValue>> } }>;
  const found = policies.flatMap((p) => p.PolicyDocument.Statement).find((s) => s['Sid'] === sid);
  if (!found) throw new Error(`no statement ${sid} on ${owner}`);
  return found;
}

/** The fixed roles that attach managed policies by ARN (whose statements are not in the template). */
function managedPolicyArns(template: CfnTemplate): string[] {
  return Object.keys(FIXED_ROLES).filter((role) => ((template.Resources[role]?.Properties?.['ManagedPolicyArns'] ?? []) as unknown[]).length > 0);
}

/**
 * What the review found code on Groundwork's instances could reach through AWS's managed policies:
 * SSM parameters (row #24), and the ECS agent's actions on every cluster (row #31).
 */
function workloadReachProblems(template: CfnTemplate): string[] {
  const owners = [...Object.keys(FIXED_ROLES), 'GroundworkPullAndLogPolicy'];
  return policyStatements(template)
    .filter((s) => s.kind === 'identity' && s.effect === 'Allow' && owners.includes(s.owner))
    .flatMap((s) => {
      const where = `${s.owner}/${s.sid ?? '?'}`;
      const problems = s.actions.filter((a) => /^ssm:Get/i.test(a) || a === 'ssm:*').map((a) => `${where}: ${a}`);
      const clusterActions = s.actions.filter((a) => a.startsWith('ecs:') && a !== 'ecs:DiscoverPollEndpoint');
      if (clusterActions.length > 0 && s.resources.some((r) => !/:(cluster|container-instance)\/groundwork-\*/.test(JSON.stringify(r)))) problems.push(`${where}: ecs on ${s.resources.map((r) => JSON.stringify(r)).join(', ')}`);
      return problems;
    });
}

/** The access role's CloudFormation calls are denied outside AllowedRegions (or the stack's region). */
function regionProblems(template: CfnTemplate): string[] {
  const deny = policyStatements(template).find(
    (s) => s.owner === ACCESS && s.kind === 'identity' && s.effect === 'Deny' && s.actions.includes('cloudformation:*') && same(s.resources[0], '*'),
  );
  if (!deny) return ['no Deny of CloudFormation outside the allowed regions'];
  const regions = deny.condition?.['StringNotEquals']?.['aws:RequestedRegion'];
  return same(regions, { 'Fn::If': ['AllowedRegionsGiven', { Ref: 'AllowedRegions' }, [{ Ref: 'AWS::Region' }]] }) ? [] : [`regions ${JSON.stringify(regions)}`];
}

/**
 * The customer-account calls production code sends (src/, functions/), as IAM actions: every
 * `new XCommand(` and `paginateX(` imported from the SDK clients that only the access role's
 * credentials ever reach (CloudFormation for the workflow; EC2 and RDS for the region checks; ECS and
 * Cloud Map for the teardown's workload check). This
 * is what the access role must allow.
 */
const CUSTOMER_CLIENTS: Record<string, string> = { 'client-cloudformation': 'cloudformation', 'client-ec2': 'ec2', 'client-rds': 'rds', 'client-ecs': 'ecs', 'client-servicediscovery': 'servicediscovery' };

function customerCallsSent(): string[] {
  const sent = new Set<string>();
  for (const dir of ['src', 'functions']) {
    for (const file of readdirSync(new URL(`../../${dir}`, import.meta.url), { recursive: true, encoding: 'utf8' })) {
      if (!file.endsWith('.ts')) continue;
      const source = readFileSync(new URL(`../../${dir}/${file}`, import.meta.url), 'utf8');
      for (const [client, service] of Object.entries(CUSTOMER_CLIENTS)) {
        const imports = [...source.matchAll(new RegExp(`import\\s*(?:type\\s*)?\\{([^}]*)\\}\\s*from\\s*'@aws-sdk\\/${client}'`, 'g'))];
        const names = imports.flatMap((m) => (m[1] ?? '').split(',').map((name) => name.trim()));
        for (const name of names) {
          const command = /^([A-Z]\w*)Command$/.exec(name)?.[1];
          if (command !== undefined && source.includes(`new ${name}(`)) sent.add(`${service}:${command}`);
          const paginated = /^paginate([A-Z]\w*)$/.exec(name)?.[1];
          if (paginated !== undefined && source.includes(`${name}(`)) sent.add(`${service}:${paginated}`);
        }
      }
    }
  }
  return [...sent];
}

describe('cfn/onboarding-role.yaml', () => {
  it('makes the same access-log delivery policy as cfn/api-access-log-delivery.yaml, on Groundwork\'s vended log groups only (decision 0018)', () => {
    const regional = readTemplate(readFileSync(new URL('../../cfn/api-access-log-delivery.yaml', import.meta.url), 'utf8'));
    const here = original.Resources['GroundworkApiAccessLogDelivery'];
    const there = regional.Resources['GroundworkApiAccessLogDelivery'];
    expect(here?.Type).toBe('AWS::Logs::ResourcePolicy');
    expect(there).toEqual(here);
    const document = JSON.parse(String((here?.Properties?.['PolicyDocument'] as { 'Fn::Sub': string })['Fn::Sub'])) as { Statement: Array<Record<string, unknown>> };
    expect(document.Statement.map((statement) => statement['Resource'])).toEqual(['arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:/aws/vendedlogs/groundwork-*:log-stream:*']);
    expect(document.Statement.map((statement) => statement['Principal'])).toEqual([{ Service: 'delivery.logs.amazonaws.com' }]);
  });

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
    statement(broken, EXECUTION, 'PassTheTaskExecutionRoleToEcsTasks')['Action'] = ['iam:PassRole', 'iam:*'];
    expect(wildcardIam(broken)).toEqual(['GroundworkExecutionRole/PassTheTaskExecutionRoleToEcsTasks: iam:PassRole,iam:*']);
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
    for (const sid of ['CreateGroundworkStacksOfGroundworkTemplates', 'DeleteGroundworkStacksThroughTheExecutionRole']) {
      expect(statement(original, ACCESS, sid)['Condition']).toMatchObject({ StringEquals: { 'cloudformation:RoleArn': { 'Fn::GetAtt': [EXECUTION, 'Arn'] } } });
    }
    const broken = fresh();
    statement(broken, ACCESS, 'DeleteGroundworkStacksThroughTheExecutionRole')['Resource'] = '*';
    expect(unscopedStackActions(broken)).toEqual(['DeleteGroundworkStacksThroughTheExecutionRole: "*"']);
  });

  it('gives the access role exactly the calls Groundwork makes in the customer account, nothing more', () => {
    const granted = (template: CfnTemplate) => allows(policyStatements(template), ACCESS).flatMap((s) => s.actions).sort();
    // Besides the calls it sends, what CloudFormation does with the caller's credentials: pass the
    // role, and read the templates' SSM-typed parameters.
    const used = [...customerCallsSent(), 'iam:PassRole', 'ssm:GetParameters'].sort();
    expect(used).toEqual(
      expect.arrayContaining(['cloudformation:CreateStack', 'cloudformation:DeleteStack', 'cloudformation:DescribeStacks', 'ec2:DescribeAvailabilityZones', 'rds:DescribeDBEngineVersions']),
    );
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

  it('lets the execution role write nothing in IAM: it passes each fixed role only to its own service', () => {
    expect(executionRoleIamProblems(original)).toEqual([]);
    const createsRoles = fresh();
    const generated = createsRoles.Resources['GroundworkExecutionPolicy1']!.Properties!['PolicyDocument'] as { Statement: Array<Record<string, CfnValue>> };
    generated.Statement.push({ Sid: 'Sneaky', Effect: 'Allow', Action: 'iam:CreateRole', Resource: '*' });
    expect(executionRoleIamProblems(createsRoles)).toEqual(['Sneaky: iam:CreateRole']);
    const anyRole = fresh();
    statement(anyRole, EXECUTION, 'PassTheTaskExecutionRoleToEcsTasks')['Resource'] = '*';
    expect(executionRoleIamProblems(anyRole)).toEqual(['PassTheTaskExecutionRoleToEcsTasks: passes "*", not a fixed role']);
    const wrongService = fresh();
    statement(wrongService, EXECUTION, 'PassTheFixedRolesEachToItsService')['Condition'] = { StringEquals: { 'iam:PassedToService': 'lambda.amazonaws.com' } };
    expect(executionRoleIamProblems(wrongService)).toContain('PassTheFixedRolesEachToItsService: passes GroundworkNatInstanceRole to "lambda.amazonaws.com", not ec2.amazonaws.com');
  });

  it('asks CloudFormation for nothing in the execution role\'s trust that AWS does not document it sends (review U1)', () => {
    const trust = (template: CfnTemplate) => JSON.stringify(template.Resources[EXECUTION]?.Properties?.['AssumeRolePolicyDocument']);
    expect(trust(original)).not.toContain('Condition');
    expect(trust(original)).toContain('cloudformation.amazonaws.com');
  });

  it('makes the fixed roles the stacks need, each assumable only by its own AWS service', () => {
    expect(fixedRoleTrustProblems(original)).toEqual([]);
    const outside = fresh();
    (outside.Resources['GroundworkBastionRole']!.Properties!['AssumeRolePolicyDocument'] as { Statement: Array<Record<string, CfnValue>> }).Statement[0]!['Principal'] = { AWS: '444455556666' };
    expect(fixedRoleTrustProblems(outside)).toEqual(['GroundworkBastionRole trusts {"AWS":"444455556666"}']);
  });

  it('lets the NAT instance role only attach and modify interfaces tagged as a NAT component\'s, on instances tagged so, and signal nat stacks', () => {
    const nat = original.Resources['GroundworkNatInstanceRole']!.Properties!;
    expect(nat['ManagedPolicyArns']).toBeUndefined();
    const statements = policyStatements(original).filter((s) => s.owner === 'GroundworkNatInstanceRole' && s.kind === 'identity');
    const ec2 = statements.filter((s) => s.actions.every((action) => action.startsWith('ec2:')));
    expect(ec2.map((s) => s.actions)).toEqual([['ec2:AttachNetworkInterface', 'ec2:ModifyNetworkInterfaceAttribute']]);
    expect(ec2[0]?.resources.map((r) => JSON.stringify(r))).toEqual([expect.stringMatching(/:network-interface\/\*'?"}$/), expect.stringMatching(/:instance\/\*'?"}$/)]);
    for (const s of ec2) expect(s.condition?.['StringEquals']).toEqual({ 'aws:ResourceTag/groundwork:component': 'nat' });
    const signal = statements.filter((s) => s.actions.includes('cloudformation:SignalResource'));
    expect(signal.map((s) => s.actions)).toEqual([['cloudformation:SignalResource']]);
    expect(JSON.stringify(signal[0]?.resources)).toContain(':cloudformation:*:${AWS::AccountId}:stack/groundwork-*-nat/*');
    expect(statements).toHaveLength(2);
  });

  it('attaches no AWS managed policy to a fixed role: everything they hold is in this template, where it can be judged', () => {
    expect(managedPolicyArns(original)).toEqual([]);
    const broken = fresh();
    broken.Resources['GroundworkBastionRole']!.Properties!['ManagedPolicyArns'] = [{ 'Fn::Sub': 'arn:${AWS::Partition}:iam::aws:policy/AmazonSSMManagedInstanceCore' }];
    expect(managedPolicyArns(broken)).toEqual(['GroundworkBastionRole']);
  });

  it('gives no fixed role a Systems Manager parameter read, nor ECS control of clusters other than Groundwork\'s', () => {
    expect(workloadReachProblems(original)).toEqual([]);
    const parameters = fresh();
    (statement(parameters, 'GroundworkBastionRole', 'NoResourceLevelPermission')['Action'] as string[]).push('ssm:GetParameters');
    expect(workloadReachProblems(parameters)).toEqual(['GroundworkBastionRole/NoResourceLevelPermission: ssm:GetParameters']);
    const anyCluster = fresh();
    statement(anyCluster, 'GroundworkContainerInstanceRole', 'GroundworkClustersOnly')['Resource'] = '*';
    expect(workloadReachProblems(anyCluster)).toEqual(['GroundworkContainerInstanceRole/GroundworkClustersOnly: ecs on "*"']);
  });

  it('names the clusters the container instances may join as the cluster builder names them', () => {
    const glob = JSON.stringify(statement(original, 'GroundworkContainerInstanceRole', 'GroundworkClustersOnly')['Resource']).match(/:cluster\/([^'"]+)/)?.[1] ?? '';
    const pattern = new RegExp(`^${glob.replaceAll('*', '.*')}$`);
    const clusterNames = allCombinations()
      .flatMap(({ input }) => buildStackTemplates(input))
      .flatMap(({ template }) => Object.values(template.Resources).filter((r) => r.Type === 'AWS::ECS::Cluster').map((r) => String(r.Properties?.['ClusterName'])));
    expect(clusterNames.length).toBeGreaterThan(0);
    for (const name of clusterNames) expect(name).toMatch(pattern);
  });

  it('lets the workloads write logs only to groups under WORKLOAD_LOG_GROUP_PREFIX', () => {
    const logs = policyStatements(original).filter((s) => s.kind === 'identity' && s.actions.some((a) => a.startsWith('logs:')) && Object.keys(FIXED_ROLES).concat('GroundworkPullAndLogPolicy').includes(s.owner));
    expect(logs.map((s) => s.owner)).toEqual(['GroundworkPullAndLogPolicy']);
    expect(logs[0]?.resources).toEqual([{ 'Fn::Sub': `arn:\${AWS::Partition}:logs:*:\${AWS::AccountId}:log-group:${WORKLOAD_LOG_GROUP_PREFIX}*` }]);
    // Only the task execution role pulls and ships logs; an instance with the container profile reaches no repository.
    expect(original.Resources['GroundworkPullAndLogPolicy']?.Properties?.['Roles']).toEqual([{ Ref: 'GroundworkTaskExecutionRole' }]);
  });

  it('confines every CloudFormation call of the access role to the regions the customer allows (AllowedRegions, else the stack\'s own)', () => {
    expect(regionProblems(original)).toEqual([]);
    expect(original.Parameters?.['AllowedRegions']).toMatchObject({ Type: 'CommaDelimitedList', Default: '' });
    const dropped = fresh();
    const policy = (dropped.Resources[ACCESS]!.Properties!['Policies'] as Array<{ PolicyDocument: { Statement: Array<Record<string, CfnValue>> } }>)[0]!.PolicyDocument;
    policy.Statement = policy.Statement.filter((s) => s['Sid'] !== 'OnlyInTheAllowedRegions');
    expect(regionProblems(dropped)).toEqual(['no Deny of CloudFormation outside the allowed regions']);
    const narrowed = fresh();
    statement(narrowed, ACCESS, 'OnlyInTheAllowedRegions')['Action'] = 'cloudformation:DeleteStack';
    expect(regionProblems(narrowed)).toEqual(['no Deny of CloudFormation outside the allowed regions']);
  });

  it('keeps Groundwork\'s own roles out of reach of the stacks it builds', () => {
    for (const role of [ACCESS, EXECUTION, ...Object.keys(FIXED_ROLES)]) {
      const name = original.Resources[role]?.Properties?.['RoleName'] as { 'Fn::Sub': string };
      expect(name['Fn::Sub']).toMatch(/^Groundwork[A-Za-z]+-\$\{GroundworkAccountId\}$/);
      expect(name['Fn::Sub'].startsWith('groundwork-')).toBe(false);
    }
    // No IAM write on the execution role (above) is what keeps them out of reach.
    expect(original.Resources['GroundworkBoundary']).toBeUndefined();
  });

  it('registers only after everything it vouches for exists, through Groundwork\'s topic', () => {
    const registration = original.Resources['GroundworkRegistration']!;
    expect(registration.Type).toBe('Custom::GroundworkRegistration');
    expect(registration.Properties?.['ServiceToken']).toEqual({ Ref: 'RegistrationTopicArn' });
    expect(registration.DependsOn).toEqual(
      expect.arrayContaining([ACCESS, EXECUTION, 'GroundworkNatInstanceProfile', 'GroundworkContainerInstanceProfile', 'GroundworkBastionProfile', 'GroundworkTaskExecutionRole']),
    );
    expect(Object.keys(registration.Properties ?? {})).toEqual(
      expect.arrayContaining(['NatInstanceProfileArn', 'ContainerInstanceProfileArn', 'BastionInstanceProfileArn', 'TaskExecutionRoleArn']),
    );
    expect(registration.Properties?.['RegistrationToken']).toEqual({ Ref: 'RegistrationToken' });
    expect(original.Parameters?.['RegistrationToken']?.NoEcho).toBe(true);
  });

  it('forwards nothing to Groundwork: no rule, no role for EventBridge, no bus parameter (nothing consumes them; decision 0012, L3)', () => {
    const types = Object.values(original.Resources).map((resource) => resource.Type);
    expect(types).not.toContain('AWS::Events::Rule');
    expect(Object.keys(original.Parameters ?? {})).not.toContain('GroundworkEventBusArn');
    expect(Object.keys(original.Parameters ?? {})).not.toContain('EnableEventForwarding');
    expect(Object.keys(original.Resources['GroundworkRegistration']?.Properties ?? {})).not.toContain('EventForwarding');
    expect(JSON.stringify(original)).not.toContain('events.amazonaws.com');
  });
});
