import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import { createHash } from 'node:crypto';
import { startEdgeServer, type EdgeServer } from '../../../local/edge/edge-server';
import { createSqsService, type SqsService } from '../../../local/services/sqs';

/**
 * The local SQS behind the edge, driven by the real SDK client (AWS JSON 1.0): SendMessage with
 * DelaySeconds, delivery to the polling function as Lambda's SQS event, redelivery after the
 * visibility timeout, dead-lettering after maxReceiveCount.
 */
const received: Array<{ queue: string; at: number; event: SQSEvent }> = [];
let failuresLeft = 0;
let sqs: SqsService;
let edge: EdgeServer;
let client: SQSClient;

beforeAll(async () => {
  sqs = createSqsService({
    edgeUrl: 'http://placeholder',
    // 1 s of DelaySeconds or visibility timeout is 10 ms here.
    delayScale: 0.01,
    queues: [
      { queueName: 'work', visibilityTimeoutSeconds: 30, maxReceiveCount: 3, deliver: async (event) => void received.push({ queue: 'work', at: Date.now(), event }) },
      {
        queueName: 'flaky',
        visibilityTimeoutSeconds: 30,
        maxReceiveCount: 3,
        deliver: async (event) => {
          received.push({ queue: 'flaky', at: Date.now(), event });
          if (failuresLeft-- > 0) throw new Error('the function failed');
        },
      },
    ],
  });
  edge = await startEdgeServer({ port: 0, services: [sqs] });
  client = new SQSClient({ region: 'us-east-1', endpoint: edge.url, credentials: { accessKeyId: '000000000000', secretAccessKey: 'local' } });
});

afterAll(async () => {
  sqs.stop();
  client.destroy();
  await edge.close();
});

beforeEach(() => {
  received.length = 0;
});

const url = (queue: string) => `${edge.url}/000000000000/${queue}`;

describe('the local SQS, through the SDK', () => {
  it('accepts a message (with the MD5 the SDK checks) and hands it to the function after its delay', async () => {
    const sent = Date.now();
    const answer = await client.send(new SendMessageCommand({ QueueUrl: url('work'), MessageBody: '{"kind":"decide"}', DelaySeconds: 30 }));
    await sqs.settle();

    expect(answer.MD5OfMessageBody).toBe(createHash('md5').update('{"kind":"decide"}').digest('hex'));
    expect(received).toHaveLength(1);
    expect((received[0]?.at ?? 0) - sent).toBeGreaterThanOrEqual(290);
    expect(received[0]?.event.Records).toEqual([
      expect.objectContaining({ messageId: answer.MessageId, body: '{"kind":"decide"}', eventSource: 'aws:sqs', eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:work', attributes: expect.objectContaining({ ApproximateReceiveCount: '1' }) }),
    ]);
  });

  it('delivers a failed message again after the visibility timeout, then dead-letters it at maxReceiveCount', async () => {
    failuresLeft = 5;
    await client.send(new SendMessageCommand({ QueueUrl: url('flaky'), MessageBody: 'again' }));
    await sqs.settle();

    expect(received.map((r) => r.event.Records[0]?.attributes.ApproximateReceiveCount)).toEqual(['1', '2', '3']);
    expect(sqs.deadLetters).toEqual([{ queueName: 'flaky', body: 'again', receiveCount: 3 }]);
  });

  it('refuses an unknown queue and a delay over 900 s, as SQS does', async () => {
    await expect(client.send(new SendMessageCommand({ QueueUrl: url('nope'), MessageBody: 'x' }))).rejects.toMatchObject({ name: 'QueueDoesNotExist' });
    await expect(client.send(new SendMessageCommand({ QueueUrl: url('work'), MessageBody: 'x', DelaySeconds: 901 }))).rejects.toMatchObject({ name: 'InvalidParameterValue' });
    expect(received).toEqual([]);
  });
});
