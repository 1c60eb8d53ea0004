import type { CfnTemplate, CfnValue } from '../../src/cfn/template-types';
import { ValidationError } from './errors';
import { isListParameterType } from './template-evaluator';

/**
 * A template's `Rules` section, as CloudFormation reads it (CloudFormation User Guide, "CloudFormation
 * template Rules syntax", https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/rules-section-structure.html,
 * and Template Reference, "Rule functions",
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/intrinsic-function-reference-rules.html;
 * read 2026-12-06): each rule has an optional `RuleCondition` and its `Assertions`, each an `Assert`
 * with an optional `AssertDescription`. The rules "validate parameter values before CloudFormation
 * creates or updates any resources": when the condition holds (or there is none), every assertion
 * must hold, else "CloudFormation doesn't create or update the stack". ValidateTemplate has no
 * parameter values: it checks the section's shape only.
 *
 * The refusal is a ValidationError whose message is the assertion's AssertDescription: what the
 * rule's author wrote for that case, as CDK's bootstrap-version rule relies on ("CDK bootstrap stack
 * version 6 required. Please run 'cdk bootstrap' …", aws/aws-cdk#17942). AWS does not document the
 * message of an assertion without a description; the sandbox then names the rule.
 *
 * Rule functions: Fn::And, Fn::Or (2 to 10 conditions), Fn::Not, Fn::Equals, Fn::Contains,
 * Fn::EachMemberEquals, Fn::EachMemberIn, Fn::RefAll, with Ref of parameters and pseudo parameters.
 * Fn::RefAll answers the ids of that AWS-specific type the account holds in the region (what its
 * stacks created). Fn::ValueOf and Fn::ValueOfAll read attributes (tags, a subnet's VPC) of
 * resources the sandbox does not model: a rule that uses them is refused as not emulated.
 */

const RULE_FUNCTIONS = ['Fn::And', 'Fn::Or', 'Fn::Not', 'Fn::Equals', 'Fn::Contains', 'Fn::EachMemberEquals', 'Fn::EachMemberIn', 'Fn::RefAll', 'Fn::ValueOf', 'Fn::ValueOfAll', 'Ref'];
const NOT_EMULATED = new Set(['Fn::ValueOf', 'Fn::ValueOfAll']);

export interface RuleContext {
  /** Every parameter's value (given, defaulted or read from Parameter Store). */
  parameters: Record<string, string>;
  account: string;
  region: string;
  stackName: string;
  /** Fn::RefAll: the ids of that AWS-specific parameter type the account holds in the region. */
  idsOfType(parameterType: string): string[];
}

type RuleValue = string | string[] | boolean;

/** ValidateTemplate's check: the section's shape, in the words of a template format error. */
export function checkRulesSyntax(template: CfnTemplate): void {
  for (const [name, rule] of Object.entries(template.Rules ?? {})) {
    const fail = (problem: string): never => {
      throw new ValidationError(`Template format error: Rule ${name}: ${problem}`);
    };
    if (!isObject(rule)) fail('every rule must be an object');
    const body = rule as Record<string, CfnValue>;
    const unknown = Object.keys(body).filter((key) => key !== 'RuleCondition' && key !== 'Assertions');
    if (unknown.length > 0) fail(`unrecognized properties [${unknown.join(', ')}]; a rule has RuleCondition and Assertions`);
    const assertions = body['Assertions'];
    if (!Array.isArray(assertions) || assertions.length === 0) fail('Assertions must be a non-empty list');
    if (body['RuleCondition'] !== undefined) checkFunctions(body['RuleCondition'], fail);
    for (const assertion of assertions as CfnValue[]) {
      if (!isObject(assertion) || assertion['Assert'] === undefined) fail('every assertion must have an Assert');
      const entry = assertion as Record<string, CfnValue>;
      const extra = Object.keys(entry).filter((key) => key !== 'Assert' && key !== 'AssertDescription');
      if (extra.length > 0) fail(`unrecognized assertion properties [${extra.join(', ')}]`);
      checkFunctions(entry['Assert'], fail);
    }
  }
}

/** CreateStack's check: every rule whose condition holds must have all its assertions hold. */
export function enforceRules(template: CfnTemplate, context: RuleContext): void {
  checkRulesSyntax(template);
  for (const [name, rule] of Object.entries(template.Rules ?? {})) {
    const body = rule as Record<string, CfnValue>;
    if (body['RuleCondition'] !== undefined && !truth(body['RuleCondition'], template, context, name)) continue;
    for (const assertion of body['Assertions'] as Array<Record<string, CfnValue>>) {
      if (truth(assertion['Assert'], template, context, name)) continue;
      const description = assertion['AssertDescription'];
      throw new ValidationError(typeof description === 'string' && description !== '' ? description : `Template error: an assertion of rule ${name} failed`);
    }
  }
}

function checkFunctions(value: CfnValue | undefined, fail: (problem: string) => never): void {
  if (!isObject(value)) return;
  for (const [key, argument] of Object.entries(value)) {
    if (key.startsWith('Fn::') || key === 'Ref' || key === 'Condition') {
      if (!RULE_FUNCTIONS.includes(key)) fail(`${key} is not a rule function; rules use ${RULE_FUNCTIONS.join(', ')}`);
      if ((key === 'Fn::And' || key === 'Fn::Or') && (!Array.isArray(argument) || argument.length < 2 || argument.length > 10)) fail(`${key} takes 2 to 10 conditions`);
    }
    if (Array.isArray(argument)) for (const element of argument) checkFunctions(element, fail);
    else checkFunctions(argument, fail);
  }
}

function truth(value: CfnValue | undefined, template: CfnTemplate, context: RuleContext, rule: string): boolean {
  const result = evaluate(value, template, context, rule);
  if (typeof result === 'boolean') return result;
  if (result === 'true' || result === 'false') return result === 'true';
  throw new ValidationError(`Template error: rule ${rule} must evaluate to true or false`);
}

function evaluate(value: CfnValue | undefined, template: CfnTemplate, context: RuleContext, rule: string): RuleValue {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string' || typeof value === 'number') return String(value);
  if (Array.isArray(value)) return value.map((element) => scalar(evaluate(element, template, context, rule)));
  if (!isObject(value)) return '';
  const [fn] = Object.keys(value);
  const argument = value[fn ?? ''];
  const args = Array.isArray(argument) ? argument : [argument ?? null];
  const list = (element: CfnValue | undefined): string[] => {
    const resolved = evaluate(element, template, context, rule);
    return Array.isArray(resolved) ? resolved : [scalar(resolved)];
  };
  switch (fn) {
    case 'Ref':
      return ref(String(argument), template, context);
    case 'Fn::Equals':
      return JSON.stringify(evaluate(args[0], template, context, rule)) === JSON.stringify(evaluate(args[1], template, context, rule));
    case 'Fn::Not':
      return !truth(args[0], template, context, rule);
    case 'Fn::And':
      return args.every((condition) => truth(condition, template, context, rule));
    case 'Fn::Or':
      return args.some((condition) => truth(condition, template, context, rule));
    case 'Fn::Contains': {
      // "Returns true if a specified string matches at least one value in a list of strings."
      const needle = scalar(evaluate(args[1], template, context, rule));
      return list(args[0]).includes(needle);
    }
    case 'Fn::EachMemberEquals': {
      // "Returns true if a specified string matches all values in a list."
      const expected = scalar(evaluate(args[1], template, context, rule));
      return list(args[0]).every((member) => member === expected);
    }
    case 'Fn::EachMemberIn': {
      // "Returns true if each member in a list of strings matches at least one value in a second list of strings."
      const allowed = list(args[1]);
      return list(args[0]).every((member) => allowed.includes(member));
    }
    case 'Fn::RefAll':
      return context.idsOfType(String(argument));
    default:
      if (fn !== undefined && NOT_EMULATED.has(fn)) {
        throw new ValidationError(`The sandbox account does not evaluate ${fn} in Rules (rule ${rule}): it does not model the attributes of the account's resources.`);
      }
      throw new ValidationError(`Template format error: Rule ${rule}: ${String(fn)} is not a rule function`);
  }
}

function ref(name: string, template: CfnTemplate, context: RuleContext): RuleValue {
  const pseudo: Record<string, string> = { 'AWS::AccountId': context.account, 'AWS::Region': context.region, 'AWS::StackName': context.stackName, 'AWS::Partition': 'aws', 'AWS::URLSuffix': 'amazonaws.com' };
  if (name in pseudo) return pseudo[name] ?? '';
  const parameter = template.Parameters?.[name];
  // AWS does not document its message for a Ref to no parameter in a rule; the closest wording it uses.
  if (!parameter) throw new ValidationError(`Template format error: Unresolved dependencies [${name}]. Cannot reference resources in the Rules block of the template`);
  const value = context.parameters[name] ?? '';
  return isListParameterType(parameter.Type) ? value.split(',').map((element) => element.trim()) : value;
}

function scalar(value: RuleValue): string {
  return Array.isArray(value) ? value.join(',') : String(value);
}

function isObject(value: unknown): value is Record<string, CfnValue> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
