import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SandboxHooks } from '../../../local/contracts';
import { startEdgeServer, type EdgeServer } from '../../../local/edge/edge-server';
import { createEventBridgeService, type EventBridgeService, type EventEnvelope } from '../../../local/services/event-bridge';
import { clientConfig, temporaryDirectory, waitFor } from '../edge/edge-support';

const BUS = 'groundwork-local';
const BUS_ARN = `arn:aws:events:us-east-1:000000000000:event-bus/${BUS}`;

const directory = temporaryDirectory();
const logFile = join(directory.path, 'state', 'events.jsonl');
const delivered: EventEnvelope[] = [];
const stackStatusDelivered: EventEnvelope[] = [];
let flakyAttempts = 0;
let events: EventBridgeService;
let edge: EdgeServer;
let client: EventBridgeClient;

beforeAll(async () => {
  events = createEventBridgeService({
    logFile,
    retryDelaysMs: [10, 10],
    rules: [
      { name: 'stack-created', busName: BUS, pattern: { source: ['groundwork'], 'detail-type': [{ prefix: 'Stack' }], detail: { status: ['CREATE_COMPLETE'] } }, deliver: async (e) => void delivered.push(e) },
      { name: 'cloudformation', busName: BUS, pattern: { source: ['aws.cloudformation'] }, deliver: async (e) => void stackStatusDelivered.push(e) },
      {
        name: 'flaky',
        busName: BUS,
        pattern: { 'detail-type': ['Flaky'] },
        deliver: async () => {
          flakyAttempts += 1;
          if (flakyAttempts < 3) throw new Error('not yet');
        },
      },
    ],
  });
  edge = await startEdgeServer({ port: 0, services: [events] });
  client = new EventBridgeClient(clientConfig(edge.url));
});

afterAll(async () => {
  await events.settle();
  client.destroy();
  await edge.close();
  directory.remove();
});

const logLines = () =>
  readFileSync(logFile, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as EventEnvelope);

describe('the local EventBridge, through the plain EventBridge client', () => {
  it('takes PutEvents: the log gets the envelope, subscribers see it, matching rules get it', async () => {
    const seen: Array<{ event: EventEnvelope; bus: string }> = [];
    const unsubscribe = events.subscribe((event, bus) => seen.push({ event, bus }));
    const time = new Date('2025-03-04T05:06:07Z');

    const answer = await client.send(
      new PutEventsCommand({
        Entries: [
          { EventBusName: BUS_ARN, Source: 'groundwork', DetailType: 'Stack Status Changed', Detail: JSON.stringify({ stackId: 's1', status: 'CREATE_COMPLETE' }), Time: time, Resources: ['arn:x'] },
          { EventBusName: BUS, Source: 'groundwork', DetailType: 'Stack Status Changed', Detail: JSON.stringify({ stackId: 's2', status: 'CREATE_IN_PROGRESS' }) },
        ],
      }),
    );
    unsubscribe();

    expect(answer.FailedEntryCount).toBe(0);
    expect(answer.Entries?.map((entry) => typeof entry.EventId)).toEqual(['string', 'string']);
    const [first, second] = logLines().slice(-2);
    expect(first).toEqual({
      version: '0',
      id: answer.Entries?.[0]?.EventId,
      'detail-type': 'Stack Status Changed',
      source: 'groundwork',
      account: '000000000000',
      time: '2025-03-04T05:06:07Z',
      region: 'us-east-1',
      resources: ['arn:x'],
      detail: { stackId: 's1', status: 'CREATE_COMPLETE' },
    });
    expect(second?.detail).toEqual({ stackId: 's2', status: 'CREATE_IN_PROGRESS' });
    expect(seen.map((s) => [s.bus, s.event.id])).toEqual([
      [BUS, first?.id],
      [BUS, second?.id],
    ]);
    // Only the event matching the rule's pattern is delivered, asynchronously.
    await events.settle();
    expect(delivered.map((event) => event.id)).toEqual([first?.id]);
  });

  it('refuses bad entries one by one, as EventBridge does', async () => {
    const before = logLines().length;

    const answer = await client.send(
      new PutEventsCommand({
        Entries: [
          { Source: 'groundwork', DetailType: 'Fine', Detail: '{}' },
          { Source: 'groundwork', DetailType: 'Broken', Detail: '{not json' },
          { Source: 'groundwork', DetailType: 'Array', Detail: '[1]' },
          { Source: 'groundwork', Detail: '{}' },
          { Source: 'groundwork', DetailType: 'Huge', Detail: JSON.stringify({ blob: 'x'.repeat(300 * 1024) }) },
          { Source: 'aws.cloudformation', DetailType: 'CloudFormation Stack Status Change', Detail: '{}' },
        ],
      }),
    );

    expect(answer.FailedEntryCount).toBe(5);
    expect(answer.Entries?.map((entry) => entry.ErrorCode ?? 'ok')).toEqual(['ok', 'MalformedDetail', 'MalformedDetail', 'InvalidArgument', 'InvalidArgument', 'NotAuthorizedForSourceException']);
    expect(logLines().length).toBe(before + 1);
    await expect(client.send(new PutEventsCommand({ Entries: [] }))).rejects.toMatchObject({ name: 'ValidationException' });
  });

  it('takes events from local AWS services (SandboxHooks.putEvent), any source', async () => {
    const hooks: Pick<SandboxHooks, 'putEvent'> = events;

    await hooks.putEvent(BUS_ARN, {
      source: 'aws.cloudformation',
      detailType: 'CloudFormation Stack Status Change',
      detail: { 'status-details': { status: 'CREATE_COMPLETE' } },
      account: '123456789012',
      region: 'us-east-1',
    });
    await events.settle();

    expect(stackStatusDelivered).toHaveLength(1);
    expect(stackStatusDelivered[0]).toMatchObject({ source: 'aws.cloudformation', account: '123456789012', detail: { 'status-details': { status: 'CREATE_COMPLETE' } } });
    expect(logLines().at(-1)?.id).toBe(stackStatusDelivered[0]?.id);
  });

  it('retries a failing rule target as an asynchronous Lambda invocation is retried', async () => {
    await client.send(new PutEventsCommand({ Entries: [{ EventBusName: BUS, Source: 'groundwork', DetailType: 'Flaky', Detail: '{}' }] }));

    await waitFor(async () => flakyAttempts, (attempts) => attempts === 3);
    await events.settle();
    expect(flakyAttempts).toBe(3);
  });
});
