import { readTemplate } from '../../src/cfn/read-template';
import type { CfnParameter, CfnTemplate } from '../../src/cfn/template-types';
import { validateTemplate, type ValidateOptions } from '../../src/cfn/validate-template';
import { AwsApiError, ValidationError } from './errors';
import { regionZones } from './data/ec2-regions';
import { publicParameterValue } from './data/ssm-public-parameters';
import { dependencyGraph } from '../../src/cfn/resource-graph';
import { TemplateResolutionError } from './errors';
import { isListParameterType, TemplateEvaluator, type StackIdentity } from './template-evaluator';

/**
 * What CloudFormation checks in a CreateStack request before it creates anything: the stack name,
 * the template (against the resource specification), parameters, capabilities and tags, with the
 * messages CloudFormation answers. Shared by the sandbox and the unit tests' double.
 */

export const STACK_NAME_PATTERN = /^[a-zA-Z][-a-zA-Z0-9]*$/;
export const MAX_STACK_NAME = 128;
export const MAX_TEMPLATE_BODY = 51_200;
/** A template read from TemplateURL (an S3 object) may be larger (CloudFormation User Guide, "CloudFormation quotas": 1 MB). */
export const MAX_TEMPLATE_URL_BODY = 1_048_576;
export const MAX_TAGS = 50;

/**
 * The property that gives an IAM resource its custom name (what needs CAPABILITY_NAMED_IAM). Only on
 * the type it names: an AWS::IAM::AccessKey's UserName names the user it is for, not itself.
 */
const IAM_NAME_PROPERTIES: Readonly<Record<string, string>> = {
  'AWS::IAM::Role': 'RoleName', 'AWS::IAM::User': 'UserName', 'AWS::IAM::Group': 'GroupName',
  'AWS::IAM::ManagedPolicy': 'ManagedPolicyName', 'AWS::IAM::InstanceProfile': 'InstanceProfileName',
};

export interface GivenParameter {
  ParameterKey?: string | undefined;
  ParameterValue?: string | undefined;
}
export interface GivenTag {
  Key?: string | undefined;
  Value?: string | undefined;
}

export interface CreateStackRequest {
  stackName: string;
  templateBody: string;
  /** The body was read from TemplateURL, whose size limit is MAX_TEMPLATE_URL_BODY. */
  templateFromUrl?: boolean;
  parameters: GivenParameter[];
  capabilities: string[];
  tags: GivenTag[];
  notificationArns: string[];
  roleArn?: string;
  onFailure?: string;
  disableRollback?: boolean;
  timeoutInMinutes?: number;
  clientRequestToken?: string;
  enableTerminationProtection?: boolean;
  /** Checked already (stack-policy.ts). */
  stackPolicyBody?: string;
}

export type OnFailure = 'ROLLBACK' | 'DELETE' | 'DO_NOTHING';

/** A CreateStack request's template, parameters and tags as CloudFormation accepts them, or its refusal. */
export function checkCreateStackRequest(request: CreateStackRequest): { template: CfnTemplate; parameters: Record<string, string>; tags: Record<string, string>; onFailure: OnFailure } {
  checkStackName(request.stackName);
  const template = parseTemplateBody(request.templateBody, request.templateFromUrl ? 'url' : 'body');
  const parameters = resolveParameters(template, request.parameters);
  const tags = resolveTags(request.tags);
  const missing = missingCapabilities(template, request.capabilities);
  if (missing.length > 0) throw new AwsApiError('InsufficientCapabilitiesException', `Requires capabilities : [${missing.join(', ')}]`);
  if (template.Transform !== undefined) throw new ValidationError('The sandbox account does not run macros or transforms (Transform); expand the template first.');
  if (request.onFailure !== undefined && request.disableRollback !== undefined) {
    throw new ValidationError('You cannot specify both DisableRollback and OnFailure.');
  }
  const onFailure = request.onFailure ?? (request.disableRollback ? 'DO_NOTHING' : 'ROLLBACK');
  if (onFailure !== 'ROLLBACK' && onFailure !== 'DELETE' && onFailure !== 'DO_NOTHING') {
    throw new ValidationError(`1 validation error detected: Value '${onFailure}' at 'onFailure' failed to satisfy constraint: Member must satisfy enum value set: [ROLLBACK, DELETE, DO_NOTHING]`);
  }
  return { template, parameters, tags, onFailure };
}

/**
 * The resources a template's conditions leave in for these parameters, checked (their properties,
 * no dependency cycle), with their dependency graph: what CreateStack and UpdateStack will run.
 */
export function plannedResources(template: CfnTemplate, identity: StackIdentity): { present: string[]; graph: Map<string, string[]> } {
  let present: string[];
  try {
    present = new TemplateEvaluator(template, identity).resourcesToCreate();
  } catch (error) {
    if (error instanceof TemplateResolutionError) throw new ValidationError(error.message);
    throw error;
  }
  checkConditionalResources(template, present);
  const graph = dependencyGraph(template, present);
  assertAcyclic(graph);
  return { present, graph };
}

export function checkStackName(name: string): void {
  if (!STACK_NAME_PATTERN.test(name) || name.length > MAX_STACK_NAME) {
    throw new ValidationError(
      `1 validation error detected: Value '${name}' at 'stackName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z][-a-zA-Z0-9]* and have length less than or equal to ${MAX_STACK_NAME}`,
    );
  }
}

/**
 * Reads and checks a template body: YAML or JSON, consistent with the CloudFormation specification.
 * The properties of a resource with a Condition are checked once its condition is known
 * (checkConditionalResources), since CloudFormation checks only the resources it provisions.
 */
export function parseTemplateBody(body: string | undefined, source: 'body' | 'url' = 'body'): CfnTemplate {
  if (body === undefined || body === '') throw new ValidationError('Either Template URL or Template Body must be specified.');
  if (source === 'url' && Buffer.byteLength(body) > MAX_TEMPLATE_URL_BODY) throw new ValidationError(`Template may not exceed ${MAX_TEMPLATE_URL_BODY} bytes in size.`);
  if (source === 'body' && Buffer.byteLength(body) > MAX_TEMPLATE_BODY) {
    throw new ValidationError(`1 validation error detected: Value at 'templateBody' failed to satisfy constraint: Member must have length less than or equal to ${MAX_TEMPLATE_BODY}`);
  }
  let template: unknown;
  try {
    template = readTemplate(body);
  } catch (error) {
    throw new ValidationError(`Template format error: ${body.trimStart().startsWith('{') ? 'JSON' : 'YAML'} not well-formed. (${(error as Error).message})`);
  }
  if (typeof template !== 'object' || template === null || Array.isArray(template)) {
    throw new ValidationError('Template format error: unsupported structure.');
  }
  const resources = (template as Partial<CfnTemplate>).Resources;
  throwProblems(template as CfnTemplate, { checksProperties: (logicalId) => resources?.[logicalId]?.Condition === undefined });
  return template as CfnTemplate;
}

/**
 * The properties of the resources with a Condition that CloudFormation will create (`present`):
 * a resource whose condition is false is never provisioned, so its properties are never checked
 * (a false-condition custom resource without ServiceToken is accepted); its type is, in parseTemplateBody.
 */
export function checkConditionalResources(template: CfnTemplate, present: readonly string[]): void {
  const created = new Set(present);
  throwProblems(template, { checksProperties: (logicalId) => template.Resources[logicalId]?.Condition !== undefined && created.has(logicalId) });
}

/** What CloudFormation refuses, in its words where the problem has them; lint warnings (an unused parameter) are accepted, as AWS does. */
function throwProblems(template: CfnTemplate, options: ValidateOptions): void {
  const problems = validateTemplate(template, options).filter((problem) => problem.severity !== 'warning');
  const worded = problems.find((problem) => problem.awsMessage !== undefined);
  if (worded?.awsMessage !== undefined) throw new ValidationError(worded.awsMessage);
  if (problems.length > 0) {
    throw new ValidationError(`Template format error: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`);
  }
}

/** Every declared parameter's value: the given one (checked against its constraints) or its default. */
export function resolveParameters(template: CfnTemplate, given: readonly GivenParameter[]): Record<string, string> {
  const declared = template.Parameters ?? {};
  const values = new Map<string, string>();
  for (const parameter of given) {
    if (parameter.ParameterKey !== undefined && parameter.ParameterValue !== undefined) values.set(parameter.ParameterKey, parameter.ParameterValue);
  }
  if (values.size > 0 && Object.keys(declared).length === 0) {
    throw new ValidationError('Parameter values specified for a template which does not require them.');
  }
  const unknown = [...values.keys()].filter((key) => !(key in declared));
  if (unknown.length > 0) throw new ValidationError(`Parameters: [${unknown.join(', ')}] do not exist in the template`);
  const missing = Object.entries(declared)
    .filter(([key, definition]) => !values.has(key) && definition.Default === undefined)
    .map(([key]) => key);
  if (missing.length > 0) throw new ValidationError(`Parameters: [${missing.join(', ')}] must have values`);

  const resolved: Record<string, string> = {};
  for (const [key, definition] of Object.entries(declared)) {
    const value = values.get(key) ?? String(definition.Default);
    if (values.has(key)) checkParameterValue(key, definition, value);
    resolved[key] = value;
  }
  return resolved;
}

function checkParameterValue(key: string, definition: CfnParameter, value: string): void {
  const fail = (message: string): never => {
    throw new ValidationError(definition.ConstraintDescription ? `Parameter '${key}' failed to satisfy constraint: ${definition.ConstraintDescription}` : message);
  };
  const isList = isListParameterType(definition.Type);
  const elements = isList ? value.split(',').map((element) => element.trim()) : [value];
  const elementType = isList ? definition.Type.replace(/^List<(.*)>$/, '$1') : definition.Type;
  for (const element of elements) {
    if (definition.AllowedValues && !definition.AllowedValues.map(String).includes(element)) fail(`Parameter '${key}' must be one of AllowedValues`);
    if (definition.AllowedPattern !== undefined && !new RegExp(`^(?:${definition.AllowedPattern})$`).test(element)) {
      fail(`Parameter '${key}' must match pattern ${definition.AllowedPattern}`);
    }
    if (definition.MinLength !== undefined && element.length < definition.MinLength) fail(`Parameter '${key}' must contain at least ${definition.MinLength} characters`);
    if (definition.MaxLength !== undefined && element.length > definition.MaxLength) fail(`Parameter '${key}' must contain at most ${definition.MaxLength} characters`);
    if (elementType === 'Number') {
      const number = Number(element);
      if (element.trim() === '' || Number.isNaN(number)) fail(`Parameter '${key}' must be a number`);
      if (definition.MinValue !== undefined && number < definition.MinValue) fail(`Parameter '${key}' must be a number not less than ${definition.MinValue}`);
      if (definition.MaxValue !== undefined && number > definition.MaxValue) fail(`Parameter '${key}' must be a number not greater than ${definition.MaxValue}`);
    }
    // AWS-specific types name things in the account; CloudFormation refuses values that cannot be one.
    const idPrefix = { 'AWS::EC2::VPC::Id': 'vpc', 'AWS::EC2::Subnet::Id': 'subnet', 'AWS::EC2::SecurityGroup::Id': 'sg' }[elementType];
    if (idPrefix !== undefined && !new RegExp(`^${idPrefix}-[0-9a-f]{8,17}$`).test(element)) {
      throw new ValidationError(`Parameter validation failed: parameter value ${element} for parameter name ${key} does not exist.`);
    }
  }
}

/**
 * Values of `AWS::SSM::Parameter::Value<…>` parameters, as CloudFormation reads them from Parameter
 * Store. The sandbox's Parameter Store holds the AWS public parameters of its dated data
 * (data/ssm-public-parameters.ts: AMI ids); any other name does not exist there, and CloudFormation
 * refuses the request ("Unable to fetch parameters [kms_arn] from parameter store for this account.",
 * a ValidationError of CreateChangeSet quoted in awslabs/aws-deployment-framework#339; the same for
 * CreateStack in awslabs/landing-zone-accelerator-on-aws#177).
 */
export function resolveSsmParameters(template: CfnTemplate, parameters: Record<string, string>, region: string): Record<string, string> {
  const resolved: Record<string, string> = {};
  for (const [key, definition] of Object.entries(template.Parameters ?? {})) {
    if (!definition.Type.startsWith('AWS::SSM::Parameter::Value<')) continue;
    const names = (parameters[key] ?? '').split(',').map((name) => name.trim());
    const missing = names.filter((name) => publicParameterValue(region, name) === undefined);
    if (missing.length > 0) throw new ValidationError(`Unable to fetch parameters [${missing.join(',')}] from parameter store for this account.`);
    resolved[key] = names.map((name) => publicParameterValue(region, name) ?? '').join(',');
  }
  return resolved;
}

/**
 * `AWS::EC2::AvailabilityZone::Name` parameters (and their lists) must name AZs of the stack's region:
 * CloudFormation validates AWS-specific parameter types against the account before it creates
 * anything ("AWS-specific parameter types", CloudFormation User Guide), with the same words as for
 * the other AWS-specific types. The region's AZs are the sandbox's data (data/ec2-regions.ts).
 */
export function checkAvailabilityZoneParameters(template: CfnTemplate, parameters: Record<string, string>, region: string): void {
  const zones = regionZones(region);
  if (zones === undefined) return;
  for (const [key, definition] of Object.entries(template.Parameters ?? {})) {
    if (definition.Type !== 'AWS::EC2::AvailabilityZone::Name' && definition.Type !== 'List<AWS::EC2::AvailabilityZone::Name>') continue;
    for (const value of (parameters[key] ?? '').split(',').map((element) => element.trim())) {
      if (!zones.some((zone) => zone.name === value)) throw new ValidationError(`Parameter validation failed: parameter value ${value} for parameter name ${key} does not exist.`);
    }
  }
}

/** Capabilities CloudFormation asks for before it creates a stack from this template. */
export function requiredCapabilities(template: CfnTemplate): string[] {
  const needed: string[] = [];
  const iam = Object.values(template.Resources).filter((resource) => resource.Type.startsWith('AWS::IAM::'));
  if (iam.some((resource) => resource.Properties?.[IAM_NAME_PROPERTIES[resource.Type] ?? ''] !== undefined)) needed.push('CAPABILITY_NAMED_IAM');
  else if (iam.length > 0) needed.push('CAPABILITY_IAM');
  if (template.Transform !== undefined) needed.push('CAPABILITY_AUTO_EXPAND');
  return needed;
}

/** The capabilities of `required` that `given` lacks (NAMED_IAM covers IAM). */
export function missingCapabilities(template: CfnTemplate, given: readonly string[]): string[] {
  return requiredCapabilities(template).filter((needed) => !(given.includes(needed) || (needed === 'CAPABILITY_IAM' && given.includes('CAPABILITY_NAMED_IAM'))));
}

export function resolveTags(tags: readonly GivenTag[]): Record<string, string> {
  if (tags.length > MAX_TAGS) throw new ValidationError(`1 validation error detected: Value at 'tags' failed to satisfy constraint: Member must have length less than or equal to ${MAX_TAGS}`);
  const resolved: Record<string, string> = {};
  for (const tag of tags) {
    if (tag.Key === undefined || tag.Value === undefined) throw new ValidationError('Tags must have a Key and a Value');
    if (tag.Key.toLowerCase().startsWith('aws:')) throw new ValidationError(`Invalid tag key: "${tag.Key}": the aws: prefix is reserved`);
    resolved[tag.Key] = tag.Value;
  }
  return resolved;
}

/** Refuses a template whose resources wait on each other in a circle, as CloudFormation does. */
export function assertAcyclic(graph: ReadonlyMap<string, readonly string[]>): void {
  const state = new Map<string, 'visiting' | 'done'>();
  const path: string[] = [];
  const visit = (node: string): void => {
    if (state.get(node) === 'done') return;
    if (state.get(node) === 'visiting') {
      const cycle = path.slice(path.indexOf(node));
      throw new ValidationError(`Circular dependency between resources: [${cycle.join(', ')}]`);
    }
    state.set(node, 'visiting');
    path.push(node);
    for (const next of graph.get(node) ?? []) visit(next);
    path.pop();
    state.set(node, 'done');
  };
  for (const node of graph.keys()) visit(node);
}
