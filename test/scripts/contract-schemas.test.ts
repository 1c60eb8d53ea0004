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

  it('an event the runtime schema accepts, the JSON Schema accepts, and the same refusals', () => {
    const detail = { tenantId: 'acme', accountId: 'acc_abcdefghij0123456789', stackId: 'stk-abcdefghij0123456789', step: 'database', status: 'FAILED', previousStatus: 'IN_PROGRESS', reason: 'x', occurredAt: '2026-11-22T10:00:00.000Z' };
    const schema = EVENT_DETAILS['Stack Step Status Change'].schema;
    for (const candidate of [detail, { ...detail, step: 'mainframe' }, { ...detail, status: 'DONE' }, { ...detail, extra: 1 }, { ...detail, occurredAt: 'yesterday' }]) {
      expect([candidate, eventDetailErrors('Stack Step Status Change', candidate).length === 0]).toEqual([candidate, schema.safeParse(candidate).success]);
    }
  });
});
