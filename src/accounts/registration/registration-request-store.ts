import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { registrationRequestKey } from '../../store/table-keys';

/**
 * Remembers each custom-resource request (by CloudFormation's RequestId) so a redelivered SNS
 * message changes nothing twice and is answered once. A claim that was never answered (its
 * handler died mid-way) may be taken over once it is older than the handler's timeout.
 */
export type ClaimResult = 'claimed' | 'duplicate';

export interface RegistrationRequestStore {
  claim(requestId: string, options: { now: Date; staleAfterMs: number }): Promise<ClaimResult>;
  markAnswered(requestId: string, status: 'SUCCESS' | 'FAILED', now: Date): Promise<void>;
}

const RETENTION_SECONDS = 7 * 24 * 60 * 60;

export class DynamoDbRegistrationRequestStore implements RegistrationRequestStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async claim(requestId: string, { now, staleAfterMs }: { now: Date; staleAfterMs: number }): Promise<ClaimResult> {
    const claimedAt = now.toISOString();
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...registrationRequestKey(requestId), state: 'RECEIVED', claimedAt, expiresAt: Math.floor(now.getTime() / 1000) + RETENTION_SECONDS },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return 'claimed';
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: registrationRequestKey(requestId),
          UpdateExpression: 'SET claimedAt = :now',
          ConditionExpression: '#state = :received AND claimedAt < :stale',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: { ':now': claimedAt, ':received': 'RECEIVED', ':stale': new Date(now.getTime() - staleAfterMs).toISOString() },
        }),
      );
      return 'claimed';
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return 'duplicate';
      throw error;
    }
  }

  async markAnswered(requestId: string, status: 'SUCCESS' | 'FAILED', now: Date): Promise<void> {
    await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: registrationRequestKey(requestId),
        UpdateExpression: 'SET #state = :answered, answeredStatus = :status, answeredAt = :now',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: { ':answered': 'ANSWERED', ':status': status, ':now': now.toISOString() },
      }),
    );
  }
}
