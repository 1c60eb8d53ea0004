import { randomUUID } from 'node:crypto';
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Logger } from '../../src/log/logger';
import { SERVICE_ACCOUNT } from '../config';
import type { AwsRequest, AwsService } from '../contracts';
import { dateFromEpochSeconds, jsonProtocolService } from '../edge/aws-protocols';
import { AwsServiceError } from '../edge/errors';
import { assertValidPattern, matchesPattern } from './event-pattern';
import { deliverAsynchronously, type DeliveryOptions } from './async-delivery';

export { matchesPattern, assertValidPattern, InvalidEventPatternError, type EventPattern } from './event-pattern';

/**
 * A local EventBridge (AWS JSON 1.1, signing name `events`): PutEvents onto any bus; every
 * event is appended to a JSON-lines log as the envelope targets receive, streamed to
 * subscribers, and delivered to each rule of its bus whose pattern it matches, asynchronously
 * (EventBridge invokes Lambda targets asynchronously; a failing target is retried as Lambda
 * retries an asynchronous invocation).
 */
export interface EventEnvelope {
  version: '0';
  id: string;
  'detail-type': string;
  source: string;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: unknown;
}

export interface EventBridgeRule {
  /** The bus name (not ARN) the rule is on, e.g. groundwork-local or default. */
  busName: string;
  pattern: object;
  deliver(event: EventEnvelope): Promise<void>;
  /** For logs. */
  name?: string;
}

export interface EventBridgeServiceOptions extends DeliveryOptions {
  logFile: string;
  rules?: EventBridgeRule[];
  now?: () => Date;
  logger?: Logger;
}

/** An event as SandboxHooks.putEvent hands it over (an AWS service's event: any source). */
export interface LocalEventEntry {
  source: string;
  detailType: string;
  detail: unknown;
  account: string;
  region: string;
  resources?: string[];
  time?: Date;
}

export type EventListener = (event: EventEnvelope, busName: string) => void;

export interface EventBridgeService extends AwsService {
  subscribe(listener: EventListener): () => void;
  /** Puts an event on a bus (name or ARN) as an AWS service would: no source restriction. */
  putEvent(bus: string, entry: LocalEventEntry): Promise<void>;
  /** Resolves when every delivery started so far has ended. */
  settle(): Promise<void>;
}

const MAX_ENTRIES = 10;
const MAX_ENTRY_BYTES = 256 * 1024;

/** `arn:aws:events:<region>:<account>:event-bus/<name>` or a plain name → the name. */
export function busNameOf(nameOrArn: string): string {
  const marker = ':event-bus/';
  const at = nameOrArn.indexOf(marker);
  return nameOrArn.startsWith('arn:') && at >= 0 ? nameOrArn.slice(at + marker.length) : nameOrArn;
}

/** EventBridge's event time: ISO 8601 to the second. */
const eventTime = (date: Date): string => date.toISOString().replace(/\.\d{3}Z$/, 'Z');

interface EntryFailure {
  ErrorCode: string;
  ErrorMessage: string;
}

export function createEventBridgeService(options: EventBridgeServiceOptions): EventBridgeService {
  const now = options.now ?? (() => new Date());
  const logger = options.logger;
  const rules = options.rules ?? [];
  rules.forEach((rule) => assertValidPattern(rule.pattern, `rule ${rule.name ?? rule.busName} pattern`));
  const listeners = new Set<EventListener>();
  const deliveries = new Set<Promise<void>>();
  mkdirSync(dirname(options.logFile), { recursive: true });

  function emit(busName: string, envelope: EventEnvelope): void {
    // Appended synchronously: the log keeps the order events were put in.
    appendFileSync(options.logFile, `${JSON.stringify(envelope)}\n`);
    for (const listener of listeners) {
      try {
        listener(envelope, busName);
      } catch (error) {
        logger?.warn('an event subscriber failed', { error });
      }
    }
    for (const rule of rules) {
      if (rule.busName !== busName || !matchesPattern(rule.pattern, envelope)) continue;
      const delivery = deliverAsynchronously(() => rule.deliver(envelope), options, (error, attempt, final) =>
        logger?.warn('an event rule target failed', { rule: rule.name ?? rule.busName, eventId: envelope.id, detailType: envelope['detail-type'], attempt, final, error }),
      );
      deliveries.add(delivery);
      void delivery.finally(() => deliveries.delete(delivery));
    }
  }

  function envelopeOf(entry: LocalEventEntry): EventEnvelope {
    return {
      version: '0',
      id: randomUUID(),
      'detail-type': entry.detailType,
      source: entry.source,
      account: entry.account,
      time: eventTime(entry.time ?? now()),
      region: entry.region,
      resources: entry.resources ?? [],
      detail: entry.detail,
    };
  }

  /** One PutEvents entry: its envelope, or why it was refused (as EventBridge refuses per entry). */
  function accept(raw: unknown, request: AwsRequest): { busName: string; envelope: EventEnvelope } | EntryFailure {
    const entry = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
    const { Source: source, DetailType: detailType, Detail: detail, Resources: resources, EventBusName: bus } = entry;
    if (typeof source !== 'string' || source === '' || typeof detailType !== 'string' || detailType === '' || typeof detail !== 'string') {
      return { ErrorCode: 'InvalidArgument', ErrorMessage: 'Parameters Source, DetailType and Detail are required.' };
    }
    if (Buffer.byteLength(JSON.stringify(entry)) > MAX_ENTRY_BYTES) return { ErrorCode: 'InvalidArgument', ErrorMessage: 'The entry is larger than 256 KB.' };
    if (source.startsWith('aws.')) return { ErrorCode: 'NotAuthorizedForSourceException', ErrorMessage: `Not authorized for the source ${source}.` };
    let parsed: unknown;
    try {
      parsed = JSON.parse(detail);
    } catch {
      parsed = undefined;
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
    if (resources !== undefined && !(Array.isArray(resources) && resources.every((r) => typeof r === 'string'))) {
      return { ErrorCode: 'InvalidArgument', ErrorMessage: 'Resources must be a list of ARNs.' };
    }
    const time = dateFromEpochSeconds(entry['Time']);
    return {
      busName: busNameOf(typeof bus === 'string' && bus !== '' ? bus : 'default'),
      envelope: envelopeOf({
        source,
        detailType,
        detail: parsed,
        account: /^\d{12}$/.test(request.accessKeyId) ? request.accessKeyId : SERVICE_ACCOUNT,
        region: request.region,
        ...(resources ? { resources: resources as string[] } : {}),
        ...(time ? { time } : {}),
      }),
    };
  }

  async function putEvents(input: Record<string, unknown>, request: AwsRequest): Promise<unknown> {
    const entries = input['Entries'];
    if (!Array.isArray(entries) || entries.length === 0 || entries.length > MAX_ENTRIES) {
      throw new AwsServiceError('ValidationException', `Entries must list 1 to ${MAX_ENTRIES} events.`);
    }
    const results = entries.map((raw) => accept(raw, request));
    const answers = results.map((result) => {
      if ('ErrorCode' in result) return result;
      emit(result.busName, result.envelope);
      return { EventId: result.envelope.id };
    });
    return { FailedEntryCount: answers.filter((answer) => 'ErrorCode' in answer).length, Entries: answers };
  }

  const service = jsonProtocolService({ signingNames: ['events'], targetPrefix: 'AWSEvents', version: '1.1', operations: { PutEvents: putEvents } });

  return {
    signingNames: service.signingNames,
    handle: (request) => service.handle(request),
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async putEvent(bus, entry) {
      emit(busNameOf(bus), envelopeOf(entry));
    },
    async settle() {
      while (deliveries.size > 0) await Promise.all([...deliveries]);
    },
  };
}
