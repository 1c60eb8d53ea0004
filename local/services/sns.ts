import type { SNSEvent, SNSMessageAttributes } from 'aws-lambda';
import { randomUUID } from 'node:crypto';
import type { Logger } from '../../src/log/logger';
import { endpoints } from '../config';
import type { AwsService } from '../contracts';
import { queryMembers, queryProtocolService } from '../edge/aws-protocols';
import { AwsServiceError } from '../edge/errors';
import { deliverAsynchronously, type DeliveryOptions } from './async-delivery';

/**
 * A local SNS (query protocol, signing name `sns`) with Publish only: its topics are those that
 * have a subscription (serverless.yml's `sns` events), and each subscription receives the
 * Lambda SNS event a subscribed function receives in AWS, asynchronously (SNS invokes Lambda
 * asynchronously; a failing invocation is retried). The signature fields are placeholders.
 */
export interface SnsSubscription {
  topicArn: string;
  deliver(snsEvent: SNSEvent): Promise<void>;
}

export interface SnsServiceOptions extends DeliveryOptions {
  subscriptions: SnsSubscription[];
  now?: () => Date;
  logger?: Logger;
}

export interface PublishOptions {
  subject?: string;
  messageAttributes?: SNSMessageAttributes;
}

export interface SnsService extends AwsService {
  /** Publishes as SNS Publish does (SandboxHooks.publishToTopic). Unknown topic: AwsServiceError NotFound. */
  publish(topicArn: string, message: string, options?: PublishOptions): Promise<void>;
  /** Resolves when every delivery started so far has ended. */
  settle(): Promise<void>;
}

const SNS_XMLNS = 'http://sns.amazonaws.com/doc/2010-03-31/';
const MAX_MESSAGE_BYTES = 256 * 1024;

export function createSnsService(options: SnsServiceOptions): SnsService {
  const now = options.now ?? (() => new Date());
  const logger = options.logger;
  const deliveries = new Set<Promise<void>>();
  // Each subscription has its ARN for good: <topic ARN>:<uuid>.
  const subscriptions = options.subscriptions.map((subscription) => ({ ...subscription, subscriptionArn: `${subscription.topicArn}:${randomUUID()}` }));
  const topics = new Set(subscriptions.map((subscription) => subscription.topicArn));

  async function publish(topicArn: string, message: string, publishOptions: PublishOptions = {}): Promise<string> {
    if (!topics.has(topicArn)) throw new AwsServiceError('NotFound', 'Topic does not exist', 404);
    if (Buffer.byteLength(message) > MAX_MESSAGE_BYTES) throw new AwsServiceError('InvalidParameter', 'Invalid parameter: Message too long');
    const messageId = randomUUID();
    const timestamp = now().toISOString();
    for (const subscription of subscriptions.filter((s) => s.topicArn === topicArn)) {
      const event: SNSEvent = {
        Records: [
          {
            EventSource: 'aws:sns',
            EventVersion: '1.0',
            EventSubscriptionArn: subscription.subscriptionArn,
            Sns: {
              Type: 'Notification',
              MessageId: messageId,
              TopicArn: topicArn,
              // Lambda receives null when the publisher gave no subject.
              Subject: (publishOptions.subject ?? null) as unknown as string,
              Message: message,
              Timestamp: timestamp,
              SignatureVersion: '1',
              Signature: 'local',
              SigningCertUrl: `${endpoints.edge}/_groundwork/sns/SimpleNotificationService-local.pem`,
              UnsubscribeUrl: `${endpoints.edge}/?Action=Unsubscribe&SubscriptionArn=${encodeURIComponent(subscription.subscriptionArn)}`,
              MessageAttributes: publishOptions.messageAttributes ?? {},
            },
          },
        ],
      };
      const delivery = deliverAsynchronously(() => subscription.deliver(event), options, (error, attempt, final) =>
        logger?.warn('an SNS subscription failed', { topicArn, messageId, attempt, final, error }),
      );
      deliveries.add(delivery);
      void delivery.finally(() => deliveries.delete(delivery));
    }
    return messageId;
  }

  const service = queryProtocolService({
    signingNames: ['sns'],
    xmlns: SNS_XMLNS,
    actions: {
      async Publish(params) {
        const topicArn = params['TopicArn'] ?? params['TargetArn'];
        if (!topicArn) throw new AwsServiceError('InvalidParameter', 'Invalid parameter: TopicArn or TargetArn Reason: no value for required parameter');
        let message = params['Message'];
        if (message === undefined || message === '') throw new AwsServiceError('InvalidParameter', 'Invalid parameter: Message Reason: no value for required parameter');
        if (params['MessageStructure'] === 'json') message = lambdaMessage(message);
        const subject = params['Subject'];
        const messageId = await publish(topicArn, message, { ...(subject !== undefined ? { subject } : {}), messageAttributes: messageAttributesOf(params) });
        return { MessageId: messageId };
      },
    },
  });

  return {
    signingNames: service.signingNames,
    handle: (request) => service.handle(request),
    async publish(topicArn, message, publishOptions) {
      await publish(topicArn, message, publishOptions);
    },
    async settle() {
      while (deliveries.size > 0) await Promise.all([...deliveries]);
    },
  };
}

/** With MessageStructure=json, a Lambda subscription gets the message's `lambda` or else its `default` entry. */
function lambdaMessage(structured: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(structured);
  } catch {
    parsed = undefined;
  }
  const entries = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as Record<string, unknown>;
  const chosen = entries['lambda'] ?? entries['default'];
  if (typeof entries['default'] !== 'string' || typeof chosen !== 'string') {
    throw new AwsServiceError('InvalidParameter', 'Invalid parameter: Message Structure - JSON message body failed to parse or has no default entry');
  }
  return chosen;
}

/** `MessageAttributes.entry.N.Name` / `.Value.DataType` / `.Value.StringValue|BinaryValue` → Lambda's {Name: {Type, Value}}. */
function messageAttributesOf(params: Record<string, string>): SNSMessageAttributes {
  const attributes: SNSMessageAttributes = {};
  for (const entry of queryMembers(params, 'MessageAttributes.entry')) {
    const name = entry['Name'];
    const type = entry['Value.DataType'];
    const value = entry['Value.StringValue'] ?? entry['Value.BinaryValue'];
    if (!name || !type || value === undefined) throw new AwsServiceError('InvalidParameterValue', `The message attribute '${name ?? ''}' needs a DataType and a value`);
    attributes[name] = { Type: type, Value: value };
  }
  return attributes;
}
