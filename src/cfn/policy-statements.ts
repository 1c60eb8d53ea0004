import type { CfnTemplate, CfnValue } from './template-types';

/**
 * IAM policy statements of a template, flattened for checks: which role (or managed policy)
 * carries them, their effect, actions, resources and conditions. Used by the tests that hold
 * the onboarding template to least privilege.
 */
export interface PolicyStatement {
  /** The logical id of the role or managed policy carrying the statement. */
  owner: string;
  kind: 'identity' | 'trust';
  sid?: string;
  effect: 'Allow' | 'Deny';
  actions: string[];
  resources: CfnValue[];
  principal?: CfnValue;
  condition?: Record<string, Record<string, CfnValue>>;
}

function list<T>(value: T | T[] | undefined): T[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

function statementsOf(owner: string, kind: PolicyStatement['kind'], document: CfnValue | undefined): PolicyStatement[] {
  if (typeof document !== 'object' || document === null || Array.isArray(document)) return [];
  return list(document['Statement'] as CfnValue | CfnValue[] | undefined).flatMap((raw) => {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return [];
    return [
      {
        owner,
        kind,
        ...(typeof raw['Sid'] === 'string' ? { sid: raw['Sid'] } : {}),
        effect: raw['Effect'] === 'Deny' ? 'Deny' : 'Allow',
        actions: list(raw['Action'] as CfnValue | CfnValue[] | undefined).map(String),
        resources: list(raw['Resource'] as CfnValue | CfnValue[] | undefined),
        ...(raw['Principal'] !== undefined ? { principal: raw['Principal'] } : {}),
        ...(raw['Condition'] !== undefined ? { condition: raw['Condition'] as Record<string, Record<string, CfnValue>> } : {}),
      },
    ];
  });
}

export function policyStatements(template: CfnTemplate): PolicyStatement[] {
  return Object.entries(template.Resources).flatMap(([logicalId, resource]) => {
    const properties = resource.Properties ?? {};
    switch (resource.Type) {
      case 'AWS::IAM::Role':
        return [
          ...statementsOf(logicalId, 'trust', properties['AssumeRolePolicyDocument']),
          ...list(properties['Policies'] as CfnValue[] | undefined).flatMap((policy) =>
            typeof policy === 'object' && policy !== null && !Array.isArray(policy) ? statementsOf(logicalId, 'identity', policy['PolicyDocument']) : [],
          ),
        ];
      case 'AWS::IAM::ManagedPolicy':
      case 'AWS::IAM::Policy':
        return statementsOf(logicalId, 'identity', properties['PolicyDocument']);
      default:
        return [];
    }
  });
}

/** IAM actions that change identities or permissions (everything but reads and PassRole). */
export function isIamWrite(action: string): boolean {
  const [service, name = ''] = action.split(':');
  if (service?.toLowerCase() !== 'iam') return false;
  if (name === '*') return true;
  return !/^(Get|List|Generate|Simulate|PassRole$)/.test(name);
}
