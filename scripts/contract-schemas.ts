import * as z from 'zod/mini';
import { Document, isCollection, parseDocument } from 'yaml';
import { createAccountInputSchema } from '../src/accounts/create-account-input';
import { EVENT_DETAILS } from '../src/events/event-details';
import { listQuerySchema } from '../src/http/list-query';
import { COMPONENTS } from '../src/model/components';
import { ACCOUNT_STATUSES, STACK_STATUSES, STEP_STATUSES } from '../src/model/statuses';
import { stackRequestSchema } from '../src/model/stack-request';

/**
 * The published contracts, rendered from the zod schemas that check them at runtime:
 * src/events/schemas/*.json and the request schemas of openapi.yaml. `npm run build:schemas`
 * writes them; test/scripts/contract-schemas.test.ts fails when a committed file differs.
 */
export const EVENT_SCHEMA_DIRECTORY = 'src/events/schemas';
export const OPENAPI_FILE = 'openapi.yaml';

type JsonSchema = Record<string, unknown>;

/** A request body as a client may send it: defaulted fields are optional. */
const requestSchema = (schema: z.core.$ZodType): JsonSchema => {
  const { $schema: _draft, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  return rest;
};

/** file name → the JSON Schema of one event's detail. */
export function eventJsonSchemas(): Record<string, JsonSchema> {
  return Object.fromEntries(
    Object.entries(EVENT_DETAILS).map(([detailType, { schema, file }]) => {
      const { $schema, ...rest } = z.toJSONSchema(schema, { target: 'draft-2020-12' }) as JsonSchema;
      return [
        file,
        {
          $schema,
          $id: `urn:groundwork:event:${file.replace(/\.json$/, '')}`,
          title: detailType,
          description: `detail of a groundwork event with detail-type '${detailType}'`,
          ...rest,
        },
      ];
    }),
  );
}

export function renderEventJsonSchema(schema: JsonSchema): string {
  return `${JSON.stringify(schema, null, 2)}\n`;
}

/** openapi.yaml's generated entries, by their path in the document. */
export function openApiGeneratedEntries(): Array<{ path: string[]; value: JsonSchema }> {
  const listQuery = requestSchema(listQuerySchema) as { properties: Record<'limit' | 'nextToken', JsonSchema> };
  return [
    { path: ['components', 'schemas', 'StackRequest'], value: requestSchema(stackRequestSchema) },
    { path: ['components', 'schemas', 'CreateAccountRequest'], value: requestSchema(createAccountInputSchema) },
    { path: ['components', 'parameters', 'Limit', 'schema'], value: listQuery.properties.limit },
    { path: ['components', 'parameters', 'NextToken', 'schema'], value: listQuery.properties.nextToken },
    // The status and component vocabularies the responses use, from src/model/.
    { path: ['components', 'schemas', 'AccountStatus'], value: requestSchema(z.enum(ACCOUNT_STATUSES)) },
    { path: ['components', 'schemas', 'StackStatus'], value: requestSchema(z.enum(STACK_STATUSES)) },
    { path: ['components', 'schemas', 'StepStatus'], value: requestSchema(z.enum(STEP_STATUSES)) },
    { path: ['components', 'schemas', 'Component'], value: requestSchema(z.enum(COMPONENTS)) },
  ];
}

/**
 * openapi.yaml with its generated entries replaced in place: the rest of the text (comments,
 * layout, the hand-written response schemas) is kept byte for byte.
 */
export function renderOpenApi(text: string): string {
  const document = parseDocument(text);
  const edits = openApiGeneratedEntries().map(({ path, value }) => {
    const node = document.getIn(path, true);
    if (!isCollection(node) || !node.range) throw new Error(`${OPENAPI_FILE} has no ${path.join('.')} to replace`);
    const [start, end] = node.range;
    const column = start - text.lastIndexOf('\n', start - 1) - 1;
    const rendered = new Document(value, { flow: node.flow ?? false }).toString({ lineWidth: 0 }).trimEnd();
    // A block mapping's range takes in its last line break; a flow mapping's does not.
    const lineBreak = text.slice(start, end).endsWith('\n') ? '\n' : '';
    return { start, end, replacement: rendered.replaceAll('\n', `\n${' '.repeat(column)}`) + lineBreak };
  });
  return edits
    .sort((a, b) => b.start - a.start)
    .reduce((result, { start, end, replacement }) => result.slice(0, start) + replacement + result.slice(end), text);
}
