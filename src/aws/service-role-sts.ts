import { STSClient } from '@aws-sdk/client-sts';
import { fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import { clientConfig, type ClientOptions } from './clients';

/**
 * STS acting as the Groundwork service role: the only principal customer access roles trust
 * (with their ExternalId). Only the functions that act in customer accounts build it.
 */
export function createServiceRoleSts(options: ClientOptions & { serviceRoleArn: string }): STSClient {
  return new STSClient({
    ...clientConfig(options),
    credentials: fromTemporaryCredentials({
      params: { RoleArn: options.serviceRoleArn, RoleSessionName: 'groundwork-service', DurationSeconds: 900 },
      clientConfig: clientConfig(options),
    }),
  });
}
