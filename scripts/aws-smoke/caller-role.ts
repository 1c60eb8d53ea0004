import { GetRoleCommand, type IAMClient } from '@aws-sdk/client-iam';
import { GetCallerIdentityCommand, type STSClient } from '@aws-sdk/client-sts';

/**
 * Who runs the smoke test. It plays Groundwork's service role: the onboarding template's access
 * role trusts exactly one role ARN (GroundworkServiceRoleArn, which must be `…:role/…`), and the
 * caller then assumes that access role with the ExternalId, as the workflow does. So the caller
 * must be a role session; an IAM user or the root user is refused before anything is created.
 */
export class SmokeRefusal extends Error {
  override name = 'SmokeRefusal';
}

export interface CallerRole {
  account: string;
  partition: string;
  /** The role's ARN, with its path (what a trust policy names). */
  roleArn: string;
  /** The caller's own ARN (the assumed-role session). */
  sessionArn: string;
}

const ASSUMED_ROLE = /^arn:(aws[a-z-]*):sts::(\d{12}):assumed-role\/([^/]+)\/.+$/;

/**
 * The role behind an assumed-role session ARN, `arn:aws:sts::<account>:assumed-role/<name>/<session>`.
 * The session ARN drops the role's path, so the role's own ARN is read with iam:GetRole (SSO roles,
 * for one, live under /aws-reserved/sso.amazonaws.com/); without that permission, the ARN without a
 * path is used and `warn` says so.
 */
export async function callerRole(sts: STSClient, iam: IAMClient, warn: (line: string) => void): Promise<CallerRole> {
  const identity = await sts.send(new GetCallerIdentityCommand({}));
  const sessionArn = identity.Arn ?? '';
  const match = ASSUMED_ROLE.exec(sessionArn);
  if (!match) throw new SmokeRefusal(refusalFor(sessionArn));
  const [, partition = 'aws', account = '', roleName = ''] = match;
  let roleArn = `arn:${partition}:iam::${account}:role/${roleName}`;
  try {
    const role = await iam.send(new GetRoleCommand({ RoleName: roleName }));
    if (role.Role?.Arn) roleArn = role.Role.Arn;
  } catch (error) {
    warn(`Could not read role ${roleName} (${error instanceof Error ? error.name : String(error)}); assuming it has no path: ${roleArn}. If the onboarding stack's access role cannot be assumed, run as a role you may read.`);
  }
  return { account, partition, roleArn, sessionArn };
}

function refusalFor(arn: string): string {
  const run = 'Run it as a role: a profile with role_arn, `aws sso login` with an SSO profile, or credentials from `aws sts assume-role`.';
  if (/^arn:aws[a-z-]*:iam::\d{12}:root$/.test(arn)) {
    return `You are signed in as the account's root user (${arn}). The smoke test plays Groundwork's service role, which the onboarding template trusts by role ARN, so it must run as a role, and never as root. ${run}`;
  }
  if (/^arn:aws[a-z-]*:iam::\d{12}:user\//.test(arn)) {
    return `You are signed in as an IAM user (${arn}). The onboarding template's access role trusts one role ARN (GroundworkServiceRoleArn must be …:role/…, as Groundwork's service role is), so the smoke test must run as a role. ${run}`;
  }
  return `The caller ${arn || '(unknown)'} is not an assumed role. The onboarding template's access role trusts one role ARN, so the smoke test must run as a role. ${run}`;
}
