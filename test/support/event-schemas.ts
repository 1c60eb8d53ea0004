import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { readFileSync } from 'node:fs';

/** Validates a groundwork event's detail against the JSON Schema kept in src/events/schemas. */
const schemaFiles: Record<string, string> = {
  'Account Status Change': 'account-status-change.json',
  'Stack Status Change': 'stack-status-change.json',
  'Stack Step Status Change': 'stack-step-status-change.json',
};

const ajv = new Ajv2020.default({ allErrors: true, strict: true });
addFormats.default(ajv);

export function eventDetailErrors(detailType: string, detail: unknown): string[] {
  const file = schemaFiles[detailType];
  if (!file) return [`no schema for detail-type "${detailType}"`];
  const schema = JSON.parse(readFileSync(new URL(`../../src/events/schemas/${file}`, import.meta.url), 'utf8')) as { $id: string };
  const validate = ajv.getSchema(schema.$id) ?? ajv.compile(schema);
  return validate(detail) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message ?? ''}`);
}
