import { ValidationError } from './errors';

/**
 * Stack policies as CloudFormation checks them when CreateStack or SetStackPolicy sets one
 * (CloudFormation User Guide, "Prevent updates to stack resources",
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/protect-stack-resources.html, and
 * API Reference, SetStackPolicy, https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_SetStackPolicy.html;
 * read 2026-12-06): a JSON document of 1 to 16,384 characters whose `Statement` (one or a list)
 * each have an `Effect` (Allow or Deny), an `Action` or `NotAction` among Update:Modify,
 * Update:Replace, Update:Delete and Update:*, a `Principal` (only `*`), a `Resource` or
 * `NotResource` (`LogicalResourceId/<id>`, wildcards allowed) and optionally a `Condition` on the
 * `ResourceType` (StringEquals, StringLike). The sandbox keeps the body as given (GetStackPolicy
 * answers it); updates are held to it (update-plan.ts, stackPolicyDenial).
 *
 * The length refusal is the API's constraint message. AWS does not document the words it refuses
 * a malformed policy with; the sandbox says what is wrong in the User Guide's terms.
 */

export const MAX_STACK_POLICY_BODY = 16_384;
const ACTIONS = new Set(['Update:Modify', 'Update:Replace', 'Update:Delete', 'Update:*']);
const STATEMENT_KEYS = new Set(['Effect', 'Action', 'NotAction', 'Principal', 'Resource', 'NotResource', 'Condition', 'Sid']);
const CONDITION_OPERATORS = new Set(['StringEquals', 'StringLike']);

/** Refuses a stack policy body CloudFormation would not accept. */
export function checkStackPolicy(body: string): void {
  if (body.length < 1 || body.length > MAX_STACK_POLICY_BODY) {
    throw new ValidationError(`1 validation error detected: Value at 'stackPolicyBody' failed to satisfy constraint: Member must have length ${body.length < 1 ? 'greater than or equal to 1' : `less than or equal to ${MAX_STACK_POLICY_BODY}`}`);
  }
  let policy: unknown;
  try {
    policy = JSON.parse(body);
  } catch (error) {
    throw invalid(`the stack policy is not a JSON document (${error instanceof Error ? error.message : String(error)})`);
  }
  if (!isObject(policy) || policy['Statement'] === undefined) throw invalid('a stack policy is a JSON object with a Statement');
  const statements = Array.isArray(policy['Statement']) ? policy['Statement'] : [policy['Statement']];
  if (statements.length === 0) throw invalid('Statement must have at least one statement');
  statements.forEach((statement, index) => checkStatement(statement, index));
}

function checkStatement(statement: unknown, index: number): void {
  const where = `Statement ${index + 1}`;
  if (!isObject(statement)) throw invalid(`${where} must be an object`);
  const unknown = Object.keys(statement).filter((key) => !STATEMENT_KEYS.has(key));
  if (unknown.length > 0) throw invalid(`${where} has unknown elements [${unknown.join(', ')}]`);
  if (statement['Effect'] !== 'Allow' && statement['Effect'] !== 'Deny') throw invalid(`${where}: Effect must be Allow or Deny`);
  const actions = exactlyOne(statement, 'Action', 'NotAction', where);
  const badActions = actions.filter((action) => !ACTIONS.has(action));
  if (badActions.length > 0) throw invalid(`${where}: unknown actions [${badActions.join(', ')}]; a stack policy allows ${[...ACTIONS].join(', ')}`);
  if (statement['Principal'] !== '*') throw invalid(`${where}: Principal must be "*"`);
  const resources = exactlyOne(statement, 'Resource', 'NotResource', where);
  const badResources = resources.filter((resource) => resource !== '*' && !resource.startsWith('LogicalResourceId/'));
  if (badResources.length > 0) throw invalid(`${where}: resources are "*" or LogicalResourceId/<id>, not [${badResources.join(', ')}]`);
  const condition = statement['Condition'];
  if (condition === undefined) return;
  if (!isObject(condition)) throw invalid(`${where}: Condition must be an object`);
  for (const [operator, test] of Object.entries(condition)) {
    if (!CONDITION_OPERATORS.has(operator)) throw invalid(`${where}: Condition operator ${operator} is not StringEquals or StringLike`);
    if (!isObject(test) || Object.keys(test).some((key) => key !== 'ResourceType')) throw invalid(`${where}: a Condition tests ResourceType only`);
  }
}

/** The strings of whichever of the two elements the statement has; it must have exactly one. */
function exactlyOne(statement: Record<string, unknown>, name: string, negated: string, where: string): string[] {
  const value = statement[name] ?? statement[negated];
  if ((statement[name] === undefined) === (statement[negated] === undefined)) throw invalid(`${where} must have exactly one of ${name} and ${negated}`);
  const list = Array.isArray(value) ? value : [value];
  if (list.length === 0 || list.some((element) => typeof element !== 'string')) throw invalid(`${where}: ${name} must be a string or a list of strings`);
  return list as string[];
}

function invalid(problem: string): ValidationError {
  return new ValidationError(`Invalid stack policy: ${problem}`);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
