import { CreateTableCommand, DeleteTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { randomUUID } from 'node:crypto';
import { documentClient } from '../../src/aws/clients';
import { tableDefinition } from '../../src/store/table-definition';

/** The DynamoDB Local started by global setup; each test file gets its own table. */
export function testDynamoClient(): DynamoDBClient {
  const endpoint = process.env['GROUNDWORK_TEST_DYNAMODB_ENDPOINT'];
  if (!endpoint) throw new Error('GROUNDWORK_TEST_DYNAMODB_ENDPOINT is not set: run the tests through `npm test` (jest global setup starts DynamoDB Local)');
  return new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
}

export async function createTestTable() {
  const client = testDynamoClient();
  const tableName = `groundwork-test-${randomUUID()}`;
  await client.send(new CreateTableCommand(tableDefinition(tableName)));
  return {
    tableName,
    client,
    dynamo: documentClient(client),
    drop: async () => {
      await client.send(new DeleteTableCommand({ TableName: tableName }));
      client.destroy();
    },
  };
}
