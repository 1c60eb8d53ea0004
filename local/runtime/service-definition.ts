import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readTemplate } from '../../src/cfn/read-template';
import { REGION, SERVICE_ACCOUNT, STAGE } from '../config';

/**
 * What the embedded default needs of serverless.yml: each function's handler and timeout, the
 * HTTP API routes, the SNS subscriptions, the SQS event sources and the EventBridge rules. Read with the CloudFormation-tolerant YAML reader
 * (`!Ref`, `!Sub` … become their JSON forms); `${sls:stage}`-style variables are resolved for
 * the local stage, anything else is left as written.
 */
export const REPOSITORY_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Serverless Framework's default when neither the function nor the provider sets one. */
const DEFAULT_TIMEOUT_SECONDS = 6;
const DEFAULT_MEMORY_MB = 1024;

export interface FunctionDefinition {
  /** The key under `functions:` (e.g. createAccount). */
  name: string;
  /** `functions/create-account/handler.handler` */
  handler: string;
  /** The handler module without extension, relative to the repository root. */
  modulePath: string;
  exportName: string;
  timeoutSeconds: number;
  memoryMb: number;
}

export interface HttpRoute {
  method: string;
  /** As serverless.yml writes it: /v1/accounts/{id} */
  path: string;
  functionName: string;
}

export interface SnsSubscription {
  topicArn: string;
  functionName: string;
}

/** A function's `sqs` event: Lambda polling a queue declared under resources, delivering to it. */
export interface SqsSubscription {
  queueName: string;
  functionName: string;
  batchSize: number;
  /** The queue's VisibilityTimeout (SQS's default 30 s): a failed message is seen again after it. */
  visibilityTimeoutSeconds: number;
  /** The queue's RedrivePolicy maxReceiveCount: after that many failed receives it is dead-lettered (none: never). */
  maxReceiveCount?: number;
}

/** A function's `eventBridge` event: a rule on a bus delivering matching events to it. */
export interface EventBridgeSubscription {
  /** The bus name (`default` when serverless.yml names none). */
  busName: string;
  pattern: object;
  functionName: string;
}

export interface ServiceDefinition {
  functions: Record<string, FunctionDefinition>;
  httpRoutes: HttpRoute[];
  snsSubscriptions: SnsSubscription[];
  sqsSubscriptions: SqsSubscription[];
  eventBridgeSubscriptions: EventBridgeSubscription[];
}

type Yaml = Record<string, unknown>;

const isRecord = (value: unknown): value is Yaml => typeof value === 'object' && value !== null && !Array.isArray(value);

/** `${sls:stage}`, `${opt:stage, 'dev'}`, `${self:service}`, `${aws:region}`, `${aws:accountId}` for local mode. */
export function resolveVariables(text: string, context: { service: string; stage?: string; region?: string; accountId?: string }): string {
  const stage = context.stage ?? STAGE;
  const known: Record<string, string> = {
    'sls:stage': stage,
    'opt:stage': stage,
    'self:provider.stage': stage,
    'self:service': context.service,
    'aws:region': context.region ?? REGION,
    'opt:region': context.region ?? REGION,
    'self:provider.region': context.region ?? REGION,
    'aws:accountId': context.accountId ?? SERVICE_ACCOUNT,
  };
  return text.replace(/\$\{([^}]+)\}/g, (whole, inner: string) => {
    const [variable] = inner.split(',');
    return known[(variable ?? '').trim()] ?? whole;
  });
}

function snsTopicArn(sns: unknown, service: string): string | undefined {
  const arnOf = (topicName: string) => `arn:aws:sns:${REGION}:${SERVICE_ACCOUNT}:${resolveVariables(topicName, { service })}`;
  if (typeof sns === 'string') return sns.startsWith('arn:') ? resolveVariables(sns, { service }) : arnOf(sns);
  if (!isRecord(sns)) return undefined;
  // `arn` is usually `!Ref Topic` (an object here): the topic's name is then in `topicName`.
  if (typeof sns['arn'] === 'string') return resolveVariables(sns['arn'], { service });
  if (typeof sns['topicName'] === 'string') return arnOf(sns['topicName']);
  if (typeof sns['topic'] === 'string') return arnOf(sns['topic']);
  return undefined;
}

/**
 * A bus as serverless.yml names it: a name, an ARN, or `!Ref`/`!GetAtt` of an AWS::Events::EventBus
 * declared under resources (whose Name is then the bus name).
 */
function busName(eventBus: unknown, document: Yaml, service: string): string | undefined {
  if (eventBus === undefined) return 'default';
  if (typeof eventBus === 'string') {
    const resolved = resolveVariables(eventBus, { service });
    const marker = ':event-bus/';
    return resolved.startsWith('arn:') && resolved.includes(marker) ? resolved.slice(resolved.indexOf(marker) + marker.length) : resolved;
  }
  const resource = referencedResource(eventBus, document);
  if (resource?.['Type'] !== 'AWS::Events::EventBus' || !isRecord(resource['Properties'])) return undefined;
  const name = resource['Properties']['Name'];
  return typeof name === 'string' ? resolveVariables(name, { service }) : undefined;
}

/** The resource a `!Ref`/`!GetAtt` (as JSON) names, if it is declared under resources. */
function referencedResource(reference: unknown, document: Yaml): Yaml | undefined {
  if (!isRecord(reference)) return undefined;
  const getAtt = reference['Fn::GetAtt'];
  const logicalId = typeof reference['Ref'] === 'string' ? reference['Ref'] : Array.isArray(getAtt) && typeof getAtt[0] === 'string' ? getAtt[0] : undefined;
  const resources = isRecord(document['resources']) && isRecord(document['resources']['Resources']) ? document['resources']['Resources'] : {};
  const resource = logicalId === undefined ? undefined : resources[logicalId];
  return isRecord(resource) ? resource : undefined;
}

/** An `sqs` event (`arn: !GetAtt Queue.Arn`, or the ARN as a string) with its queue's settings. */
function sqsSubscription(sqs: unknown, document: Yaml, service: string, functionName: string): SqsSubscription | undefined {
  const arn = isRecord(sqs) ? sqs['arn'] : sqs;
  const batchSize = isRecord(sqs) && typeof sqs['batchSize'] === 'number' ? sqs['batchSize'] : 10;
  if (typeof arn === 'string') {
    const name = resolveVariables(arn, { service }).split(':').at(-1);
    return name ? { queueName: name, functionName, batchSize, visibilityTimeoutSeconds: 30 } : undefined;
  }
  const queue = referencedResource(arn, document);
  if (queue?.['Type'] !== 'AWS::SQS::Queue' || !isRecord(queue['Properties']) || typeof queue['Properties']['QueueName'] !== 'string') return undefined;
  const properties = queue['Properties'];
  const redrive = isRecord(properties['RedrivePolicy']) ? properties['RedrivePolicy'] : {};
  return {
    queueName: resolveVariables(String(properties['QueueName']), { service }),
    functionName,
    batchSize,
    visibilityTimeoutSeconds: typeof properties['VisibilityTimeout'] === 'number' ? properties['VisibilityTimeout'] : 30,
    ...(typeof redrive['maxReceiveCount'] === 'number' ? { maxReceiveCount: redrive['maxReceiveCount'] } : {}),
  };
}

/** A pattern's strings with their `${sls:stage}`-style variables resolved, as the framework does. */
function resolvePatternVariables<T>(pattern: T, service: string): T {
  if (typeof pattern === 'string') return resolveVariables(pattern, { service }) as T;
  if (Array.isArray(pattern)) return pattern.map((item: unknown) => resolvePatternVariables(item, service)) as T;
  if (isRecord(pattern)) return Object.fromEntries(Object.entries(pattern).map(([key, value]) => [key, resolvePatternVariables(value, service)])) as T;
  return pattern;
}

export function parseServiceDefinition(text: string): ServiceDefinition {
  const document = readTemplate(text) as unknown;
  if (!isRecord(document) || !isRecord(document['functions'])) throw new Error('serverless.yml declares no functions');
  const service = typeof document['service'] === 'string' ? document['service'] : 'service';
  const provider = isRecord(document['provider']) ? document['provider'] : {};
  const providerTimeout = typeof provider['timeout'] === 'number' ? provider['timeout'] : DEFAULT_TIMEOUT_SECONDS;
  const providerMemory = typeof provider['memorySize'] === 'number' ? provider['memorySize'] : DEFAULT_MEMORY_MB;

  const definition: ServiceDefinition = { functions: {}, httpRoutes: [], snsSubscriptions: [], sqsSubscriptions: [], eventBridgeSubscriptions: [] };
  for (const [name, raw] of Object.entries(document['functions'])) {
    if (!isRecord(raw) || typeof raw['handler'] !== 'string') throw new Error(`serverless.yml: function ${name} has no handler`);
    const handler = raw['handler'];
    const dot = handler.lastIndexOf('.');
    definition.functions[name] = {
      name,
      handler,
      modulePath: handler.slice(0, dot),
      exportName: handler.slice(dot + 1),
      timeoutSeconds: typeof raw['timeout'] === 'number' ? raw['timeout'] : providerTimeout,
      memoryMb: typeof raw['memorySize'] === 'number' ? raw['memorySize'] : providerMemory,
    };
    for (const event of Array.isArray(raw['events']) ? raw['events'] : []) {
      if (!isRecord(event)) continue;
      const httpApi = event['httpApi'];
      if (isRecord(httpApi) && typeof httpApi['method'] === 'string' && typeof httpApi['path'] === 'string') {
        definition.httpRoutes.push({ method: httpApi['method'].toUpperCase(), path: httpApi['path'], functionName: name });
      } else if (typeof httpApi === 'string') {
        // The short form: `httpApi: 'GET /v1/things'` (or '*').
        const [method = '*', path = '/'] = httpApi.trim().split(/\s+/);
        definition.httpRoutes.push({ method: method.toUpperCase(), path, functionName: name });
      }
      if (event['sns'] !== undefined) {
        const topicArn = snsTopicArn(event['sns'], service);
        if (!topicArn) throw new Error(`serverless.yml: function ${name} has an sns event without a topic name or ARN`);
        definition.snsSubscriptions.push({ topicArn, functionName: name });
      }
      if (event['sqs'] !== undefined) {
        const subscription = sqsSubscription(event['sqs'], document, service, name);
        if (!subscription) throw new Error(`serverless.yml: function ${name} has an sqs event whose queue cannot be resolved locally`);
        definition.sqsSubscriptions.push(subscription);
      }
      const eventBridge = event['eventBridge'];
      if (isRecord(eventBridge)) {
        const bus = busName(eventBridge['eventBus'], document, service);
        if (!bus) throw new Error(`serverless.yml: function ${name} has an eventBridge event on a bus that cannot be resolved locally`);
        if (!isRecord(eventBridge['pattern'])) throw new Error(`serverless.yml: function ${name} has an eventBridge event without a pattern`);
        definition.eventBridgeSubscriptions.push({ busName: bus, pattern: resolvePatternVariables(eventBridge['pattern'], service), functionName: name });
      }
    }
  }
  return definition;
}

export function readServiceDefinition(root = REPOSITORY_ROOT): ServiceDefinition {
  return parseServiceDefinition(readFileSync(join(root, 'serverless.yml'), 'utf8'));
}
