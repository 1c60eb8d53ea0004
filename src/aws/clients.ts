import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SFNClient } from '@aws-sdk/client-sfn';
import { STSClient } from '@aws-sdk/client-sts';
import { fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/**
 * The one place that builds AWS clients. Endpoints come from the SDK's own configuration
 * (AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_<SERVICE>), which is how local mode points the same code
 * at the embedded services; nothing here knows which it is talking to.
 */
export interface ServiceClients {
  dynamo: DynamoDBDocumentClient;
  events: EventBridgeClient;
  /** STS acting as the Groundwork service role: the only principal customer access roles trust. */
  serviceRoleSts: STSClient;
}

const MAX_ATTEMPTS = 4;

export function documentClient(client: DynamoDBClient): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}

export function createServiceClients(options: { serviceRoleArn: string; region?: string }): ServiceClients {
  const common = { maxAttempts: MAX_ATTEMPTS, ...(options.region ? { region: options.region } : {}) };
  return {
    dynamo: documentClient(new DynamoDBClient(common)),
    events: new EventBridgeClient(common),
    serviceRoleSts: new STSClient({
      ...common,
      credentials: fromTemporaryCredentials({
        params: { RoleArn: options.serviceRoleArn, RoleSessionName: 'groundwork-service', DurationSeconds: 900 },
        clientConfig: common,
      }),
    }),
  };
}

/** Step Functions, for the API functions that start and describe workflow executions. */
export function createWorkflowClient(options: { region?: string } = {}): SFNClient {
  return new SFNClient({ maxAttempts: MAX_ATTEMPTS, ...(options.region ? { region: options.region } : {}) });
}
