import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { clientConfig, type ClientOptions } from './clients';

/**
 * STS acting as the Groundwork service role: the only principal customer access roles trust
 * (with their ExternalId). Only the functions that act in customer accounts build it.
 *
 * The function's own STS client assumes the service role, and the returned client signs with those
 * credentials, assumed again 5 minutes before they expire. (Not `fromTemporaryCredentials`: it
 * brings a second STS client of its own, ~23 KB, into bundles that already carry this one.)
 */
const SESSION_SECONDS = 900;
const RENEW_BEFORE_MS = 5 * 60 * 1000;

export function createServiceRoleSts(options: ClientOptions & { serviceRoleArn: string }, now: () => number = Date.now): STSClient {
  const ownSts = new STSClient(clientConfig(options));
  let current: Promise<{ accessKeyId: string; secretAccessKey: string; sessionToken: string; expiration: Date }> | undefined;
  let expires = 0;
  const assume = async () => {
    const { Credentials } = await ownSts.send(new AssumeRoleCommand({ RoleArn: options.serviceRoleArn, RoleSessionName: 'groundwork-service', DurationSeconds: SESSION_SECONDS }));
    if (!Credentials?.AccessKeyId || !Credentials.SecretAccessKey || !Credentials.SessionToken) throw new Error(`AssumeRole of ${options.serviceRoleArn} returned no credentials`);
    const expiration = Credentials.Expiration ?? new Date(now() + SESSION_SECONDS * 1000);
    expires = expiration.getTime();
    return { accessKeyId: Credentials.AccessKeyId, secretAccessKey: Credentials.SecretAccessKey, sessionToken: Credentials.SessionToken, expiration };
  };
  const credentials = () => {
    if (current === undefined || expires - RENEW_BEFORE_MS <= now()) {
      // A failed assumption is not kept: the next call tries again.
      current = assume().catch((error: unknown) => {
        current = undefined;
        throw error;
      });
      expires = Number.POSITIVE_INFINITY;
    }
    return current;
  };
  return new STSClient({ ...clientConfig(options), credentials });
}
