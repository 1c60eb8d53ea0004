import type { CfnTemplate, CfnValue } from '../../cfn/template-types';
import type { ComponentName } from '../../model/components';
import type { ComponentTemplate } from '../../templates/component-template';
import { UnresolvedReferenceError, UnsupportedTemplateError } from './errors';

/**
 * Merges the component templates of one stack into one model, as if they were one template:
 * every resource is keyed `<component>.<LogicalId>`, and every `Ref` to a parameter is replaced by
 * what its source gives it — a dependency's Output, followed to the resource it names in that
 * other component (`security`'s `VpcId` becomes `{ $ref: 'network.Vpc' }`), or a literal value.
 *
 * Values that only AWS knows at deploy time (AZ names, the region, a Sub over a resource id)
 * stay symbolic as `DeployTimeValue`s; whoever needs them concretely decides whether that is an
 * error. A name that does not resolve (a Ref to nothing, a parameter without a source, an output
 * the source component does not declare) is always an error: a guess here would make the
 * reachability proof worthless.
 *
 * Longer than ~400 lines on purpose: it is a symbolic evaluator of CloudFormation's intrinsic
 * functions (Ref, GetAtt, Sub, Join, Select, If, …), and each intrinsic's rules read best beside
 * the others, as in the sandbox's concrete evaluator (local/sandbox/template-evaluator.ts).
 */

export type ResolvedScalar = string | number | boolean | null;

/** `Ref` to a resource of the stack: its physical id (a VPC id, a security group id …). */
export interface ResourceRef {
  readonly $ref: string;
}

/** `Fn::GetAtt` on a resource of the stack. */
export interface ResourceAttribute {
  readonly $getAtt: string;
  readonly attribute: string;
}

/**
 * A value computed by CloudFormation or AWS at deploy time: a pseudo parameter (`AWS::Region`), a
 * deploy-context parameter, or an intrinsic (`Fn::Join`, `Fn::Select`, `Fn::GetAZs` …) over values
 * that are not all literal. `args` are resolved, so references inside are still `<component>.<Id>`.
 */
export interface DeployTimeValue {
  readonly $deployTime: string;
  readonly args?: ResolvedValue;
}

export interface ResolvedObject {
  readonly [key: string]: ResolvedValue;
}

export type ResolvedValue = ResolvedScalar | ResolvedValue[] | ResourceRef | ResourceAttribute | DeployTimeValue | ResolvedObject;

export interface ResolvedResource {
  /** `<component>.<LogicalId>` */
  key: string;
  component: ComponentName;
  logicalId: string;
  type: string;
  properties: ResolvedObject;
}

export interface ResolvedStack {
  components: ComponentName[];
  resources: Record<string, ResolvedResource>;
}

export function isResourceRef(value: ResolvedValue | undefined): value is ResourceRef {
  return isPlainObject(value) && typeof value.$ref === 'string' && Object.keys(value).length === 1;
}

export function isResourceAttribute(value: ResolvedValue | undefined): value is ResourceAttribute {
  return isPlainObject(value) && typeof value.$getAtt === 'string' && typeof value.attribute === 'string';
}

export function isDeployTimeValue(value: ResolvedValue | undefined): value is DeployTimeValue {
  return isPlainObject(value) && typeof value.$deployTime === 'string';
}

export function isResolvedObject(value: ResolvedValue | undefined): value is ResolvedObject {
  return isPlainObject(value) && !isResourceRef(value) && !isResourceAttribute(value) && !isDeployTimeValue(value);
}

function isPlainObject(value: unknown): value is { [key: string]: ResolvedValue } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The key of a resource in the merged model. */
export function resourceKey(component: ComponentName, logicalId: string): string {
  return `${component}.${logicalId}`;
}

/** `AWS::NoValue`: the property (or list element) is removed. */
const NO_VALUE: unique symbol = Symbol('AWS::NoValue');
type Resolution = ResolvedValue | typeof NO_VALUE;

const PSEUDO_PARAMETERS = new Set([
  'AWS::AccountId', 'AWS::NotificationARNs', 'AWS::Partition', 'AWS::Region', 'AWS::StackId', 'AWS::StackName', 'AWS::URLSuffix',
]);

/** Intrinsics whose value AWS computes; their arguments are resolved but the result stays symbolic. */
const DEPLOY_TIME_FUNCTIONS = new Set(['Fn::GetAZs', 'Fn::Cidr', 'Fn::Base64', 'Fn::ToJsonString']);

export function resolveStack(templates: readonly ComponentTemplate[]): ResolvedStack {
  return new StackResolver(templates).resolve();
}

class StackResolver {
  private readonly byComponent = new Map<ComponentName, ComponentTemplate>();
  private readonly parameterValues = new Map<string, ResolvedValue>();
  private readonly parametersInProgress = new Set<string>();
  private readonly conditionValues = new Map<string, boolean>();
  private readonly conditionsInProgress = new Set<string>();

  constructor(templates: readonly ComponentTemplate[]) {
    for (const template of templates) {
      if (this.byComponent.has(template.component)) {
        throw new UnsupportedTemplateError(template.component, 'the stack has two templates for this component');
      }
      this.byComponent.set(template.component, template);
    }
  }

  resolve(): ResolvedStack {
    const resources: Record<string, ResolvedResource> = {};
    for (const [component, { template, parameters }] of this.byComponent) {
      const declared = template.Parameters ?? {};
      // CreateStack refuses a parameter the template does not declare, so an extra source is a
      // deploy failure waiting to happen, not something to skip over.
      for (const name of Object.keys(parameters)) {
        if (!(name in declared)) {
          throw new UnresolvedReferenceError(`${component}.Parameters.${name}`, 'has a source but the template declares no such parameter');
        }
      }
      for (const name of Object.keys(declared)) this.parameter(component, name, `${component}.Parameters.${name}`);

      for (const [logicalId, resource] of Object.entries(template.Resources)) {
        const path = `${component}.Resources.${logicalId}`;
        if (resource.Condition !== undefined && !this.condition(component, resource.Condition, `${path}.Condition`)) continue;
        const properties = resource.Properties === undefined ? {} : this.value(component, resource.Properties, `${path}.Properties`);
        if (!isResolvedObject(properties as ResolvedValue)) {
          throw new UnsupportedTemplateError(`${path}.Properties`, 'resolve to something other than an object');
        }
        const key = resourceKey(component, logicalId);
        resources[key] = { key, component, logicalId, type: resource.Type, properties: properties as ResolvedObject };
      }
    }
    return { components: [...this.byComponent.keys()], resources };
  }

  private template(component: ComponentName): CfnTemplate {
    const found = this.byComponent.get(component);
    if (found === undefined) throw new UnresolvedReferenceError(component, 'is not a component of this stack');
    return found.template;
  }

  /** Resolves one template value in the scope of `component`. */
  private value(component: ComponentName, raw: CfnValue, path: string): Resolution {
    if (raw === null || typeof raw !== 'object') return raw;
    if (Array.isArray(raw)) {
      const items: ResolvedValue[] = [];
      raw.forEach((item, index) => {
        const resolved = this.value(component, item, `${path}[${index}]`);
        if (resolved !== NO_VALUE) items.push(resolved);
      });
      return items;
    }
    const keys = Object.keys(raw);
    const [only] = keys;
    if (keys.length === 1 && only !== undefined && (only === 'Ref' || only.startsWith('Fn::'))) {
      return this.intrinsic(component, only, raw[only] as CfnValue, `${path}.${only}`);
    }
    const object: { [key: string]: ResolvedValue } = {};
    for (const key of keys) {
      const resolved = this.value(component, raw[key] as CfnValue, `${path}.${key}`);
      if (resolved !== NO_VALUE) object[key] = resolved;
    }
    return object;
  }

  /** Like `value`, for the places where AWS::NoValue makes no sense (arguments of intrinsics). */
  private argument(component: ComponentName, raw: CfnValue, path: string): ResolvedValue {
    const resolved = this.value(component, raw, path);
    if (resolved === NO_VALUE) throw new UnsupportedTemplateError(path, 'AWS::NoValue cannot be an argument of an intrinsic function');
    return resolved;
  }

  private intrinsic(component: ComponentName, name: string, args: CfnValue, path: string): Resolution {
    switch (name) {
      case 'Ref':
        return this.ref(component, args, path);
      case 'Fn::GetAtt':
        return this.getAtt(component, args, path);
      case 'Fn::Join':
        return this.join(component, args, path);
      case 'Fn::Select':
        return this.select(component, args, path);
      case 'Fn::Split':
        return this.split(component, args, path);
      case 'Fn::Sub':
        return this.sub(component, args, path);
      case 'Fn::If':
        return this.fnIf(component, args, path);
      case 'Fn::FindInMap':
        return this.findInMap(component, args, path);
      case 'Fn::Length': {
        const list = this.argument(component, args, path);
        return Array.isArray(list) ? list.length : { $deployTime: name, args: list };
      }
      case 'Fn::ImportValue':
        // Components hand values over as parameters so that each can be deleted alone (DESIGN.md §1).
        throw new UnsupportedTemplateError(path, 'cross-stack exports are not used by Groundwork components; pass the value as a parameter');
      default:
        if (DEPLOY_TIME_FUNCTIONS.has(name)) return { $deployTime: name, args: this.argument(component, args, path) };
        throw new UnsupportedTemplateError(path, `${name} is not an intrinsic the reachability resolver evaluates`);
    }
  }

  private ref(component: ComponentName, target: CfnValue, path: string): Resolution {
    if (typeof target !== 'string') throw new UnsupportedTemplateError(path, 'Ref takes a literal name');
    if (target === 'AWS::NoValue') return NO_VALUE;
    if (PSEUDO_PARAMETERS.has(target)) return { $deployTime: target };
    const template = this.template(component);
    if (template.Parameters?.[target] !== undefined) return this.parameter(component, target, path);
    const resource = template.Resources[target];
    if (resource !== undefined) {
      this.requireDeployed(component, target, path);
      return { $ref: resourceKey(component, target) };
    }
    throw new UnresolvedReferenceError(path, `Ref to "${target}", which is neither a parameter nor a resource of ${component}`);
  }

  private getAtt(component: ComponentName, args: CfnValue, path: string): ResolvedValue {
    let logicalId: CfnValue | undefined;
    let attribute: CfnValue | undefined;
    if (typeof args === 'string') {
      const dot = args.indexOf('.');
      [logicalId, attribute] = dot < 0 ? [args, undefined] : [args.slice(0, dot), args.slice(dot + 1)];
    } else if (Array.isArray(args)) {
      [logicalId, attribute] = args;
    }
    if (typeof logicalId !== 'string' || typeof attribute !== 'string') {
      throw new UnsupportedTemplateError(path, 'Fn::GetAtt needs a literal resource name and attribute');
    }
    if (this.template(component).Resources[logicalId] === undefined) {
      throw new UnresolvedReferenceError(path, `Fn::GetAtt on "${logicalId}", which is not a resource of ${component}`);
    }
    this.requireDeployed(component, logicalId, path);
    return { $getAtt: resourceKey(component, logicalId), attribute };
  }

  /** A reference to a resource whose Condition is false would fail at deploy time. */
  private requireDeployed(component: ComponentName, logicalId: string, path: string): void {
    const condition = this.template(component).Resources[logicalId]?.Condition;
    if (condition !== undefined && !this.condition(component, condition, path)) {
      throw new UnresolvedReferenceError(path, `refers to ${component}.${logicalId}, which its condition ${condition} leaves out`);
    }
  }

  private join(component: ComponentName, args: CfnValue, path: string): ResolvedValue {
    if (!Array.isArray(args) || args.length !== 2 || typeof args[0] !== 'string') {
      throw new UnsupportedTemplateError(path, 'Fn::Join takes [delimiter, list]');
    }
    const delimiter = args[0];
    const list = this.argument(component, args[1] as CfnValue, `${path}[1]`);
    if (Array.isArray(list) && list.every((item) => typeof item === 'string' || typeof item === 'number')) {
      return list.join(delimiter);
    }
    return { $deployTime: 'Fn::Join', args: [delimiter, list] };
  }

  private select(component: ComponentName, args: CfnValue, path: string): ResolvedValue {
    if (!Array.isArray(args) || args.length !== 2) throw new UnsupportedTemplateError(path, 'Fn::Select takes [index, list]');
    const index = this.argument(component, args[0] as CfnValue, `${path}[0]`);
    const list = this.argument(component, args[1] as CfnValue, `${path}[1]`);
    const position = typeof index === 'number' ? index : typeof index === 'string' && /^\d+$/.test(index) ? Number(index) : undefined;
    if (position === undefined) throw new UnsupportedTemplateError(path, 'Fn::Select needs a literal index');
    if (!Array.isArray(list)) return { $deployTime: 'Fn::Select', args: [position, list] };
    const item = list[position];
    if (item === undefined) throw new UnresolvedReferenceError(path, `Fn::Select index ${position} is outside a list of ${list.length}`);
    return item;
  }

  private split(component: ComponentName, args: CfnValue, path: string): ResolvedValue {
    if (!Array.isArray(args) || args.length !== 2 || typeof args[0] !== 'string') {
      throw new UnsupportedTemplateError(path, 'Fn::Split takes [delimiter, string]');
    }
    return splitValue(args[0], this.argument(component, args[1] as CfnValue, `${path}[1]`));
  }

  private sub(component: ComponentName, args: CfnValue, path: string): ResolvedValue {
    let text: CfnValue | undefined = args;
    let variables: { [name: string]: CfnValue } = {};
    if (Array.isArray(args)) {
      const [first, second] = args;
      text = first;
      if (second !== undefined) {
        if (second === null || typeof second !== 'object' || Array.isArray(second)) {
          throw new UnsupportedTemplateError(path, 'Fn::Sub variables must be an object');
        }
        variables = second;
      }
    }
    if (typeof text !== 'string') throw new UnsupportedTemplateError(path, 'Fn::Sub takes a literal string');

    const parts: ResolvedValue[] = [];
    const pattern = /\$\{([^}]*)\}/g;
    let last = 0;
    for (const match of text.matchAll(pattern)) {
      parts.push(text.slice(last, match.index));
      last = match.index + match[0].length;
      const name = match[1] ?? '';
      if (name.startsWith('!')) {
        parts.push(`\${${name.slice(1)}}`);
        continue;
      }
      const variable = variables[name];
      if (variable !== undefined) {
        parts.push(this.argument(component, variable, `${path}.${name}`));
      } else if (name.includes('.') && !PSEUDO_PARAMETERS.has(name)) {
        parts.push(this.getAtt(component, name, `${path}.\${${name}}`));
      } else {
        parts.push(this.argument(component, { Ref: name }, `${path}.\${${name}}`));
      }
    }
    parts.push(text.slice(last));
    const literal = parts.filter((part) => part !== '');
    if (literal.every((part) => typeof part === 'string' || typeof part === 'number')) return literal.join('');
    return { $deployTime: 'Fn::Join', args: ['', literal] };
  }

  private fnIf(component: ComponentName, args: CfnValue, path: string): Resolution {
    if (!Array.isArray(args) || args.length !== 3 || typeof args[0] !== 'string') {
      throw new UnsupportedTemplateError(path, 'Fn::If takes [condition, then, else]');
    }
    const chosen = this.condition(component, args[0], path) ? args[1] : args[2];
    return this.value(component, chosen as CfnValue, path);
  }

  private findInMap(component: ComponentName, args: CfnValue, path: string): ResolvedValue {
    if (!Array.isArray(args) || args.length < 3) throw new UnsupportedTemplateError(path, 'Fn::FindInMap takes [map, key, key]');
    const [map, first, second] = args.slice(0, 3).map((arg, index) => this.argument(component, arg, `${path}[${index}]`));
    if (typeof map !== 'string') throw new UnsupportedTemplateError(path, 'Fn::FindInMap needs a literal map name');
    const mapping = this.template(component).Mappings?.[map];
    if (mapping === undefined) throw new UnresolvedReferenceError(path, `no mapping "${map}" in ${component}`);
    if (typeof first !== 'string' || typeof second !== 'string') {
      // Typically keyed by AWS::Region: which entry applies is decided at deploy time.
      return { $deployTime: 'Fn::FindInMap', args: [map, first ?? null, second ?? null] };
    }
    const found = mapping[first]?.[second];
    if (found === undefined) throw new UnresolvedReferenceError(path, `mapping ${map} has no ${first}.${second}`);
    return this.argument(component, found, path);
  }

  /** A parameter's value, from its source. */
  private parameter(component: ComponentName, name: string, path: string): ResolvedValue {
    const key = `${component}.${name}`;
    const known = this.parameterValues.get(key);
    if (known !== undefined) return known;
    if (this.parametersInProgress.has(key)) throw new UnsupportedTemplateError(path, `parameter ${key} depends on itself through component outputs`);
    this.parametersInProgress.add(key);

    const { template, parameters } = this.byComponent.get(component) as ComponentTemplate;
    const declaration = template.Parameters?.[name];
    const source = parameters[name];
    if (declaration === undefined) throw new UnresolvedReferenceError(path, `${component} declares no parameter ${name}`);
    if (source === undefined) throw new UnresolvedReferenceError(`${component}.Parameters.${name}`, 'is declared but has no source');
    const isList = declaration.Type === 'CommaDelimitedList' || declaration.Type.startsWith('List<');

    let value: ResolvedValue;
    switch (source.kind) {
      case 'value':
        value = isList ? splitValue(',', source.value) : source.value;
        break;
      case 'context':
        value = { $deployTime: 'context', args: source.key };
        break;
      case 'zone':
        value = { $deployTime: 'zone', args: source.azIndex };
        break;
      case 'output': {
        const from = this.byComponent.get(source.component);
        const where = `${component}.Parameters.${name}`;
        if (from === undefined) {
          throw new UnresolvedReferenceError(where, `takes output ${source.output} of ${source.component}, which is not part of this stack`);
        }
        const output = from.template.Outputs?.[source.output];
        if (output === undefined) {
          throw new UnresolvedReferenceError(where, `takes output ${source.output} of ${source.component}, which ${source.component} does not declare`);
        }
        const outputPath = `${source.component}.Outputs.${source.output}`;
        if (output.Condition !== undefined && !this.condition(source.component, output.Condition, outputPath)) {
          throw new UnresolvedReferenceError(where, `takes output ${source.output} of ${source.component}, which its condition leaves out`);
        }
        const resolved = this.value(source.component, output.Value, `${outputPath}.Value`);
        if (resolved === NO_VALUE) throw new UnresolvedReferenceError(outputPath, 'resolves to AWS::NoValue');
        if (isList) {
          value = Array.isArray(resolved) ? resolved : splitValue(',', resolved);
        } else if (Array.isArray(resolved)) {
          throw new UnsupportedTemplateError(outputPath, `is a list but parameter ${key} is ${declaration.Type}; join it in the output`);
        } else {
          value = resolved;
        }
        break;
      }
    }
    this.parametersInProgress.delete(key);
    this.parameterValues.set(key, value);
    return value;
  }

  private condition(component: ComponentName, name: string, path: string): boolean {
    const key = `${component}.${name}`;
    const known = this.conditionValues.get(key);
    if (known !== undefined) return known;
    if (this.conditionsInProgress.has(key)) throw new UnsupportedTemplateError(path, `condition ${key} depends on itself`);
    const body = this.template(component).Conditions?.[name];
    if (body === undefined) throw new UnresolvedReferenceError(path, `no condition "${name}" in ${component}`);
    this.conditionsInProgress.add(key);
    const result = this.evaluateCondition(component, body, `${component}.Conditions.${name}`);
    this.conditionsInProgress.delete(key);
    this.conditionValues.set(key, result);
    return result;
  }

  private evaluateCondition(component: ComponentName, body: CfnValue, path: string): boolean {
    if (body === null || typeof body !== 'object' || Array.isArray(body) || Object.keys(body).length !== 1) {
      throw new UnsupportedTemplateError(path, 'a condition is one of Fn::Equals, Fn::And, Fn::Or, Fn::Not or Condition');
    }
    const [[name, args]] = Object.entries(body) as [[string, CfnValue]];
    if (name === 'Condition') {
      if (typeof args !== 'string') throw new UnsupportedTemplateError(path, 'Condition takes a name');
      return this.condition(component, args, path);
    }
    if (!Array.isArray(args)) throw new UnsupportedTemplateError(`${path}.${name}`, `${name} takes a list`);
    switch (name) {
      case 'Fn::Equals': {
        const [left, right] = args.map((arg, index) => this.argument(component, arg, `${path}.${name}[${index}]`));
        if (!isScalar(left) || !isScalar(right)) {
          throw new UnsupportedTemplateError(path, 'Fn::Equals over a value known only at deploy time: which resources exist cannot be decided');
        }
        return String(left) === String(right);
      }
      case 'Fn::And':
        return args.every((arg, index) => this.evaluateCondition(component, arg, `${path}.${name}[${index}]`));
      case 'Fn::Or':
        return args.some((arg, index) => this.evaluateCondition(component, arg, `${path}.${name}[${index}]`));
      case 'Fn::Not':
        return !this.evaluateCondition(component, args[0] ?? null, `${path}.${name}[0]`);
      default:
        throw new UnsupportedTemplateError(path, `${name} is not a condition function`);
    }
  }
}

function isScalar(value: ResolvedValue | undefined): value is string | number | boolean {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}

/** Fn::Split, also undoing a Fn::Join over the same delimiter (a list handed over as one output). */
function splitValue(delimiter: string, value: ResolvedValue): ResolvedValue {
  if (typeof value === 'string') return value.split(delimiter);
  if (isDeployTimeValue(value) && value.$deployTime === 'Fn::Join' && Array.isArray(value.args)) {
    const [joinedWith, list] = value.args;
    if (joinedWith === delimiter && Array.isArray(list)) return list;
  }
  return { $deployTime: 'Fn::Split', args: [delimiter, value] };
}
