import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { ECSClient } from '@aws-sdk/client-ecs';
import { IAMClient } from '@aws-sdk/client-iam';
import { S3Client } from '@aws-sdk/client-s3';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { STSClient, type STSClientConfig } from '@aws-sdk/client-sts';
import { clientConfig } from '../../src/aws/clients';

/**
 * The one place `npm run aws:smoke` builds AWS clients: every client acts as the caller (the
 * standard SDK credential chain, or the credentials given), in one region, optionally at one
 * endpoint (the local sandbox answers CloudFormation, STS and the EC2 and RDS region reads, not
 * the rest; see docs/real-aws.md).
 * The customer-account clients are not built here: they are Groundwork's own (CloudFormation,
 * src/aws/customer-clients.ts; EC2 and RDS for the region reads, src/aws/customer-region-clients.ts),
 * fed with this STS client, so the smoke test reaches the account exactly as the workflow and
 * POST /v1/stacks do. Those factories read their endpoint from the SDK's own configuration
 * (AWS_ENDPOINT_URL), which the entry point sets when given --endpoint-url.
 */
export interface SmokeClientOptions {
  region: string;
  /** e.g. http://127.0.0.1:4566; absent: AWS's own endpoints. */
  endpoint?: string;
  /** Absent: the SDK's default chain (environment, profile, SSO, instance role …). */
  credentials?: STSClientConfig['credentials'];
}

export interface SmokeClients {
  sts: STSClient;
  iam: IAMClient;
  cloudFormation: CloudFormationClient;
  s3: S3Client;
  sns: SNSClient;
  sqs: SQSClient;
  ecs: ECSClient;
  logs: CloudWatchLogsClient;
}

export function createSmokeClients(options: SmokeClientOptions): SmokeClients {
  const config = {
    ...clientConfig({ region: options.region }),
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    ...(options.credentials ? { credentials: options.credentials } : {}),
  };
  return {
    sts: new STSClient(config),
    iam: new IAMClient(config),
    cloudFormation: new CloudFormationClient(config),
    // An emulator serves buckets by path, not by host name.
    s3: new S3Client({ ...config, ...(options.endpoint ? { forcePathStyle: true } : {}) }),
    sns: new SNSClient(config),
    sqs: new SQSClient(config),
    ecs: new ECSClient(config),
    logs: new CloudWatchLogsClient(config),
  };
}

export function destroySmokeClients(clients: SmokeClients): void {
  for (const client of Object.values(clients)) client.destroy();
}
