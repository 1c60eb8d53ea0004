/**
 * Evaluates a role's trust policy (its AssumeRolePolicyDocument) the way IAM does for
 * sts:AssumeRole: an explicit Deny wins, otherwise one Allow statement must match the action, the
 * principal and every condition. Principals: `*`, `{AWS: account id | account root | role ARN |
 * session ARN | *}`, `{Service: …}`. Conditions: the String*, Arn*, Bool and Null operators, with
 * `…IfExists` and `ForAnyValue:` / `ForAllValues:`.
 */

/** Who is calling: an account's own credentials, a role session, or an AWS service. */
export type CallerPrincipal =
  | { kind: 'account'; account: string; arn: string }
  | { kind: 'assumed-role'; account: string; arn: string; roleArn: string; roleName: string; sessionName: string }
  | { kind: 'service'; service: string; arn: string; account?: undefined };

export type ConditionContext = Record<string, string | readonly string[] | undefined>;

type Statement = Record<string, unknown>;

export function trustPolicyAllows(policy: unknown, principal: CallerPrincipal, action: string, context: ConditionContext): boolean {
  const statements = statementsOf(policy);
  const applies = (statement: Statement) =>
    actionMatches(statement, action) && principalMatches(statement['Principal'], principal) && conditionsHold(statement['Condition'], context);
  if (statements.some((statement) => statement['Effect'] === 'Deny' && applies(statement))) return false;
  return statements.some((statement) => statement['Effect'] === 'Allow' && applies(statement));
}

/** A policy document's statements (the document as JSON text or an object; one statement or a list). */
export function statementsOf(policy: unknown): Statement[] {
  let document = policy;
  if (typeof document === 'string') {
    try {
      document = JSON.parse(document);
    } catch {
      return [];
    }
  }
  if (typeof document !== 'object' || document === null) return [];
  const statement = (document as Record<string, unknown>)['Statement'];
  const list = Array.isArray(statement) ? statement : statement === undefined ? [] : [statement];
  return list.filter((s): s is Statement => typeof s === 'object' && s !== null);
}

function asList(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  return (Array.isArray(value) ? value : [value]).map(String);
}

/** IAM wildcards: `*` any run of characters, `?` one character. */
export function wildcard(pattern: string, value: string, ignoreCase = false): boolean {
  const source = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${source}$`, ignoreCase ? 'is' : 's').test(value);
}

function actionMatches(statement: Statement, action: string): boolean {
  return asList(statement['Action']).some((pattern) => wildcard(pattern, action, true));
}

function principalMatches(principal: unknown, caller: CallerPrincipal): boolean {
  if (principal === '*') return true;
  if (typeof principal !== 'object' || principal === null) return false;
  const byKind = principal as Record<string, unknown>;
  if (caller.kind === 'service') return asList(byKind['Service']).includes(caller.service);
  return asList(byKind['AWS']).some((entry) => awsPrincipalMatches(entry, caller));
}

function awsPrincipalMatches(entry: string, caller: Exclude<CallerPrincipal, { kind: 'service' }>): boolean {
  if (entry === '*') return true;
  // An account (its id or its root) delegates to whatever that account's own policies allow.
  if (/^\d{12}$/.test(entry)) return caller.account === entry;
  const root = /^arn:aws[a-z-]*:iam::(\d{12}):root$/.exec(entry);
  if (root) return caller.account === root[1];
  // A role principal is matched by that role's sessions, whatever the role's path.
  const role = /^arn:aws[a-z-]*:iam::(\d{12}):role\/(?:.*\/)?([^/]+)$/.exec(entry);
  if (role) return caller.kind === 'assumed-role' && caller.account === role[1] && caller.roleName === role[2];
  return entry === caller.arn;
}

const NEGATED = new Set(['StringNotEquals', 'StringNotEqualsIgnoreCase', 'StringNotLike', 'ArnNotEquals', 'ArnNotLike']);

function conditionsHold(condition: unknown, context: ConditionContext): boolean {
  if (condition === undefined) return true;
  if (typeof condition !== 'object' || condition === null) return false;
  const lowered = new Map(Object.entries(context).map(([key, value]) => [key.toLowerCase(), value]));
  return Object.entries(condition as Record<string, unknown>).every(([operator, block]) => {
    if (typeof block !== 'object' || block === null) return false;
    return Object.entries(block as Record<string, unknown>).every(([key, expected]) => {
      const present = lowered.get(key.toLowerCase());
      return operatorHolds(operator, present === undefined ? undefined : asList(present), asList(expected));
    });
  });
}

function operatorHolds(fullOperator: string, actual: string[] | undefined, expected: string[]): boolean {
  let operator = fullOperator;
  let quantifier: 'any' | 'all' | undefined;
  if (operator.startsWith('ForAnyValue:')) [quantifier, operator] = ['any', operator.slice('ForAnyValue:'.length)];
  else if (operator.startsWith('ForAllValues:')) [quantifier, operator] = ['all', operator.slice('ForAllValues:'.length)];
  const ifExists = operator.endsWith('IfExists');
  if (ifExists) operator = operator.slice(0, -'IfExists'.length);

  if (operator === 'Null') {
    const isNull = actual === undefined || actual.length === 0;
    return expected.some((value) => (value === 'true') === isNull);
  }
  if (actual === undefined || actual.length === 0) {
    if (ifExists || quantifier === 'all') return true;
    return NEGATED.has(operator);
  }
  const one = matcher(operator);
  if (!one) return false;
  const negated = NEGATED.has(operator);
  const valueMatches = (value: string) => (negated ? !expected.some((e) => one(e, value)) : expected.some((e) => one(e, value)));
  return quantifier === 'all' ? actual.every(valueMatches) : actual.some(valueMatches);
}

function matcher(operator: string): ((expected: string, actual: string) => boolean) | undefined {
  switch (operator) {
    case 'StringEquals':
    case 'StringNotEquals':
    case 'ArnEquals':
    case 'ArnNotEquals':
      return (expected, actual) => (operator.startsWith('Arn') ? wildcard(expected, actual) : expected === actual);
    case 'StringEqualsIgnoreCase':
    case 'StringNotEqualsIgnoreCase':
      return (expected, actual) => expected.toLowerCase() === actual.toLowerCase();
    case 'StringLike':
    case 'StringNotLike':
    case 'ArnLike':
    case 'ArnNotLike':
      return (expected, actual) => wildcard(expected, actual);
    case 'Bool':
      return (expected, actual) => expected.toLowerCase() === actual.toLowerCase();
    default:
      return undefined;
  }
}
