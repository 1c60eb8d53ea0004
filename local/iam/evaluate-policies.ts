import { runSimulation, runUnsafeSimulation, type Simulation } from '@cloud-copilot/iam-simulate';

/**
 * IAM's decision on one request made by a principal with identity policies and, optionally, a
 * permissions boundary, as AWS evaluates it within one account: an explicit Deny in either wins;
 * otherwise the identity policies must allow it and, if there is a boundary, so must the boundary
 * (AWS IAM User Guide, "Policy evaluation logic" and "Permissions boundaries for IAM entities").
 *
 * The evaluation is @cloud-copilot/iam-simulate's (AGPL-3.0-or-later): a devDependency used only
 * by the local sandbox and tests, never by src/ or functions/ (decision 0010).
 */

export type Decision = 'Allowed' | 'ExplicitlyDenied' | 'ImplicitlyDenied';

export interface PolicyDocument {
  Version?: string;
  Statement: unknown;
}

export interface PrincipalPolicies {
  /** Inline and managed policies attached to the principal. */
  identity: ReadonlyArray<{ name: string; document: unknown }>;
  /** The permissions boundary, if the principal has one. */
  boundary?: unknown;
}

export interface IamRequest {
  /** The caller: a role session or role ARN, an account root. */
  principal: string;
  action: string;
  /** The ARN acted on, `*` where the action supports no resource-level permission. */
  resource: string;
  account: string;
  /** Condition keys present in the request (absent keys are simply not there). */
  context?: Readonly<Record<string, string | readonly string[]>>;
}

function simulationOf(policies: PrincipalPolicies, request: IamRequest): Simulation {
  return {
    identityPolicies: policies.identity.map(({ name, document }) => ({ name, policy: document })),
    ...(policies.boundary === undefined ? {} : { permissionBoundaryPolicies: [{ name: 'boundary', policy: policies.boundary }] }),
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    request: {
      principal: request.principal,
      action: request.action,
      resource: { resource: request.resource, accountId: request.account },
      contextVariables: Object.fromEntries(Object.entries(request.context ?? {}).map(([key, value]) => [key, typeof value === 'string' ? value : [...value]])),
    },
  };
}

/**
 * The decision, synchronously and without checking the request against the service authorization
 * reference: the sandbox decides while a resource starts, so it passes only the condition keys
 * that apply to the action itself.
 */
export function evaluatePolicies(policies: PrincipalPolicies, request: IamRequest): Decision {
  return runUnsafeSimulation(simulationOf(policies, request), {});
}

/**
 * The decision, after iam-simulate has checked the request against AWS's service authorization
 * reference (the action exists, the ARN is one of its resource types, the condition keys apply to
 * it; keys that do not apply are dropped as AWS would). A request it refuses is an error, so a
 * test cannot pass on a misspelt action.
 */
export async function simulateRequest(policies: PrincipalPolicies, request: IamRequest): Promise<Decision> {
  const result = await runSimulation(simulationOf(policies, request), {});
  if (result.resultType === 'error') throw new Error(`iam-simulate refused ${request.action} on ${request.resource}: ${JSON.stringify(result.errors)}`);
  return result.overallResult;
}
