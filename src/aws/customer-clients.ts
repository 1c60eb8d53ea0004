import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { AssumeRoleCommand, type STSClient } from '@aws-sdk/client-sts';

/**
 * Clients acting in a customer's account: the Groundwork service role assumes the customer's
 * access role with the account's ExternalId. Credentials are cached per role and region for a
 * warm function, and renewed well before they expire.
 */
export interface CustomerAccess {
  accessRoleArn: string;
  externalId: string;
  sessionName: string;
}

export type CustomerCloudFormation = (access: CustomerAccess, region: string) => Promise<CloudFormationClient>;

const SESSION_SECONDS = 900;
const RENEW_BEFORE_MS = 5 * 60 * 1000;

export function customerCloudFormationFactory(serviceRoleSts: STSClient, now: () => number = Date.now): CustomerCloudFormation {
  const cache = new Map<string, { client: CloudFormationClient; expires: number }>();
  return async (access, region) => {
    const key = `${access.accessRoleArn}|${region}`;
    const cached = cache.get(key);
    if (cached && cached.expires - RENEW_BEFORE_MS > now()) return cached.client;
    const assumed = await serviceRoleSts.send(
      new AssumeRoleCommand({
        RoleArn: access.accessRoleArn,
        ExternalId: access.externalId,
        RoleSessionName: access.sessionName.slice(0, 64),
        DurationSeconds: SESSION_SECONDS,
      }),
    );
    const credentials = assumed.Credentials;
    if (!credentials?.AccessKeyId || !credentials.SecretAccessKey) throw new Error(`AssumeRole of ${access.accessRoleArn} returned no credentials`);
    const client = new CloudFormationClient({
      region,
      maxAttempts: 3,
      credentials: {
        accessKeyId: credentials.AccessKeyId,
        secretAccessKey: credentials.SecretAccessKey,
        ...(credentials.SessionToken ? { sessionToken: credentials.SessionToken } : {}),
      },
    });
    cache.get(key)?.client.destroy();
    cache.set(key, { client, expires: credentials.Expiration ? credentials.Expiration.getTime() : now() + SESSION_SECONDS * 1000 });
    return client;
  };
}
