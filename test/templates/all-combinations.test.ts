import type { CfnTemplate } from '../../src/cfn/template-types';
import { validateTemplate } from '../../src/cfn/validate-template';
import { componentsFor, componentStackName } from '../../src/model/components';
import { buildStackTemplates } from '../../src/templates/build-stack-templates';
import type { ComponentTemplate } from '../../src/templates/component-template';
import { allCombinations, STACK_ID, templateInput, TENANT_ID, type Combination } from './fixtures';
import {
  exportProblems,
  getAzsProblems,
  leftoverLogGroupProblems,
  parameterSourceProblems,
  roleProblems,
  secretExposureProblems,
  specificationProblems,
  tagProblems,
  type TemplateCheck,
} from './template-checks';
import { componentTemplate, props, resource } from './template-queries';

/**
 * Every template of every option combination, checked against the CloudFormation specification and
 * the rules every component shares. Each check collects the failures of all combinations, so a
 * failure names the combination, the component and the place. (The specification loads once per
 * test file, so the checks that need it all live here.)
 */
const combinations: Array<Combination & { templates: ComponentTemplate[] }> = allCombinations().map((combination) => ({
  ...combination,
  templates: buildStackTemplates(combination.input),
}));
const EXPECTED = { tenantId: TENANT_ID, stackId: STACK_ID };

function failuresOver(check: TemplateCheck): string[] {
  return combinations.flatMap(({ label, templates }) =>
    templates.flatMap((template) => check(template, templates, EXPECTED).map((failure) => `${label} | ${template.component}: ${failure}`)),
  );
}

describe('templates of every option combination', () => {
  it('covers every combination: 2 and 3 AZs, 4 NAT modes, 4 frontends, database, bastion, compute, endpoints', () => {
    expect(combinations).toHaveLength(320);
    expect(new Set(combinations.map((c) => c.label)).size).toBe(320);
  });

  it('builds one template per deployed component, in componentsFor order, named after the stack', () => {
    const failures = combinations.flatMap(({ label, input, templates }) => {
      const expected = componentsFor(input.request).join(',');
      const actual = templates.map((t) => t.component).join(',');
      const badNames = templates.filter((t) => t.stackName !== componentStackName(STACK_ID, t.component)).map((t) => t.stackName);
      return [...(actual === expected ? [] : [`${label}: ${actual} ≠ ${expected}`]), ...badNames.map((name) => `${label}: stack name ${name}`)];
    });
    expect(failures).toEqual([]);
  });

  it('passes the CloudFormation specification check (types, properties, required, references, parameter use)', () => {
    expect(failuresOver(specificationProblems)).toEqual([]);
  });

  it('gives every parameter a source; every output source is a declared output of a deployed dependency', () => {
    expect(failuresOver(parameterSourceProblems)).toEqual([]);
  });

  it('never indexes Fn::GetAZs: every AZ is one the stack chose from what its region offers', () => {
    expect(failuresOver(getAzsProblems)).toEqual([]);
  });

  it('uses no cross-stack exports or imports, so each component can be deleted alone', () => {
    expect(failuresOver(exportProblems)).toEqual([]);
  });

  it('tags every resource whose type takes tags with tenant, stack and component', () => {
    expect(failuresOver(tagProblems)).toEqual([]);
  });

  it('creates no IAM role, profile or policy: instances use the onboarding stack\'s fixed roles', () => {
    expect(failuresOver(roleProblems)).toEqual([]);
  });

  it('never puts a password in a template or an output: only dynamic references and the secret ARN', () => {
    expect(failuresOver(secretExposureProblems)).toEqual([]);
  });

  it('owns every log group a service would otherwise create, and lets each expire and go with the stack', () => {
    const groupCount = combinations.flatMap((c) => c.templates).flatMap((t) => Object.values(t.template.Resources)).filter((r) => r.Type === 'AWS::Logs::LogGroup').length;
    expect(groupCount).toBeGreaterThan(0);
    expect(failuresOver(leftoverLogGroupProblems)).toEqual([]);
  });
});

describe('each check catches a deliberately broken template', () => {
  // Prepare: the default stack (NAT instance, ALB, database) plus a bastion: every kind of component that has roles.
  const fresh = (): ComponentTemplate[] =>
    buildStackTemplates(templateInput({ bastion: { enabled: true, allowedCidr: '203.0.113.0/24' } }));
  const problemsOf = (check: TemplateCheck, component: ComponentTemplate['component'], breakIt: (t: ComponentTemplate, all: ComponentTemplate[]) => void): string[] => {
    const all = fresh();
    const target = componentTemplate(all, component);
    expect(check(target, all, EXPECTED)).toEqual([]);
    breakIt(target, all);
    return check(target, all, EXPECTED);
  };

  it('specification: an unknown property', () => {
    const problems = problemsOf(specificationProblems, 'network', (t) => {
      props(t.template, 'Vpc')['EnableDnsHostname'] = true;
    });
    expect(problems).toEqual(['Resources.Vpc.Properties.EnableDnsHostname: unknown property "EnableDnsHostname"']);
  });

  it('parameter sources: an output the dependency does not declare, and a source from a non-dependency', () => {
    const problems = problemsOf(parameterSourceProblems, 'database', (t, all) => {
      delete componentTemplate(all, 'secrets').template.Outputs?.['DatabaseSecretArn'];
      t.parameters['IsolatedSubnetIds'] = { kind: 'output', component: 'cluster', output: 'ClusterName' };
    });
    expect(problems.sort()).toEqual([
      'DatabaseSecretArn: secrets has no output DatabaseSecretArn',
      'IsolatedSubnetIds comes from cluster, not a dependency',
    ]);
  });

  it('GetAZs: a subnet in the n-th AZ Fn::GetAZs happens to return', () => {
    const problems = problemsOf(getAzsProblems, 'network', (t) => {
      props(t.template, 'PublicSubnet2')['AvailabilityZone'] = { 'Fn::Select': [2, { 'Fn::GetAZs': '' }] };
    });
    expect(problems).toEqual(['Resources.PublicSubnet2.Properties.AvailabilityZone.Fn::Select[1] uses Fn::GetAZs']);
  });

  it('exports: an exported output', () => {
    const problems = problemsOf(exportProblems, 'network', (t) => {
      const output = t.template.Outputs?.['VpcId'];
      if (output) output.Export = { Name: 'shared-vpc' };
    });
    expect(problems).toEqual(['output VpcId is exported']);
  });

  it('tags: a resource without the component tag, and an auto-scaling group tag not propagated', () => {
    const problems = problemsOf(tagProblems, 'cluster', (t) => {
      const cluster = props(t.template, 'Cluster');
      cluster['Tags'] = (cluster['Tags'] as Array<{ Key: string }>).filter((tag) => tag.Key !== 'groundwork:component');
      const group = props(t.template, 'AutoScalingGroup');
      group['Tags'] = (group['Tags'] as Array<{ [key: string]: string | boolean }>).map((tag) => ({ ...tag, PropagateAtLaunch: false }));
    });
    expect(problems).toEqual(['Cluster (AWS::ECS::Cluster) lacks groundwork:component', 'AutoScalingGroup has tags not propagated at launch']);
  });

  it('roles: a component that creates its own role', () => {
    const problems = problemsOf(roleProblems, 'bastion', (t) => {
      t.template.Resources['BastionRole'] = { Type: 'AWS::IAM::Role', Properties: { AssumeRolePolicyDocument: {} } };
    });
    expect(problems).toEqual(['BastionRole: creates AWS::IAM::Role; use a role of the onboarding stack']);
  });

  it('secrets: a literal password and an output of the secret value', () => {
    const problems = problemsOf(secretExposureProblems, 'database', (t) => {
      props(t.template, 'Database')['MasterUserPassword'] = 'hunter2hunter2';
      t.template.Outputs = { ...t.template.Outputs, Leak: { Value: '{{resolve:secretsmanager:x:SecretString:password}}' } };
    });
    expect(problems).toEqual([
      'Resources.Database.Properties.MasterUserPassword is not a Secrets Manager dynamic reference',
      'an output resolves a secret',
      'an output mentions a password',
    ]);
  });

  it('leftover log groups: a group kept forever or retained, and a cluster that no longer depends on it', () => {
    const problems = problemsOf(leftoverLogGroupProblems, 'cluster', (t) => {
      const group = resource(t.template, 'ContainerInsightsLogGroup');
      delete group.Properties?.['RetentionInDays'];
      group.DeletionPolicy = 'Retain';
      delete resource(t.template, 'Cluster').DependsOn;
    });
    expect(problems).toEqual([
      'ContainerInsightsLogGroup keeps its logs forever',
      'ContainerInsightsLogGroup can outlive the stack',
      'Cluster does not depend on its log group ContainerInsightsLogGroup',
    ]);
  });

  it('leftover log groups: a Container Insights group under another name, and a cluster with a generated name', () => {
    const renamed = problemsOf(leftoverLogGroupProblems, 'cluster', (t) => {
      props(t.template, 'ContainerInsightsLogGroup')['LogGroupName'] = '/aws/ecs/containerinsights/cluster/performance';
    });
    const unnamed = problemsOf(leftoverLogGroupProblems, 'cluster', (t) => {
      delete props(t.template, 'Cluster')['ClusterName'];
    });
    expect([...renamed, ...unnamed]).toEqual([
      'Cluster leaves Container Insights to create its log group',
      'Cluster has no fixed ClusterName to name its Container Insights log group after',
    ]);
  });

  it('leftover log groups: a database exporting logs or using enhanced monitoring', () => {
    const problems = problemsOf(leftoverLogGroupProblems, 'database', (t) => {
      props(t.template, 'Database')['EnableCloudwatchLogsExports'] = ['postgresql'];
      props(t.template, 'Database')['MonitoringInterval'] = 60;
    });
    expect(problems).toEqual([
      'Database exports logs to groups RDS creates',
      'Database writes enhanced monitoring to the account-wide RDSOSMetrics group',
    ]);
  });
});

describe('the specification check itself', () => {
  const minimal = (): CfnTemplate => ({
    Parameters: { VpcId: { Type: 'AWS::EC2::VPC::Id' } },
    Resources: { Group: { Type: 'AWS::EC2::SecurityGroup', Properties: { GroupDescription: 'test', VpcId: { Ref: 'VpcId' } } } },
  });

  it('accepts a minimal valid template', () => {
    expect(validateTemplate(minimal())).toEqual([]);
  });

  it('reports a missing required property, a dangling Sub variable and an unused parameter', () => {
    // Prepare
    const broken: CfnTemplate = {
      Parameters: { Unused: { Type: 'String' } },
      Resources: { Group: { Type: 'AWS::EC2::SecurityGroup', Properties: { VpcId: { 'Fn::Sub': '${NoSuchThing}' } } } },
    };
    // Act
    const messages = validateTemplate(broken).map((p) => p.message);
    // Assess
    expect(messages).toEqual(
      expect.arrayContaining(['required property "GroupDescription" is missing', expect.stringContaining('"NoSuchThing"'), 'parameter "Unused" is declared but never used']),
    );
  });
});
