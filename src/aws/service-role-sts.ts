import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { clientConfig, type ClientOptions } from './clients';

/**
 * STS acting as the Groundwork service role: the only principal customer access roles trust
 * (with their ExternalId). Only the functions that act in customer accounts build it.
 *
 * The function's own STS client assumes the service role, and the returned client signs with those
 * credentials (serviceRoleCredentials). Not `fromTemporaryCredentials`: it brings a second STS client
 * of its own, ~23 KB, into bundles that already carry this one.
 */
export function createServiceRoleSts(options: ClientOptions & { serviceRoleArn: string }, now: () => number = Date.now): STSClient {
  const credentials = serviceRoleCredentials(new STSClient(clientConfig(options)), options.serviceRoleArn, now);
  return new STSClient({ ...clientConfig(options), credentials });
}

export interface TemporaryCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  expiration: Date;
}

const SESSION_SECONDS = 900;
/** Assumed again this long before they expire (the SDK's own refresh window). */
const RENEW_BEFORE_MS = 5 * 60 * 1000;
/** Credentials this close to expiry are not handed out, even when renewing them failed. */
const USABLE_UNTIL_MS = 60 * 1000;

/**
 * A credential provider for the service role: one AssumeRole shared by concurrent callers, renewed
 * 5 minutes before expiry. Should the renewal fail while the current credentials still have more than
 * a minute left, those are handed out and the next call tries again; otherwise the failure is thrown.
 */
export function serviceRoleCredentials(ownSts: STSClient, roleArn: string, now: () => number = Date.now): () => Promise<TemporaryCredentials> {
  let current: TemporaryCredentials | undefined;
  let renewal: Promise<TemporaryCredentials> | undefined;
  const assume = async (): Promise<TemporaryCredentials> => {
    const { Credentials } = await ownSts.send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: 'groundwork-service', DurationSeconds: SESSION_SECONDS }));
    if (!Credentials?.AccessKeyId || !Credentials.SecretAccessKey || !Credentials.SessionToken) throw new Error(`AssumeRole of ${roleArn} returned no credentials`);
    return {
      accessKeyId: Credentials.AccessKeyId,
      secretAccessKey: Credentials.SecretAccessKey,
      sessionToken: Credentials.SessionToken,
      expiration: Credentials.Expiration ?? new Date(now() + SESSION_SECONDS * 1000),
    };
  };
  return async () => {
    if (current !== undefined && current.expiration.getTime() - RENEW_BEFORE_MS > now()) return current;
    renewal ??= assume().finally(() => {
      renewal = undefined;
    });
    try {
      current = await renewal;
      return current;
    } catch (error) {
      if (current !== undefined && current.expiration.getTime() - USABLE_UNTIL_MS > now()) return current;
      throw error;
    }
  };
}
