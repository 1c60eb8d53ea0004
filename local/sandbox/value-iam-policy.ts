/**
 * The grammar IAM holds an identity-based policy document to (IAM User Guide, "IAM JSON policy
 * grammar": `"Effect" : ("Allow" | "Deny")`, an action is `service:action` with wildcards, a resource
 * an ARN or "*"), as IAM refuses it: MalformedPolicyDocument with one of the messages below, checked
 * in the order IAM checks them. The messages and their order are getmoto/moto's IAM policy validator
 * (moto/iam/policy_validation.py), whose cases were taken from IAM's answers; several are also seen
 * from AWS itself: "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."
 * (a stack's role, quoted with "Error Code: MalformedPolicyDocument"), "Actions/Condition can contain
 * only one colon." (aws-cloudformation/cfn-lint#935, a deployed template), "The policy failed legacy
 * parsing" (hashicorp/terraform#10057, Effect "allow"), "Policy statement must contain actions."
 * (aws/aws-cdk#7615).
 *
 * Not checked: the Version element (IAM's rules for a missing or 2008-10-17 Version were not
 * confirmed), condition operators, the resource ARN's parts beyond its form, policy size.
 */
export function policyGrammarRefusal(document: unknown): string | undefined {
  const statements = statementsOf(parsedDocument(document));
  if (statements === undefined) return 'Syntax errors in policy.';
  if (statements.some((statement) => 'Principal' in statement || 'NotPrincipal' in statement)) return 'Policy document should not specify a principal.';
  if (!statements.every(isSyntacticallyValid)) return 'Syntax errors in policy.';
  // IAM's "legacy parsing" is case-sensitive where the syntax check is not.
  if (!statements.every((statement) => statement['Effect'] === 'Allow' || statement['Effect'] === 'Deny')) return 'The policy failed legacy parsing';
  if (!statements.every((statement) => present(statement['Action']) || present(statement['NotAction']))) return 'Policy statement must contain actions.';
  if (!statements.every((statement) => present(statement['Resource']) || present(statement['NotResource']))) return 'Policy statement must contain resources.';
  for (const statement of statements) {
    for (const resource of [...strings(statement['Resource']), ...strings(statement['NotResource'])]) {
      if (resource !== '*' && !resource.includes(':')) return `Resource ${resource} must be in ARN format or "*".`;
    }
  }
  for (const statement of statements) {
    for (const action of [...strings(statement['Action']), ...strings(statement['NotAction'])]) {
      const refused = actionRefusal(action);
      if (refused !== undefined) return refused;
    }
  }
  return undefined;
}

type Statement = Record<string, unknown>;

const TOP_ELEMENTS = new Set(['Version', 'Id', 'Statement']);
const STATEMENT_ELEMENTS = new Set(['Sid', 'Effect', 'Action', 'NotAction', 'Resource', 'NotResource', 'Condition', 'Principal', 'NotPrincipal']);

/** The statements of a document of the right shape, or undefined ("Syntax errors in policy."). */
function statementsOf(document: unknown): Statement[] | undefined {
  if (!isRecord(document) || !Object.keys(document).every((key) => TOP_ELEMENTS.has(key))) return undefined;
  const statement = document['Statement'];
  const statements = Array.isArray(statement) ? statement : isRecord(statement) ? [statement] : undefined;
  if (statements === undefined || statements.length === 0 || !statements.every(isRecord)) return undefined;
  return statements;
}

function isSyntacticallyValid(statement: Statement): boolean {
  const effect = statement['Effect'];
  return (
    Object.keys(statement).every((key) => STATEMENT_ELEMENTS.has(key)) &&
    !('Action' in statement && 'NotAction' in statement) &&
    !('Resource' in statement && 'NotResource' in statement) &&
    typeof effect === 'string' &&
    ['allow', 'deny'].includes(effect.toLowerCase()) &&
    ['Action', 'NotAction', 'Resource', 'NotResource'].every((key) => !(key in statement) || isStringOrStrings(statement[key])) &&
    (!('Condition' in statement) || isRecord(statement['Condition']))
  );
}

function actionRefusal(action: string): string | undefined {
  const parts = action.split(':');
  if (parts.length === 1 && action !== '*') return 'Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.';
  if (parts.length > 2) return 'Actions/Condition can contain only one colon.';
  const vendor = parts[0] ?? '';
  if (vendor !== '*' && /[^a-zA-Z0-9.-]/.test(vendor)) return `Vendor ${vendor} is not valid`;
  return undefined;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isStringOrStrings(value: unknown): boolean {
  return typeof value === 'string' || (Array.isArray(value) && value.every((item) => typeof item === 'string'));
}

function present(value: unknown): boolean {
  return value !== undefined && !(Array.isArray(value) && value.length === 0);
}

/** A policy element's strings: the string itself, or the strings of a list. */
export function strings(value: unknown): string[] {
  return typeof value === 'string' ? [value] : Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}

/** A policy document as a template gives it: an object, or its JSON text (undefined when that is not JSON). */
export function parsedDocument(document: unknown): unknown {
  if (typeof document !== 'string') return document;
  try {
    return JSON.parse(document) as unknown;
  } catch {
    return undefined;
  }
}
