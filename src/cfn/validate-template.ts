import { createRequire } from 'node:module';
import type { CfnTemplate, CfnValue } from './template-types';

/**
 * Checks a template against the CloudFormation resource specification (@aws-cdk/aws-service-spec):
 * resource types, property names and nested types, required properties, attributes used by GetAtt,
 * and that every Ref / GetAtt / Sub / DependsOn / Condition names something that exists.
 * It is what our tests, and the local sandbox account, use instead of cfn-lint (not available here).
 */
export interface TemplateProblem {
  path: string;
  message: string;
  /**
   * `warning`: a lint finding CloudFormation itself accepts (cfn-lint reports an unused parameter as
   * W2001; CreateStack and ValidateTemplate accept it). Absent: CloudFormation refuses the template.
   */
  severity?: 'warning';
  /** The whole message CloudFormation answers with, where the problem has one of its own. */
  awsMessage?: string;
}

export interface ValidateOptions {
  /**
   * Whether a resource's properties are checked (required, known, of their type). CloudFormation
   * checks them when it provisions the resource, so not for a resource whose Condition is false;
   * default: every resource.
   */
  checksProperties?: (logicalId: string) => boolean;
}

interface SpecType {
  type: 'string' | 'ref' | 'array' | 'boolean' | 'integer' | 'map' | 'union' | 'json' | 'number' | 'date-time' | 'tag' | 'null';
  element?: SpecType;
  types?: SpecType[];
  reference?: { $ref: string };
}
interface SpecProperty {
  type: SpecType;
  required?: boolean;
}
interface SpecResource {
  cloudFormationType: string;
  properties: Record<string, SpecProperty>;
  attributes: Record<string, { type?: SpecType }>;
  /** The properties that identify the resource; the first is what Ref returns unless cfnRefIdentifier says otherwise. */
  primaryIdentifier?: string[];
  cfnRefIdentifier?: string[];
}
interface SpecTypeDefinition {
  name: string;
  properties: Record<string, SpecProperty>;
}
interface SpecDb {
  lookup(table: 'resource', index: 'cloudFormationType', op: 'equals', value: string): { only(): SpecResource; length: number };
  get(table: 'typeDefinition', id: string): SpecTypeDefinition;
}

let specDb: SpecDb | undefined;
function db(): SpecDb {
  if (!specDb) {
    // The spec package is CommonJS and large; load it once, on first use.
    const require = createRequire(import.meta.url);
    const { loadAwsServiceSpecSync } = require('@aws-cdk/aws-service-spec') as { loadAwsServiceSpecSync(): SpecDb };
    specDb = loadAwsServiceSpecSync();
  }
  return specDb;
}

export function lookupResourceType(type: string): SpecResource | undefined {
  const found = db().lookup('resource', 'cloudFormationType', 'equals', type);
  return found.length === 1 ? found.only() : undefined;
}

export const PSEUDO_PARAMETERS = new Set([
  'AWS::AccountId', 'AWS::NotificationARNs', 'AWS::NoValue', 'AWS::Partition', 'AWS::Region',
  'AWS::StackId', 'AWS::StackName', 'AWS::URLSuffix',
]);

const TOP_LEVEL = new Set([
  'AWSTemplateFormatVersion', 'Description', 'Metadata', 'Parameters', 'Mappings', 'Conditions',
  'Transform', 'Resources', 'Outputs', 'Rules',
]);
const RESOURCE_KEYS = new Set([
  'Type', 'Properties', 'DependsOn', 'Condition', 'DeletionPolicy', 'UpdateReplacePolicy', 'Metadata',
  'CreationPolicy', 'UpdatePolicy',
]);
/**
 * A custom resource may also carry `Version` (a string or number, "1.0" in the example of
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-cloudformation-customresource.html;
 * cfn-lint's resource configuration schema allows it on custom resources only).
 */
const CUSTOM_RESOURCE_KEYS = new Set([...RESOURCE_KEYS, 'Version']);

/**
 * CloudFormation's words for Fn::GetAtt of an attribute the type does not have (the message AWS
 * answers, as quoted in serverless/serverless issues and kept by moto's UnformattedGetAttTemplateException).
 */
export function unsupportedAttributeMessage(logicalId: string, attribute: string): string {
  return `Template error: resource ${logicalId} does not support attribute type ${attribute} in Fn::GetAtt`;
}

function isCustomResource(type: string): boolean {
  return type.startsWith('Custom::') || type === 'AWS::CloudFormation::CustomResource';
}

function isObject(value: unknown): value is { [key: string]: CfnValue } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** An object with one key that is an intrinsic function: its value is computed, not checked by type. */
function intrinsicName(value: unknown): string | undefined {
  if (!isObject(value)) return undefined;
  const keys = Object.keys(value);
  if (keys.length !== 1) return undefined;
  const [key] = keys as [string];
  return key === 'Ref' || key === 'Condition' || key.startsWith('Fn::') ? key : undefined;
}

class TemplateChecker {
  readonly problems: TemplateProblem[] = [];
  private readonly parameters: Set<string>;
  private readonly resources: Set<string>;
  private readonly conditions: Set<string>;
  private readonly mappings: Set<string>;
  private readonly usedParameters = new Set<string>();

  constructor(
    private readonly template: CfnTemplate,
    private readonly options: ValidateOptions = {},
  ) {
    this.parameters = new Set(Object.keys(template.Parameters ?? {}));
    this.resources = new Set(Object.keys(template.Resources ?? {}));
    this.conditions = new Set(Object.keys(template.Conditions ?? {}));
    this.mappings = new Set(Object.keys(template.Mappings ?? {}));
  }

  private report(path: string, message: string, extra: Omit<TemplateProblem, 'path' | 'message'> = {}): void {
    this.problems.push({ path, message, ...extra });
  }

  check(): TemplateProblem[] {
    const t = this.template;
    for (const key of Object.keys(t)) if (!TOP_LEVEL.has(key)) this.report(key, `unknown top-level section "${key}"`);
    if (!isObject(t.Resources) || Object.keys(t.Resources).length === 0) this.report('Resources', 'a template needs at least one resource');
    for (const [name, condition] of Object.entries(t.Conditions ?? {})) this.walkIntrinsics(condition, `Conditions.${name}`, new Set());
    for (const [logicalId, resource] of Object.entries(t.Resources ?? {})) this.checkResource(logicalId, resource);
    for (const [name, output] of Object.entries(t.Outputs ?? {})) {
      if (output.Condition !== undefined && !this.conditions.has(output.Condition)) {
        this.report(`Outputs.${name}.Condition`, `unknown condition "${output.Condition}"`);
      }
      if (output.Value === undefined) this.report(`Outputs.${name}`, 'an output needs a Value');
      this.walkIntrinsics(output.Value, `Outputs.${name}.Value`, new Set());
      if (output.Export) this.walkIntrinsics(output.Export.Name, `Outputs.${name}.Export.Name`, new Set());
    }
    for (const [name, rule] of Object.entries(t.Rules ?? {})) this.walkIntrinsics(rule, `Rules.${name}`, new Set());
    for (const parameter of this.parameters) {
      if (!this.usedParameters.has(parameter)) this.report(`Parameters.${parameter}`, `parameter "${parameter}" is declared but never used`, { severity: 'warning' });
    }
    return this.problems;
  }

  private checkResource(logicalId: string, resource: CfnTemplate['Resources'][string]): void {
    const path = `Resources.${logicalId}`;
    if (!/^[A-Za-z0-9]+$/.test(logicalId)) this.report(path, 'logical ids are alphanumeric');
    const keys = isCustomResource(resource.Type) ? CUSTOM_RESOURCE_KEYS : RESOURCE_KEYS;
    for (const key of Object.keys(resource)) if (!keys.has(key)) this.report(`${path}.${key}`, `unknown resource attribute "${key}"`);
    const version: unknown = resource.Version;
    if (version !== undefined && typeof version !== 'string' && typeof version !== 'number') this.report(`${path}.Version`, 'Version is a string or a number');
    if (resource.Condition !== undefined && !this.conditions.has(resource.Condition)) {
      this.report(`${path}.Condition`, `unknown condition "${resource.Condition}"`);
    }
    const dependsOn = resource.DependsOn === undefined ? [] : [resource.DependsOn].flat();
    for (const target of dependsOn) {
      if (!this.resources.has(target)) this.report(`${path}.DependsOn`, `DependsOn names unknown resource "${target}"`);
    }
    const properties = resource.Properties ?? {};
    this.walkIntrinsics(properties, `${path}.Properties`, new Set());
    for (const section of ['Metadata', 'CreationPolicy', 'UpdatePolicy'] as const) {
      if (resource[section]) this.walkIntrinsics(resource[section], `${path}.${section}`, new Set());
    }

    const checksProperties = this.options.checksProperties?.(logicalId) ?? true;
    if (isCustomResource(resource.Type)) {
      if (checksProperties && properties['ServiceToken'] === undefined) this.report(`${path}.Properties.ServiceToken`, 'a custom resource needs a ServiceToken');
      return;
    }
    // The type is checked for every resource, as CloudFormation does ("Unrecognized resource types").
    const spec = lookupResourceType(resource.Type);
    if (!spec) {
      this.report(`${path}.Type`, `unknown resource type "${resource.Type}"`);
      return;
    }
    if (checksProperties) this.checkProperties(properties, spec.properties, `${path}.Properties`);
  }

  private checkProperties(value: { [key: string]: CfnValue }, spec: Record<string, SpecProperty>, path: string): void {
    for (const [name, property] of Object.entries(spec)) {
      if (property.required && value[name] === undefined) this.report(`${path}.${name}`, `required property "${name}" is missing`);
    }
    for (const [name, propertyValue] of Object.entries(value)) {
      const property = spec[name];
      if (!property) {
        this.report(`${path}.${name}`, `unknown property "${name}"`);
        continue;
      }
      this.checkValue(propertyValue, property.type, `${path}.${name}`);
    }
  }

  private checkValue(value: CfnValue, type: SpecType, path: string): void {
    if (intrinsicName(value) !== undefined) return;
    switch (type.type) {
      case 'string':
      case 'date-time':
        if (!['string', 'number', 'boolean'].includes(typeof value)) this.report(path, 'expected a string');
        return;
      case 'integer':
      case 'number':
        if (!(typeof value === 'number' || (typeof value === 'string' && value.trim() !== '' && !Number.isNaN(Number(value))))) {
          this.report(path, 'expected a number');
        }
        return;
      case 'boolean':
        if (!(typeof value === 'boolean' || value === 'true' || value === 'false')) this.report(path, 'expected a boolean');
        return;
      case 'json':
        if (!isObject(value) && !Array.isArray(value) && typeof value !== 'string') this.report(path, 'expected a JSON object');
        return;
      case 'array':
        if (!Array.isArray(value)) {
          this.report(path, 'expected a list');
          return;
        }
        value.forEach((element, index) => this.checkValue(element, type.element ?? { type: 'json' }, `${path}[${index}]`));
        return;
      case 'map':
        if (!isObject(value)) {
          this.report(path, 'expected a map');
          return;
        }
        for (const [key, element] of Object.entries(value)) this.checkValue(element, type.element ?? { type: 'json' }, `${path}.${key}`);
        return;
      case 'tag':
        if (!isObject(value) || value['Key'] === undefined || value['Value'] === undefined) this.report(path, 'expected a tag {Key, Value}');
        return;
      case 'ref': {
        if (!isObject(value)) {
          this.report(path, 'expected an object');
          return;
        }
        const definition = db().get('typeDefinition', type.reference?.$ref ?? '');
        this.checkProperties(value, definition.properties, path);
        return;
      }
      case 'union': {
        const options = type.types ?? [];
        const fits = options.some((option) => {
          const probe = new TemplateChecker(this.template, this.options);
          probe.checkValue(value, option, path);
          return probe.problems.length === 0;
        });
        if (!fits) {
          // Report against the closest option: the first one of the value's own shape.
          const shaped = options.find((o) => (isObject(value) ? ['ref', 'map', 'json'] : Array.isArray(value) ? ['array'] : ['string', 'number', 'integer', 'boolean']).includes(o.type));
          if (shaped) this.checkValue(value, shaped, path);
          else this.report(path, 'value matches none of the allowed types');
        }
        return;
      }
      default:
        return;
    }
  }

  /** Checks every intrinsic function inside a value: what it names must exist. */
  private walkIntrinsics(value: CfnValue | undefined, path: string, subVariables: Set<string>): void {
    if (Array.isArray(value)) {
      value.forEach((element, index) => this.walkIntrinsics(element, `${path}[${index}]`, subVariables));
      return;
    }
    if (!isObject(value)) return;
    const fn = intrinsicName(value);
    if (fn === undefined) {
      for (const [key, element] of Object.entries(value)) this.walkIntrinsics(element, `${path}.${key}`, subVariables);
      return;
    }
    const argument = value[fn] as CfnValue;
    switch (fn) {
      case 'Ref':
        if (typeof argument !== 'string') this.report(path, 'Ref takes a name');
        else this.checkName(argument, path, 'Ref');
        return;
      case 'Fn::GetAtt': {
        const [resource, attribute] = Array.isArray(argument) ? argument : typeof argument === 'string' ? argument.split(/\.(.*)/s) : [];
        if (typeof resource !== 'string' || (typeof attribute !== 'string' && intrinsicName(attribute) === undefined)) {
          this.report(path, 'Fn::GetAtt takes [resource, attribute]');
          return;
        }
        this.checkGetAtt(resource, typeof attribute === 'string' ? attribute : undefined, path);
        return;
      }
      case 'Fn::Sub': {
        const [text, variables] = Array.isArray(argument) ? argument : [argument, {}];
        if (typeof text !== 'string' || !isObject(variables ?? {})) {
          this.report(path, 'Fn::Sub takes a string, or [string, {variables}]');
          return;
        }
        const own = new Set(Object.keys((variables ?? {}) as object));
        this.walkIntrinsics(variables, `${path}.variables`, subVariables);
        for (const match of text.matchAll(/\$\{([^}]*)\}/g)) {
          const expression = match[1] ?? '';
          if (expression.startsWith('!')) continue;
          if (own.has(expression) || subVariables.has(expression)) continue;
          const dot = expression.indexOf('.');
          if (dot > 0 && !expression.startsWith('AWS::')) this.checkGetAtt(expression.slice(0, dot), expression.slice(dot + 1), path);
          else this.checkName(expression, path, 'Fn::Sub');
        }
        return;
      }
      case 'Fn::FindInMap': {
        const [map] = Array.isArray(argument) ? argument : [];
        if (typeof map === 'string' && !this.mappings.has(map)) this.report(path, `Fn::FindInMap names unknown mapping "${map}"`);
        this.walkIntrinsics(argument, `${path}.${fn}`, subVariables);
        return;
      }
      case 'Fn::If': {
        const [condition, ...branches] = Array.isArray(argument) ? argument : [];
        if (typeof condition !== 'string' || branches.length !== 2) this.report(path, 'Fn::If takes [condition, then, else]');
        else if (!this.conditions.has(condition)) this.report(path, `Fn::If names unknown condition "${condition}"`);
        branches.forEach((branch, index) => this.walkIntrinsics(branch, `${path}.${fn}[${index + 1}]`, subVariables));
        return;
      }
      case 'Condition':
        if (typeof argument !== 'string' || !this.conditions.has(argument)) this.report(path, `unknown condition "${String(argument)}"`);
        return;
      default:
        this.walkIntrinsics(argument, `${path}.${fn}`, subVariables);
    }
  }

  private checkName(name: string, path: string, fn: string): void {
    if (PSEUDO_PARAMETERS.has(name)) return;
    if (this.parameters.has(name)) {
      this.usedParameters.add(name);
      return;
    }
    if (this.resources.has(name)) return;
    this.report(path, `${fn} names "${name}", which is no parameter, resource or pseudo parameter`);
  }

  private checkGetAtt(logicalId: string, attribute: string | undefined, path: string): void {
    const resource = this.template.Resources?.[logicalId];
    if (!resource) {
      this.report(path, `Fn::GetAtt names unknown resource "${logicalId}"`);
      return;
    }
    if (attribute === undefined || isCustomResource(resource.Type)) return;
    // A nested stack's outputs: `Outputs.<NestedStackOutputName>` (AWS::CloudFormation::Stack, "Return values", CloudFormation User Guide).
    if (resource.Type === 'AWS::CloudFormation::Stack' && /^Outputs\.[A-Za-z0-9]+$/.test(attribute)) return;
    const spec = lookupResourceType(resource.Type);
    if (spec && !(attribute in spec.attributes)) {
      this.report(path, `${resource.Type} has no attribute "${attribute}"`, { awsMessage: unsupportedAttributeMessage(logicalId, attribute) });
    }
  }
}

/** Every problem found (warnings included); an empty list means the template is consistent with the specification. */
export function validateTemplate(template: CfnTemplate, options: ValidateOptions = {}): TemplateProblem[] {
  return new TemplateChecker(template, options).check();
}
