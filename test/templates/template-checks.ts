import type { CfnValue } from '../../src/cfn/template-types';
import { lookupResourceType, validateTemplate } from '../../src/cfn/validate-template';
import { COMPONENT_DEPENDENCIES } from '../../src/model/components';
import { DEPLOY_CONTEXT_KEYS } from '../../src/model/deploy-context';
import type { ComponentTemplate } from '../../src/templates/component-template';
import { TAG_KEYS } from '../../src/templates/tags';
import { walk } from './template-queries';

/**
 * The rules every component template must follow, each a function returning what is wrong (empty
 * when all is well), so that the tests can run them over every combination and also show that each
 * one catches a deliberately broken template.
 */
export type TemplateCheck = (template: ComponentTemplate, all: ComponentTemplate[], expected: { tenantId: string; stackId: string }) => string[];

export const specificationProblems: TemplateCheck = ({ template }) => validateTemplate(template).map((p) => `${p.path}: ${p.message}`);

export const parameterSourceProblems: TemplateCheck = ({ component, template, parameters }, all) => {
  const declared = Object.keys(template.Parameters ?? {});
  const problems: string[] = [];
  for (const name of declared) if (parameters[name] === undefined) problems.push(`parameter ${name} has no source`);
  for (const [name, source] of Object.entries(parameters)) {
    if (!declared.includes(name)) problems.push(`source for undeclared parameter ${name}`);
    if (source.kind === 'output') {
      if (!COMPONENT_DEPENDENCIES[component].includes(source.component)) problems.push(`${name} comes from ${source.component}, not a dependency`);
      const producer = all.find((t) => t.component === source.component);
      if (!producer) problems.push(`${name} comes from ${source.component}, which is not deployed`);
      else if (producer.template.Outputs?.[source.output] === undefined) problems.push(`${name}: ${source.component} has no output ${source.output}`);
    } else if (source.kind === 'value') {
      if (source.value === '') problems.push(`${name} has an empty literal value`);
    } else if (source.kind === 'zone') {
      if (!Number.isInteger(source.azIndex) || source.azIndex < 0 || source.azIndex > 2) problems.push(`${name} takes AZ ${source.azIndex}, not one a plan has`);
    } else if (!(DEPLOY_CONTEXT_KEYS as readonly string[]).includes(source.key)) {
      problems.push(`${name} takes unknown context ${String(source.key)}`);
    }
  }
  return problems;
};

export const exportProblems: TemplateCheck = ({ template }) => [
  ...Object.entries(template.Outputs ?? {}).filter(([, o]) => o.Export !== undefined).map(([name]) => `output ${name} is exported`),
  ...(JSON.stringify(template).includes('Fn::ImportValue') ? ['uses Fn::ImportValue'] : []),
];

export const tagProblems: TemplateCheck = ({ component, template }, _all, expected) =>
  Object.entries(template.Resources).flatMap(([logicalId, resource]) => {
    const spec = lookupResourceType(resource.Type);
    if (!spec || !('Tags' in spec.properties)) return [];
    const tags = tagMap(resource.Properties?.['Tags']);
    const wanted: Array<[string, string]> = [[TAG_KEYS.tenant, expected.tenantId], [TAG_KEYS.stack, expected.stackId], [TAG_KEYS.component, component]];
    const missing = wanted.filter(([key, value]) => tags.get(key) !== value).map(([key]) => key);
    const problems = missing.length > 0 ? [`${logicalId} (${resource.Type}) lacks ${missing.join(', ')}`] : [];
    if (resource.Type === 'AWS::AutoScaling::AutoScalingGroup') {
      const list = resource.Properties?.['Tags'];
      if (!Array.isArray(list) || list.some((t) => !isObject(t) || t['PropagateAtLaunch'] !== true)) problems.push(`${logicalId} has tags not propagated at launch`);
    }
    return problems;
  });

/**
 * No template asks CloudFormation for the region's AZs: `Fn::GetAZs` "returns only Availability Zones
 * that have a default subnet unless none of the Availability Zones has a default subnet" (AWS
 * CloudFormation Template Reference, Fn::GetAZs), so an index into it fails in accounts and regions
 * with fewer (fidelity review D5). Every AZ is a parameter the stack chose from what the region offers.
 */
export const getAzsProblems: TemplateCheck = ({ template }) =>
  [...walk(template as unknown as CfnValue)]
    .filter(([, value]) => typeof value === 'object' && value !== null && !Array.isArray(value) && 'Fn::GetAZs' in value)
    .map(([path]) => `${path} uses Fn::GetAZs`);

/** No component stack creates an IAM resource: the fixed roles come from the onboarding stack (decision 0009). */
export const roleProblems: TemplateCheck = ({ template }) =>
  Object.entries(template.Resources)
    .filter(([, resource]) => resource.Type.startsWith('AWS::IAM::'))
    .map(([logicalId, resource]) => `${logicalId}: creates ${resource.Type}; use a role of the onboarding stack`);

export const secretExposureProblems: TemplateCheck = ({ template }) => {
  const problems: string[] = [];
  for (const [path, value] of walk(template as unknown as CfnValue)) {
    const key = path.split('.').pop() ?? '';
    if (/password/i.test(key) && key !== 'PasswordLength' && !JSON.stringify(value).includes('{{resolve:secretsmanager:')) {
      problems.push(`${path} is not a Secrets Manager dynamic reference`);
    }
    if (key === 'SecretString') problems.push(`${path} sets a literal secret`);
  }
  const outputs = JSON.stringify(template.Outputs ?? {});
  if (outputs.includes('{{resolve:')) problems.push('an output resolves a secret');
  if (/password/i.test(outputs)) problems.push('an output mentions a password');
  return problems;
};

/**
 * "It never leaves resources behind": a log group a service creates by itself is no part of the
 * stack and outlives it. So every group a template declares expires and goes with the stack; an ECS
 * cluster's Container Insights group (/aws/ecs/containerinsights/<ClusterName>/performance, named
 * by CloudWatch) is declared under a fixed cluster name and the cluster depends on it, unless the
 * cluster turns Container Insights off (without a setting the account's default could turn it on);
 * and an RDS instance neither exports logs nor uses enhanced monitoring, whose groups
 * (/aws/rds/instance/<id>/<log>, the account-wide RDSOSMetrics) no template owns.
 */
export const leftoverLogGroupProblems: TemplateCheck = ({ template }) => {
  const resources = Object.entries(template.Resources);
  const groupsByName = new Map<CfnValue | undefined, string>(
    resources.filter(([, resource]) => resource.Type === 'AWS::Logs::LogGroup').map(([logicalId, resource]) => [resource.Properties?.['LogGroupName'], logicalId]),
  );
  return resources.flatMap(([logicalId, resource]): string[] => {
    const properties = resource.Properties ?? {};
    if (resource.Type === 'AWS::Logs::LogGroup') {
      return [
        ...(typeof properties['RetentionInDays'] === 'number' ? [] : [`${logicalId} keeps its logs forever`]),
        ...(resource.DeletionPolicy === 'Delete' && resource.UpdateReplacePolicy === 'Delete' ? [] : [`${logicalId} can outlive the stack`]),
      ];
    }
    if (resource.Type === 'AWS::ECS::Cluster') {
      const settings = Array.isArray(properties['ClusterSettings']) ? properties['ClusterSettings'] : [];
      if (settings.some((setting) => isObject(setting) && setting['Name'] === 'containerInsights' && setting['Value'] === 'disabled')) return [];
      const name = properties['ClusterName'];
      if (typeof name !== 'string') return [`${logicalId} has no fixed ClusterName to name its Container Insights log group after`];
      const group = groupsByName.get(`/aws/ecs/containerinsights/${name}/performance`);
      if (group === undefined) return [`${logicalId} leaves Container Insights to create its log group`];
      return [resource.DependsOn ?? []].flat().includes(group) ? [] : [`${logicalId} does not depend on its log group ${group}`];
    }
    if (resource.Type === 'AWS::RDS::DBInstance') {
      const exports = properties['EnableCloudwatchLogsExports'];
      const monitoring = properties['MonitoringInterval'];
      return [
        ...(exports === undefined || (Array.isArray(exports) && exports.length === 0) ? [] : [`${logicalId} exports logs to groups RDS creates`]),
        ...(monitoring === undefined || Number(monitoring) === 0 ? [] : [`${logicalId} writes enhanced monitoring to the account-wide RDSOSMetrics group`]),
      ];
    }
    return [];
  });
};

function isObject(value: CfnValue | undefined): value is { [key: string]: CfnValue } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The Tags of a resource as key → value, whichever shape its type uses (list, ASG list, map). */
function tagMap(tags: CfnValue | undefined): Map<string, CfnValue> {
  if (Array.isArray(tags)) return new Map(tags.filter(isObject).map((tag) => [String(tag['Key']), tag['Value'] ?? null]));
  return new Map(isObject(tags) ? Object.entries(tags) : []);
}
