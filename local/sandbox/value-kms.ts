import { isRecord, parsedDocument, strings } from './value-iam-policy';

/**
 * KMS's policy lockout safety check, as far as it can be decided from the key policy alone: CreateKey
 * refuses a key policy under which no one could change the policy again, MalformedPolicyDocumentException
 * "The new key policy will not allow you to update the key policy in the future." (hashicorp/terraform-provider-aws
 * acceptance tests with BypassPolicyLockoutSafetyCheck false; the same error quoted from CreateKey in
 * several repositories). KMS checks that the principal making the request may call kms:PutKeyPolicy
 * under the new policy ("Default key policy", AWS KMS Developer Guide, BypassPolicyLockoutSafetyCheck).
 *
 * The sandbox refuses the two cases that lock out whoever asks: a statement denying kms:PutKeyPolicy
 * to every principal without a condition, and a policy that allows kms:PutKeyPolicy to no AWS
 * principal at all. Whether the policy names the caller among the principals it allows is not
 * checked (the key is created).
 */
export function keyPolicyLockoutRefusal(properties: Record<string, unknown>): string | undefined {
  if (properties['BypassPolicyLockoutSafetyCheck'] === true || properties['BypassPolicyLockoutSafetyCheck'] === 'true') return undefined;
  const policy = parsedDocument(properties['KeyPolicy']);
  // Without a key policy KMS attaches its default one, which lets the account manage the key.
  if (!isRecord(policy)) return undefined;
  const statements = (Array.isArray(policy['Statement']) ? policy['Statement'] : [policy['Statement']]).filter(isRecord);
  const grantsPutKeyPolicy = (statement: Record<string, unknown>) =>
    'Action' in statement ? strings(statement['Action']).some(matchesPutKeyPolicy) : 'NotAction' in statement && !strings(statement['NotAction']).some(matchesPutKeyPolicy);
  const deniedToAll = statements.some(
    (statement) => statement['Effect'] === 'Deny' && statement['Condition'] === undefined && grantsPutKeyPolicy(statement) && principalIsEveryone(statement['Principal']),
  );
  const allowedToSomeone = statements.some((statement) => statement['Effect'] === 'Allow' && grantsPutKeyPolicy(statement) && awsPrincipals(statement['Principal']).length > 0);
  return deniedToAll || !allowedToSomeone ? 'The new key policy will not allow you to update the key policy in the future.' : undefined;
}

/** kms:PutKeyPolicy, or a pattern (`kms:*`, `kms:Put*`, `*`) that covers it; IAM compares actions without case. */
function matchesPutKeyPolicy(pattern: string): boolean {
  const expression = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 'i');
  return expression.test('kms:PutKeyPolicy');
}

function principalIsEveryone(principal: unknown): boolean {
  return principal === '*' || awsPrincipals(principal).includes('*');
}

function awsPrincipals(principal: unknown): string[] {
  if (principal === '*') return ['*'];
  return isRecord(principal) ? strings(principal['AWS']) : [];
}
