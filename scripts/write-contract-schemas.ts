// Writes src/events/schemas/*.json and openapi.yaml's request schemas from the zod schemas.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EVENT_SCHEMA_DIRECTORY, OPENAPI_FILE, eventJsonSchemas, renderEventJsonSchema, renderOpenApi } from './contract-schemas';

for (const [file, schema] of Object.entries(eventJsonSchemas())) {
  writeFileSync(join(EVENT_SCHEMA_DIRECTORY, file), renderEventJsonSchema(schema));
  console.log(`wrote ${join(EVENT_SCHEMA_DIRECTORY, file)}`);
}
writeFileSync(OPENAPI_FILE, renderOpenApi(readFileSync(OPENAPI_FILE, 'utf8')));
console.log(`wrote ${OPENAPI_FILE}`);
