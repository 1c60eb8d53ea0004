import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import type { STSClient } from '@aws-sdk/client-sts';
import { customerClientFactory, type CustomerAccess } from './customer-session';

export type { CustomerAccess } from './customer-session';

/** CloudFormation in a customer's account, through its access role (customer-session.ts): the workflow's client. */
export type CustomerCloudFormation = (access: CustomerAccess, region: string) => Promise<CloudFormationClient>;

export function customerCloudFormationFactory(serviceRoleSts: STSClient, now: () => number = Date.now): CustomerCloudFormation {
  return customerClientFactory(serviceRoleSts, (config) => new CloudFormationClient(config), now);
}
