import type { SQSEvent } from 'aws-lambda';
import { createHash, randomUUID } from 'node:crypto';
import type { Logger } from '../../src/log/logger';
import { queueUrl as localQueueUrl, REGION, SERVICE_ACCOUNT } from '../config';
import type { AwsService } from '../contracts';
import { jsonProtocolService } from '../edge/aws-protocols';
import { AwsServiceError } from '../edge/errors';

/**
 * A local SQS (AWS JSON 1.0, `AmazonSQS.<Operation>`, signing name `sqs`) with SendMessage only:
 * its queues are those a function polls (serverless.yml's `sqs` events), and each message goes to
 * that function as the SQS event Lambda's event source mapping hands it, one at a time (batch
 * size 1 is all Groundwork uses), after its DelaySeconds. A delivery that throws is seen again
 * after the queue's visibility timeout, and after maxReceiveCount receives it is set aside (the
 * dead-letter queue; here: kept in `deadLetters` and logged). DelaySeconds and visibility timeouts
 * are scaled by `delayScale` (GROUNDWORK_SPEED), as the workflows' Wait states are.
 *
 * Messages live in memory: a stop loses what was still delayed (a pending revocation check; the
 * account then stays CONNECTED with its revocation noted, as it would if AWS lost the message).
 */
export interface SqsQueueConsumer {
  queueName: string;
  deliver(event: SQSEvent): Promise<void>;
  visibilityTimeoutSeconds: number;
  maxReceiveCount?: number;
}

export interface SqsServiceOptions {
  queues: SqsQueueConsumer[];
  /** Real seconds per second of DelaySeconds and visibility timeout (default 1). */
  delayScale?: number;
  logger?: Logger;
  now?: () => Date;
}

export interface DeadLetter {
  queueName: string;
  body: string;
  receiveCount: number;
}

export interface SqsService extends AwsService {
  /** The queue's URL, as `!Ref Queue` gives it in AWS (here on the edge). */
  queueUrl(queueName: string): string;
  /** Resolves when nothing is delayed, waiting or being delivered. */
  settle(): Promise<void>;
  /** Messages set aside after maxReceiveCount failed receives. */
  readonly deadLetters: readonly DeadLetter[];
  /** Drops what is still delayed and stops delivering. */
  stop(): void;
}

/** SendMessage's bound on DelaySeconds (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessage.html). */
const MAX_DELAY_SECONDS = 900;
/** SendMessage's bound on a message (256 KiB). */
const MAX_MESSAGE_BYTES = 256 * 1024;

export function createSqsService(options: SqsServiceOptions & { edgeUrl: string }): SqsService {
  const scale = options.delayScale ?? 1;
  const now = options.now ?? (() => new Date());
  const queues = new Map(options.queues.map((queue) => [queue.queueName, queue]));
  const timers = new Set<NodeJS.Timeout>();
  const running = new Set<Promise<void>>();
  const deadLetters: DeadLetter[] = [];
  let stopped = false;
  const queueUrl = (name: string) => localQueueUrl(name, options.edgeUrl);

  const later = (ms: number, work: () => void) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      if (!stopped) work();
    }, Math.max(0, ms));
    timers.add(timer);
  };

  const receive = (queue: SqsQueueConsumer, message: { id: string; body: string; sentAt: number }, receiveCount: number) => {
    const event: SQSEvent = {
      Records: [
        {
          messageId: message.id,
          receiptHandle: randomUUID(),
          body: message.body,
          attributes: {
            ApproximateReceiveCount: String(receiveCount),
            SentTimestamp: String(message.sentAt),
            SenderId: SERVICE_ACCOUNT,
            ApproximateFirstReceiveTimestamp: String(now().getTime()),
          },
          messageAttributes: {},
          md5OfBody: md5(message.body),
          eventSource: 'aws:sqs',
          eventSourceARN: `arn:aws:sqs:${REGION}:${SERVICE_ACCOUNT}:${queue.queueName}`,
          awsRegion: REGION,
        },
      ],
    };
    const delivery = queue.deliver(event).catch((error: unknown) => {
      if (queue.maxReceiveCount !== undefined && receiveCount >= queue.maxReceiveCount) {
        deadLetters.push({ queueName: queue.queueName, body: message.body, receiveCount });
        options.logger?.warn('an SQS message was dead-lettered', { queueName: queue.queueName, messageId: message.id, receiveCount, error });
        return;
      }
      options.logger?.warn('an SQS delivery failed; it is seen again after the visibility timeout', { queueName: queue.queueName, messageId: message.id, receiveCount, error });
      later(queue.visibilityTimeoutSeconds * 1000 * scale, () => receive(queue, message, receiveCount + 1));
    });
    running.add(delivery);
    void delivery.finally(() => running.delete(delivery));
  };

  const service = jsonProtocolService({
    signingNames: ['sqs'],
    targetPrefix: 'AmazonSQS',
    version: '1.0',
    operations: {
      async SendMessage(input) {
        const url = typeof input['QueueUrl'] === 'string' ? input['QueueUrl'] : '';
        const queue = queues.get(url.split('/').at(-1) ?? '');
        if (!queue) throw new AwsServiceError('AWS.SimpleQueueService.NonExistentQueue', 'The specified queue does not exist.');
        const body = input['MessageBody'];
        if (typeof body !== 'string' || body === '') throw new AwsServiceError('MissingParameter', 'The request must contain the parameter MessageBody.');
        if (Buffer.byteLength(body) > MAX_MESSAGE_BYTES) throw new AwsServiceError('InvalidParameterValue', 'One or more parameters are invalid. Reason: Message must be shorter than 262144 bytes.');
        const delay = input['DelaySeconds'] === undefined ? 0 : Number(input['DelaySeconds']);
        if (!Number.isInteger(delay) || delay < 0 || delay > MAX_DELAY_SECONDS) throw new AwsServiceError('InvalidParameterValue', `Value ${String(input['DelaySeconds'])} for parameter DelaySeconds is invalid. Reason: must be between 0 and 900, if provided.`);
        const message = { id: randomUUID(), body, sentAt: now().getTime() };
        later(delay * 1000 * scale, () => receive(queue, message, 1));
        return { MessageId: message.id, MD5OfMessageBody: md5(body) };
      },
    },
  });

  return {
    signingNames: service.signingNames,
    handle: (request) => service.handle(request),
    queueUrl,
    deadLetters,
    async settle() {
      while (timers.size > 0 || running.size > 0) {
        if (running.size > 0) await Promise.all([...running]);
        else await new Promise((resolve) => setTimeout(resolve, 10));
      }
    },
    stop() {
      stopped = true;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
    },
  };
}

function md5(text: string): string {
  return createHash('md5').update(text, 'utf8').digest('hex');
}
