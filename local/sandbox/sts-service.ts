import { createHash } from 'node:crypto';
import type { AwsRequest, AwsResponse, AwsService } from '../contracts';
import { identifyCaller, issueSessionToken, type Caller } from './caller-identity';
import { AccessDeniedError, AwsApiError, ValidationError } from './errors';
import { answerQuery, QueryParameters, type XmlValue } from './query-protocol';
import type { StackEngine } from './stack-engine';
import { trustPolicyAllows } from './trust-policy';

/**
 * The sandbox's STS (query protocol, 2011-06-15): AssumeRole, honouring each role's trust policy
 * (principal, ExternalId and other conditions), and GetCallerIdentity. Roles are those the
 * accounts' stacks created, plus the Groundwork service role of SERVICE_ACCOUNT. Credentials it
 * issues act in the role's account (their access key id is that account) as the role session.
 */

const NAMESPACE = 'https://sts.amazonaws.com/doc/2011-06-15/';
const SESSION_NAME = /^[\w+=,.@-]{2,64}$/;
const EXTERNAL_ID = /^[\w+=,.@:/-]{2,1224}$/;
/** A session that assumes another role (role chaining) gets at most an hour. */
const CHAINED_SESSION_SECONDS = 3600;

/** What each of the accounts' own APIs (STS, EC2, RDS) is built with. */
export interface AccountApiOptions {
  engine: StackEngine;
  now: () => number;
  log: (message: string) => void;
}

export function createStsService(options: AccountApiOptions): AwsService {
  const { engine, now, log } = options;

  function assumeRole(params: QueryParameters, caller: Caller): { [name: string]: XmlValue } {
    const roleArn = params.required('RoleArn');
    const sessionName = params.required('RoleSessionName');
    if (!SESSION_NAME.test(sessionName)) {
      throw new ValidationError(`1 validation error detected: Value '${sessionName}' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*`);
    }
    const externalId = params.string('ExternalId');
    if (externalId !== undefined && !EXTERNAL_ID.test(externalId)) {
      throw new ValidationError(`1 validation error detected: Value at 'externalId' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@:\\/-]*`);
    }
    const duration = params.number('DurationSeconds') ?? 3600;
    if (!Number.isInteger(duration) || duration < 900 || duration > 43_200) {
      throw new ValidationError(`1 validation error detected: Value '${duration}' at 'durationSeconds' failed to satisfy constraint: Member must have value between 900 and 43200`);
    }

    const denied = new AccessDeniedError(`User: ${caller.arn} is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`);
    const role = engine.accounts.findRole(roleArn);
    // A role that does not exist is refused exactly like one that does not trust the caller.
    if (!role) throw denied;
    const context = {
      'sts:ExternalId': externalId,
      'sts:RoleSessionName': sessionName,
      'aws:PrincipalArn': caller.kind === 'assumed-role' ? caller.roleArn : caller.arn,
      'aws:PrincipalAccount': caller.account,
      'aws:PrincipalType': caller.kind === 'assumed-role' ? 'AssumedRole' : 'Account',
    };
    if (!trustPolicyAllows(role.trustPolicy, caller, 'sts:AssumeRole', context)) throw denied;
    if (caller.kind === 'assumed-role' && duration > CHAINED_SESSION_SECONDS) {
      throw new ValidationError('The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.');
    }
    if (duration > role.maxSessionDuration) throw new ValidationError('The requested DurationSeconds exceeds the MaxSessionDuration set for this role.');

    const account = roleArn.split(':')[4] ?? '';
    const expires = now() + duration * 1000;
    const sessionToken = issueSessionToken(engine.state.secret, { account, roleArn, roleName: role.name, session: sessionName, expires });
    return {
      Credentials: {
        // The access key id names the account the credentials act in.
        AccessKeyId: account,
        SecretAccessKey: createHash('sha256').update(sessionToken).digest('base64').slice(0, 40),
        SessionToken: sessionToken,
        Expiration: new Date(expires),
      },
      AssumedRoleUser: {
        AssumedRoleId: `${role.roleId}:${sessionName}`,
        Arn: `arn:aws:sts::${account}:assumed-role/${role.name}/${sessionName}`,
      },
    };
  }

  function getCallerIdentity(caller: Caller): { [name: string]: XmlValue } {
    if (caller.kind === 'account') return { UserId: caller.account, Account: caller.account, Arn: caller.arn };
    const roleId = engine.accounts.findRole(caller.roleArn)?.roleId ?? 'AROA000000000000000000';
    return { UserId: `${roleId}:${caller.sessionName}`, Account: caller.account, Arn: caller.arn };
  }

  return {
    signingNames: ['sts'],
    async handle(request: AwsRequest): Promise<AwsResponse> {
      const params = new QueryParameters(request);
      const call = { namespace: NAMESPACE, requestId: engine.uuid('request'), action: params.action, internalMessage: 'An internal error occurred.', log };
      return answerQuery(call, async () => {
        const caller = identifyCaller(request, engine.state.secret, now());
        if (params.action === 'AssumeRole') return assumeRole(params, caller);
        if (params.action === 'GetCallerIdentity') return getCallerIdentity(caller);
        throw new AwsApiError('InvalidAction', `Could not find operation ${params.action} for version 2011-06-15 (the sandbox implements AssumeRole and GetCallerIdentity)`);
      });
    },
  };
}
