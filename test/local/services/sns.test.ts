import type { SNSEvent } from 'aws-lambda';
import type { SandboxHooks } from '../../../local/contracts';
import { startEdgeServer, type EdgeServer } from '../../../local/edge/edge-server';
import { createSnsService, type SnsService } from '../../../local/services/sns';
import { authorization } from '../edge/edge-support';

// @aws-sdk/client-sns is not installed: these requests are what it sends (query protocol, SigV4-shaped).
const TOPIC = 'arn:aws:sns:us-east-1:000000000000:groundwork-local-registration';
const received: SNSEvent[] = [];
let sns: SnsService;
let edge: EdgeServer;

beforeAll(async () => {
  sns = createSnsService({ subscriptions: [{ topicArn: TOPIC, deliver: async (event) => void received.push(event) }], now: () => new Date('2025-01-02T03:04:05.678Z') });
  edge = await startEdgeServer({ port: 0, services: [sns] });
});

afterAll(async () => {
  await sns.settle();
  await edge.close();
});

beforeEach(() => {
  received.length = 0;
});

function publish(params: Record<string, string>) {
  return fetch(`${edge.url}/`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8', authorization: authorization('sns', '123456789012'), 'x-amz-date': '20250101T000000Z' },
    body: new URLSearchParams({ Action: 'Publish', Version: '2010-03-31', ...params }).toString(),
  });
}

describe('the local SNS, through query-protocol requests', () => {
  it('publishes: answers the MessageId, then delivers the Lambda SNS event to the subscription', async () => {
    const message = JSON.stringify({ RequestType: 'Create', ResponseURL: 'http://127.0.0.1/x' });

    const response = await publish({
      TopicArn: TOPIC,
      Message: message,
      Subject: 'custom resource',
      'MessageAttributes.entry.1.Name': 'kind',
      'MessageAttributes.entry.1.Value.DataType': 'String',
      'MessageAttributes.entry.1.Value.StringValue': 'registration',
    });

    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/xml');
    const body = await response.text();
    const messageId = /<PublishResponse xmlns="http:\/\/sns.amazonaws.com\/doc\/2010-03-31\/"><PublishResult><MessageId>([^<]+)<\/MessageId><\/PublishResult>/.exec(body)?.[1];
    expect(messageId).toBeDefined();
    expect(body).toMatch(/<ResponseMetadata><RequestId>[^<]+<\/RequestId><\/ResponseMetadata><\/PublishResponse>$/);
    await sns.settle();
    expect(received).toHaveLength(1);
    const [record] = received[0]?.Records ?? [];
    expect(record).toMatchObject({ EventSource: 'aws:sns', EventVersion: '1.0' });
    expect(record?.EventSubscriptionArn).toMatch(new RegExp(`^${TOPIC}:[0-9a-f-]{36}$`));
    expect(record?.Sns).toMatchObject({
      Type: 'Notification',
      MessageId: messageId,
      TopicArn: TOPIC,
      Subject: 'custom resource',
      Message: message,
      Timestamp: '2025-01-02T03:04:05.678Z',
      SignatureVersion: '1',
      MessageAttributes: { kind: { Type: 'String', Value: 'registration' } },
    });
    expect(typeof record?.Sns.Signature).toBe('string');
    expect(typeof record?.Sns.SigningCertUrl).toBe('string');
    expect(typeof record?.Sns.UnsubscribeUrl).toBe('string');
  });

  it('gives Lambda a null Subject when there is none, as SNS does', async () => {
    await publish({ TopicArn: TOPIC, Message: 'hello' });
    await sns.settle();

    expect(received[0]?.Records[0]?.Sns.Subject).toBeNull();
    expect(received[0]?.Records[0]?.Sns.MessageAttributes).toEqual({});
  });

  it('answers NotFound for a topic that does not exist, and delivers nothing', async () => {
    const response = await publish({ TopicArn: 'arn:aws:sns:us-east-1:000000000000:nope', Message: 'hello' });

    expect(response.status).toBe(404);
    expect(await response.text()).toMatch(/<ErrorResponse xmlns="[^"]+"><Error><Type>Sender<\/Type><Code>NotFound<\/Code><Message>Topic does not exist<\/Message><\/Error><RequestId>/);
    await sns.settle();
    expect(received).toHaveLength(0);
  });

  it('refuses a publish without a message, and an action it does not serve', async () => {
    const noMessage = await publish({ TopicArn: TOPIC });
    const other = await fetch(`${edge.url}/?Action=ListTopics`, { headers: { authorization: authorization('sns') } });

    expect(noMessage.status).toBe(400);
    expect(await noMessage.text()).toContain('<Code>InvalidParameter</Code>');
    expect(other.status).toBe(400);
    expect(await other.text()).toContain('<Code>InvalidAction</Code>');
  });

  it('publishes for local AWS services too (SandboxHooks.publishToTopic)', async () => {
    const hooks: Pick<SandboxHooks, 'publishToTopic'> = { publishToTopic: sns.publish };

    await hooks.publishToTopic(TOPIC, 'from the sandbox');
    await sns.settle();

    expect(received[0]?.Records[0]?.Sns).toMatchObject({ MessageId: expect.any(String), Message: 'from the sandbox' });
    await expect(sns.publish('arn:aws:sns:us-east-1:000000000000:nope', 'x')).rejects.toMatchObject({ name: 'NotFound' });
  });
});
