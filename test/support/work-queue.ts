import type { SQSEvent } from 'aws-lambda';
import { randomUUID } from 'node:crypto';
import type { RegistrationWork, WorkQueue } from '../../src/accounts/registration/registration-work';

/** A WorkQueue that keeps what was sent, for a test to hand on (or not) by hand. */
export function recordingQueue<T extends RegistrationWork>(): WorkQueue<T> & { sent: Array<{ work: T; delaySeconds?: number }> } {
  const sent: Array<{ work: T; delaySeconds?: number }> = [];
  return {
    sent,
    async send(work, options = {}) {
      options.signal?.throwIfAborted();
      // What SQS carries is the JSON: hand on a copy, as the worker will read it.
      sent.push({ work: JSON.parse(JSON.stringify(work)) as T, ...(options.delaySeconds !== undefined ? { delaySeconds: options.delaySeconds } : {}) });
    },
  };
}

/** The SQS event Lambda hands the worker for one message. */
export function sqsEvent(body: unknown, queue = 'groundwork-test-registration'): SQSEvent {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  return {
    Records: [
      {
        messageId: randomUUID(),
        receiptHandle: randomUUID(),
        body: text,
        attributes: { ApproximateReceiveCount: '1', SentTimestamp: String(Date.now()), SenderId: 'AROA', ApproximateFirstReceiveTimestamp: String(Date.now()) },
        messageAttributes: {},
        md5OfBody: '',
        eventSource: 'aws:sqs',
        eventSourceARN: `arn:aws:sqs:us-east-1:000000000000:${queue}`,
        awsRegion: 'us-east-1',
      },
    ],
  };
}
