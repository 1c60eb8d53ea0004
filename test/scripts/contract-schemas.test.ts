import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EVENT_SCHEMA_DIRECTORY, OPENAPI_FILE, eventJsonSchemas, renderEventJsonSchema, renderOpenApi } from '../../scripts/contract-schemas';
import { EVENT_DETAILS } from '../../src/events/event-details';
import { eventDetailErrors } from '../support/event-schemas';

const root = new URL('../../', import.meta.url).pathname;
const committed = (file: string) => readFileSync(join(root, file), 'utf8');

describe('the published contracts are generated from the zod schemas (npm run build:schemas)', () => {
  it.each(Object.entries(eventJsonSchemas()))('%s is what the zod schema of its event renders', (file, schema) => {
    expect(committed(join(EVENT_SCHEMA_DIRECTORY, file))).toBe(renderEventJsonSchema(schema));
  });

  it("openapi.yaml's request schemas are what the zod schemas render", () => {
    const text = committed(OPENAPI_FILE);
    expect(renderOpenApi(text)).toBe(text);
  });

  it('the drift check notices a hand edit', () => {
    const text = committed(OPENAPI_FILE).replace(/(StackRequest:\n(?:.*\n)*?\s+accountId:\n\s+type: string\n\s+pattern: )\S+/, '$1^acc_.*$');
    expect(text).not.toBe(committed(OPENAPI_FILE));
    expect(renderOpenApi(text)).not.toBe(text);
  });

  const stackStep = { tenantId: 'acme', accountId: 'acc_abcdefghij0123456789', stackId: 'stk-abcdefghij0123456789', step: 'database', status: 'FAILED', previousStatus: 'IN_PROGRESS', reason: 'x', occurredAt: '2026-11-22T10:00:00.000Z' };
  const stack = { tenantId: 'acme', accountId: 'acc_abcdefghij0123456789', stackId: 'stk-abcdefghij0123456789', status: 'ROLLBACK_FAILED', previousStatus: 'ROLLBACK_IN_PROGRESS', reason: 'x', occurredAt: '2026-11-22T10:00:00.000Z' };
  const account = { tenantId: 'acme', accountId: 'acc_abcdefghij0123456789', status: 'CONNECTED', previousStatus: 'AWAITING_CONNECTION', occurredAt: '2026-11-22T10:00:00.000Z' };
  it.each([
    ['Stack Step Status Change', [stackStep, { ...stackStep, step: 'mainframe' }, { ...stackStep, status: 'DONE' }, { ...stackStep, extra: 1 }, { ...stackStep, occurredAt: 'yesterday' }]],
    ['Stack Status Change', [stack, { ...stack, status: 'COMPLETE' }, { ...stack, step: 'database' }, { ...stack, stackId: undefined }, { ...stack, tenantId: '' }]],
    ['Account Status Change', [account, { ...account, status: 'ACTIVE' }, { ...account, accountId: 'acc_1' }, { ...account, occurredAt: 5 }, { ...account, extra: true }]],
  ] as const)('%s: an event the runtime schema accepts, the JSON Schema accepts, and the same refusals', (detailType, candidates) => {
    const schema = EVENT_DETAILS[detailType].schema;
    const verdicts = candidates.map((candidate) => [eventDetailErrors(detailType, candidate).length === 0, schema.safeParse(candidate).success]);
    expect(verdicts.filter(([json, runtime]) => json !== runtime)).toEqual([]);
    // The first is a real event; the others are refused (so the agreement above is not only on acceptance).
    expect(verdicts.map(([, runtime]) => runtime)).toEqual([true, false, false, false, false]);
  });
});
