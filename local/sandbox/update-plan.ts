import { readFileSync } from 'node:fs';
import { nameClaim } from './resource-names';
import { patternMatches } from './sandbox-faults';

/**
 * What an UpdateStack does to one resource, decided as CloudFormation decides it: a property
 * AWS's resource schema lists as `createOnlyProperties` that changes needs a new physical resource
 * (Replacement: True); any other change is made in place. AWS: "Update requires: Replacement" —
 * CloudFormation "recreates the resource during an update … generates a new physical ID", creating
 * the new resource first and deleting the old one in the cleanup (User Guide, "Understand update
 * behaviors of stack resources",
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-cfn-updating-stacks-update-behaviors.html).
 * The schemas are the vendored ones (src/cfn/data/cloudformation-resource-schemas.json).
 *
 * `conditionalCreateOnlyProperties` (replacement depending on the values, e.g. a VPC's tenancy from
 * default to dedicated) are updated in place here: the schema does not say which values replace.
 */

interface ResourceSchema {
  createOnlyProperties?: string[];
}

let schemas: Record<string, ResourceSchema> | undefined;

function createOnlyPaths(type: string): string[][] {
  schemas ??= JSON.parse(readFileSync(new URL('../../src/cfn/data/cloudformation-resource-schemas.json', import.meta.url), 'utf8')) as Record<string, ResourceSchema>;
  return (schemas[type]?.createOnlyProperties ?? [])
    .map((pointer) => pointer.split('/').slice(2))
    .filter((path) => path.length > 0);
}

/** The create-only properties (as `A/B` paths) whose values differ: the resource must be replaced if any. */
export function replacingChanges(type: string, before: Record<string, unknown>, after: Record<string, unknown>): string[] {
  return createOnlyPaths(type)
    .filter((path) => !sameValue(valueAt(before, path), valueAt(after, path)))
    .map((path) => path.join('/'));
}

/** Whether two resolved property values are the same to CloudFormation (scalars compare as strings, as templates give numbers either way). */
export function sameValue(a: unknown, b: unknown): boolean {
  return canonical(a) === canonical(b);
}

function canonical(value: unknown): string {
  if (value === undefined || value === null) return '∅';
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, inner]) => inner !== undefined);
    return `{${entries.sort(([a], [b]) => a.localeCompare(b)).map(([key, inner]) => `${JSON.stringify(key)}:${canonical(inner)}`).join(',')}}`;
  }
  return JSON.stringify(String(value));
}

/** The value at a path of the schema (`*` steps over list members, as `/properties/Tags/*`). */
function valueAt(properties: Record<string, unknown>, path: readonly string[]): unknown {
  let value: unknown = properties;
  for (const step of path) {
    if (Array.isArray(value) && step === '*') return value;
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<string, unknown>)[step];
  }
  return value;
}

/**
 * The name the template gives the resource, if it gives one (a custom name): a replacement cannot
 * be created beside the old resource under the same name, so CloudFormation refuses it ("CloudFormation
 * cannot update a stack when a custom-named resource requires replacing. Rename <name> and update the
 * stack again.": AWS Knowledge Center, "cloudformation-custom-name",
 * https://aws.amazon.com/premiumsupport/knowledge-center/cloudformation-custom-name/, and the message
 * as users report it, https://github.com/convox/rack/issues/2941).
 */
export function customName(type: string, properties: Record<string, unknown>): string | undefined {
  const claim = nameClaim({ type, physicalId: '', properties }, { account: '', region: '' });
  return claim === undefined || claim.name === '' ? undefined : claim.name;
}

export type PolicyAction = 'Update:Modify' | 'Update:Replace' | 'Update:Delete';

interface PolicyStatement {
  Effect?: unknown;
  Action?: unknown;
  NotAction?: unknown;
  Resource?: unknown;
  NotResource?: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}

/**
 * Why the stack policy forbids this update action on the resource, or undefined when it allows
 * it. A policy protects every resource not explicitly allowed, and a Deny overrides any Allow
 * (User Guide, "Prevent updates to stack resources",
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/protect-stack-resources.html).
 * No policy: everything is allowed. The body was checked when it was set (stack-policy.ts).
 *
 * AWS does not document the reason's words. An explicit Deny reads as users report it: "Action
 * denied by stack policy: Statement [#1] does not allow [Update:Replace] for resource
 * [LogicalResourceId/DB]" (the statement's index counted from 0; blog post "CodePipeline and
 * CloudFormation with a stack policy to prevent REPLACEMENTs of resources", 2017). A resource no
 * statement allows starts "Action not allowed by stack policy" (the other wording LocalStack's
 * stack-policy tests accept, https://github.com/localstack/localstack/pull/7159); what follows the
 * colon there is the sandbox's.
 */
export function stackPolicyDenial(policyBody: string | undefined, action: PolicyAction, logicalId: string, type: string): string | undefined {
  if (policyBody === undefined) return undefined;
  const policy = JSON.parse(policyBody) as { Statement: PolicyStatement | PolicyStatement[] };
  const statements = Array.isArray(policy.Statement) ? policy.Statement : [policy.Statement];
  const resource = `LogicalResourceId/${logicalId}`;
  const applies = statements.map((statement) => matches(statement, action, resource, type));
  const denied = statements.findIndex((statement, index) => applies[index] && statement.Effect === 'Deny');
  if (denied >= 0) return `Action denied by stack policy: Statement [#${denied}] does not allow [${action}] for resource [${resource}]`;
  if (statements.some((statement, index) => applies[index] && statement.Effect === 'Allow')) return undefined;
  return `Action not allowed by stack policy: no statement allows [${action}] for resource [${resource}]`;
}

function matches(statement: PolicyStatement, action: PolicyAction, resource: string, type: string): boolean {
  const actionMatches = statement.Action !== undefined ? anyGlob(statement.Action, action) : !anyGlob(statement.NotAction, action);
  const resourceMatches = statement.Resource !== undefined ? anyGlob(statement.Resource, resource) : !anyGlob(statement.NotResource, resource);
  if (!actionMatches || !resourceMatches) return false;
  return Object.entries(statement.Condition ?? {}).every(([operator, test]) => {
    const wanted = [test['ResourceType'] ?? []].flat().map(String);
    return operator === 'StringEquals' ? wanted.includes(type) : wanted.some((pattern) => patternMatches(pattern, type));
  });
}

/** Stack policies' wildcards are those of the faults' stack name patterns: `*` any run, `?` one character. */
function anyGlob(patterns: unknown, value: string): boolean {
  return [patterns ?? []].flat().some((pattern) => patternMatches(String(pattern), value));
}

/**
 * What an update does to each resource, the one plan UpdateStack runs and a change set describes
 * (change-sets.ts): Add (in the new template only), Remove (in the stack only), Modify (resolved
 * properties differ, or cannot be worked out before the update runs: `after` undefined). `replacing`
 * lists the create-only paths that change. Unchanged resources are not listed.
 */
export interface PlannedResource {
  logicalId: string;
  type: string;
  action: 'Add' | 'Modify' | 'Remove';
  before?: Record<string, unknown>;
  after?: Record<string, unknown>;
  replacing: string[];
}

export function planResources(
  current: ReadonlyArray<{ logicalId: string; type: string; properties?: Record<string, unknown> }>,
  present: readonly string[],
  typeOf: (logicalId: string) => string,
  /** The resource's properties under the new template, or undefined when they cannot be resolved yet. */
  resolve: (logicalId: string) => Record<string, unknown> | undefined,
): PlannedResource[] {
  const plan: PlannedResource[] = [];
  for (const logicalId of present) {
    const existing = current.find((resource) => resource.logicalId === logicalId);
    const after = resolve(logicalId);
    if (existing === undefined) {
      plan.push({ logicalId, type: typeOf(logicalId), action: 'Add', ...(after === undefined ? {} : { after }), replacing: [] });
      continue;
    }
    const before = existing.properties ?? {};
    if (after !== undefined && sameValue(before, after)) continue;
    plan.push({ logicalId, type: existing.type, action: 'Modify', before, ...(after === undefined ? {} : { after }), replacing: after === undefined ? [] : replacingChanges(existing.type, before, after) });
  }
  for (const resource of current) {
    if (!present.includes(resource.logicalId)) plan.push({ logicalId: resource.logicalId, type: resource.type, action: 'Remove', before: resource.properties ?? {}, replacing: [] });
  }
  return plan;
}

/** Whether a top-level property, or a path under it, is create-only in AWS's schema: a new value replaces the resource. */
export function createOnlyProperty(type: string, name: string): boolean {
  return createOnlyPaths(type).some((path) => path[0] === name);
}
