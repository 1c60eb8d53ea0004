// Jest loads global setup outside its ESM transform, so the TypeScript launcher is imported through tsx.
import { mkdirSync, writeFileSync } from 'node:fs';
import { tsImport } from 'tsx/esm/api';

/** One DynamoDB Local for the whole run; its pid is written down so teardown stops exactly it. */
export default async function globalSetup() {
  const { startDynamoDbLocal } = await tsImport('../../local/dynamodb/dynamodb-local.ts', import.meta.url);
  mkdirSync('.test-state', { recursive: true });
  const dynamo = await startDynamoDbLocal({ cacheDir: '.test-state' });
  // Keyed by this jest process: two runs in one checkout must each stop their own.
  writeFileSync(`.test-state/dynamodb-${process.pid}.pid`, String(dynamo.pid));
  process.env.GROUNDWORK_TEST_DYNAMODB_ENDPOINT = dynamo.endpoint;
}
