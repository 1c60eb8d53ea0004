import { failure, success, type Outcome } from './answer-once';
import { accountOfArn, registrationPropertiesSchema, type CustomResourceRequest, type RegistrationProperties } from './custom-resource-request';
import { deletionMatches, registrationMatches, type RegistrationBinding } from './registration-binding';

/**
 * The check every registration request passes first, in both stages of the callback: the
 * properties parse, and the token matches the account they name, for the AWS account the stack
 * runs in (a Delete: from the stack that connected it). The first stage answers what fails here
 * and never hands it over; the worker runs the same check again on the full account, so it trusts
 * nothing the queue brings that it would not trust from the topic.
 */
export type Screened<B extends RegistrationBinding> = { outcome: Outcome } | { properties: RegistrationProperties; found: B };

export async function screenRequest<B extends RegistrationBinding>(request: CustomResourceRequest, read: (accountId: string) => Promise<B | undefined>): Promise<Screened<B>> {
  const props = registrationPropertiesSchema.safeParse(request.ResourceProperties);
  const token = props.success ? props.data.RegistrationToken : '';
  if (request.RequestType === 'Delete') {
    if (!props.success) return { outcome: success(request, 'Nothing was registered by this resource.') };
    const found = await read(props.data.GroundworkAccountId);
    // Not the stack that connected an account (a failed launch rolling back, or a stranger): nothing to undo.
    if (!found || !deletionMatches(found, request.StackId, token)) return { outcome: success(request, 'Nothing registered by this stack.') };
    return { properties: props.data, found };
  }
  if (!props.success) {
    const fields = props.error.issues.map((issue) => issue.path.map(String).join('.')).join(', ');
    return { outcome: failure(request, `The registration properties are missing or invalid (${fields}). Launch the unmodified Groundwork onboarding template.`, undefined) };
  }
  const found = await read(props.data.GroundworkAccountId);
  // Without the token the answer is FAILED and the account is left exactly as it was. A missing
  // account, another AWS account's and a wrong token get the same answer, naming no account of
  // ours (security review L5: no oracle for who holds an id, or where).
  if (!found || !registrationMatches(found, request.StackId, token)) return { outcome: failure(request, unknownRegistrationReason(accountOfArn(request.StackId)), undefined) };
  return { properties: props.data, found };
}

/** The one answer to a registration that is not (or not visibly) ours. */
export function unknownRegistrationReason(requester: string | undefined): string {
  return `Groundwork has no registration matching this link for AWS account ${requester ?? 'unknown'}. Launch the template from the quick-create link Groundwork gave when you added this AWS account.`;
}
