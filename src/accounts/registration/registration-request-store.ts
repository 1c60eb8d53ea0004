import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { registrationRequestKey } from '../../store/table-keys';

/**
 * Remembers each custom-resource request (by CloudFormation's RequestId) so a redelivered SNS
 * message or queue message changes nothing twice and is answered once. Its states:
 *
 *   RECEIVED  the first stage has it (claim); a claim older than that stage's timeout may be taken over
 *   QUEUED    handed to the worker (handOver); no redelivery of the SNS message touches it again
 *   PROVING   the worker has it (take); older than the worker's timeout, a queue redelivery takes it over
 *   ANSWERED  CloudFormation was answered (markAnswered), by either stage
 */
export type ClaimResult = 'claimed' | 'duplicate';

export interface RegistrationRequestStore {
  /** The first stage: a request not seen before (or whose claim went stale). */
  claim(requestId: string, options: { now: Date; staleAfterMs: number }): Promise<ClaimResult>;
  /** The first stage, before it queues the request: RECEIVED → QUEUED. */
  handOver(requestId: string, now: Date): Promise<void>;
  /** The worker: a QUEUED request (or one whose worker went stale). */
  take(requestId: string, options: { now: Date; staleAfterMs: number }): Promise<ClaimResult>;
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
    return this.moveIfStale(requestId, { from: 'RECEIVED', to: 'RECEIVED', now, staleAfterMs });
  }

  async handOver(requestId: string, now: Date): Promise<void> {
    if (!(await this.move(requestId, { from: 'RECEIVED', to: 'QUEUED', now }))) throw new RegistrationRequestMovedError(requestId, 'RECEIVED');
  }

  async take(requestId: string, { now, staleAfterMs }: { now: Date; staleAfterMs: number }): Promise<ClaimResult> {
    if (await this.move(requestId, { from: 'QUEUED', to: 'PROVING', now })) return 'claimed';
    return this.moveIfStale(requestId, { from: 'PROVING', to: 'PROVING', now, staleAfterMs });
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

  /** Takes over a claim in `from` whose holder has been silent longer than its timeout. */
  private async moveIfStale(requestId: string, { from, to, now, staleAfterMs }: { from: string; to: string; now: Date; staleAfterMs: number }): Promise<ClaimResult> {
    return (await this.move(requestId, { from, to, now, staleBefore: new Date(now.getTime() - staleAfterMs) })) ? 'claimed' : 'duplicate';
  }

  /** `from` → `to` (claimed now), if the request is in `from` (and, with staleBefore, claimed before it); false if not. */
  private async move(requestId: string, { from, to, now, staleBefore }: { from: string; to: string; now: Date; staleBefore?: Date }): Promise<boolean> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: registrationRequestKey(requestId),
          UpdateExpression: 'SET #state = :to, claimedAt = :now',
          ConditionExpression: staleBefore ? '#state = :from AND claimedAt < :stale' : '#state = :from',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: { ':now': now.toISOString(), ':from': from, ':to': to, ...(staleBefore ? { ':stale': staleBefore.toISOString() } : {}) },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }
}

/** The request was not in the state a step expected (another delivery moved it first). */
export class RegistrationRequestMovedError extends Error {
  constructor(requestId: string, expected: string) {
    super(`registration request ${requestId} is no longer ${expected}`);
    this.name = 'RegistrationRequestMovedError';
  }
}
