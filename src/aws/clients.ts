import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/**
 * The one place (src/aws/) that builds AWS clients, one module per client so each function's
 * bundle carries only the SDK clients it uses. Endpoints come from the SDK's own configuration
 * (AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_<SERVICE>), which is how local mode points the same code at
 * the embedded services; nothing here knows which it is talking to.
 */
export const MAX_ATTEMPTS = 4;

export interface ClientOptions {
  region?: string;
}

export function clientConfig(options: ClientOptions) {
  return { maxAttempts: MAX_ATTEMPTS, ...(options.region ? { region: options.region } : {}) };
}

export function documentClient(client: DynamoDBClient): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}

/** Groundwork's own state and events: what every function needs. */
export interface ServiceClients {
  dynamo: DynamoDBDocumentClient;
  events: EventBridgeClient;
}

/** The table alone, for a function that announces nothing (the onboarding callback's first stage). */
export function createTableClient(options: ClientOptions): DynamoDBDocumentClient {
  return documentClient(new DynamoDBClient(clientConfig(options)));
}

export function createServiceClients(options: ClientOptions): ServiceClients {
  return { dynamo: documentClient(new DynamoDBClient(clientConfig(options))), events: new EventBridgeClient(clientConfig(options)) };
}
