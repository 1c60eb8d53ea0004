import { AssumeRoleCommand, type STSClient } from '@aws-sdk/client-sts';

/**
 * Clients acting in a customer's account: the Groundwork service role assumes the customer's
 * access role with the account's ExternalId. Credentials are cached per role and region for a
 * warm function, and renewed well before they expire. Each kind of client (CloudFormation for the
 * workflow, EC2 and RDS for the region checks) has its own module, so a function's bundle carries
 * only the SDK clients it uses.
 */
export interface CustomerAccess {
  accessRoleArn: string;
  externalId: string;
  sessionName: string;
}

/** What every customer client is built with. */
export interface CustomerClientConfig {
  region: string;
  maxAttempts: number;
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
}

export type CustomerClients<C> = (access: CustomerAccess, region: string) => Promise<C>;

const SESSION_SECONDS = 900;
const RENEW_BEFORE_MS = 5 * 60 * 1000;

/** Clients built with one configuration, destroyed together (what `build` returns for several services). */
export function clientSet<T extends Record<string, { destroy(): void }>>(clients: T): T & { destroy(): void } {
  return {
    ...clients,
    destroy: () => {
      for (const client of Object.values(clients)) client.destroy();
    },
  };
}

/** A factory of `build`'s clients, one per access role and region, renewed with their credentials. */
export function customerClientFactory<C extends { destroy(): void }>(
  serviceRoleSts: STSClient,
  build: (config: CustomerClientConfig) => C,
  now: () => number = Date.now,
): CustomerClients<C> {
  const cache = new Map<string, { clients: C; expires: number }>();
  return async (access, region) => {
    const key = `${access.accessRoleArn}|${region}`;
    const cached = cache.get(key);
    if (cached && cached.expires - RENEW_BEFORE_MS > now()) return cached.clients;
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
    const clients = build({
      region,
      maxAttempts: 3,
      credentials: {
        accessKeyId: credentials.AccessKeyId,
        secretAccessKey: credentials.SecretAccessKey,
        ...(credentials.SessionToken ? { sessionToken: credentials.SessionToken } : {}),
      },
    });
    cache.get(key)?.clients.destroy();
    cache.set(key, { clients, expires: credentials.Expiration ? credentials.Expiration.getTime() : now() + SESSION_SECONDS * 1000 });
    return clients;
  };
}
