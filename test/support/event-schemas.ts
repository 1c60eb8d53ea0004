import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { readFileSync } from 'node:fs';

/** Validates a groundwork event's detail against the JSON Schema kept in src/events/schemas. */
const schemaFiles: Record<string, string> = {
  'Account Status Change': 'account-status-change.json',
  'Stack Status Change': 'stack-status-change.json',
  'Stack Step Status Change': 'stack-step-status-change.json',
};

// Both packages are CommonJS; under jest's ESM mode their export arrives wrapped in `default`.
const interop = <T>(module: T): T => (module as T & { default?: T }).default ?? module;
const ajv = new (interop(Ajv2020))({ allErrors: true, strict: true });
interop(addFormats)(ajv);

export function eventDetailErrors(detailType: string, detail: unknown): string[] {
  const file = schemaFiles[detailType];
  if (!file) return [`no schema for detail-type "${detailType}"`];
  const schema = JSON.parse(readFileSync(new URL(`../../src/events/schemas/${file}`, import.meta.url), 'utf8')) as { $id: string };
  const validate = ajv.getSchema(schema.$id) ?? ajv.compile(schema);
  return validate(detail) ? [] : (validate.errors ?? []).map((e: { instancePath: string; message?: string }) => `${e.instancePath} ${e.message ?? ''}`);
}
