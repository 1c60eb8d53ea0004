import { EC2Client } from '@aws-sdk/client-ec2';
import { RDSClient } from '@aws-sdk/client-rds';
import type { STSClient } from '@aws-sdk/client-sts';
import { clientSet, customerClientFactory, type CustomerClients } from './customer-session';

/**
 * EC2 and RDS in a customer's account, through its access role (customer-session.ts): what the plan
 * and the stack creation read of the customer's region (its AZs, the instance types they offer, the
 * PostgreSQL versions and classes RDS can create there). The access role may make only those calls.
 */
export interface CustomerRegionClients {
  ec2: EC2Client;
  rds: RDSClient;
  destroy(): void;
}

export function customerRegionClientsFactory(serviceRoleSts: STSClient, now: () => number = Date.now): CustomerClients<CustomerRegionClients> {
  return customerClientFactory(
    serviceRoleSts,
    (config) => clientSet({ ec2: new EC2Client(config), rds: new RDSClient(config) }),
    now,
  );
}
