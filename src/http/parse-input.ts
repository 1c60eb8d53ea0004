import * as z4 from 'zod/v4/core';
import { ValidationError, type FieldError } from '../errors';
import { inZod3Words } from './zod3-wording';

type Issue = z4.$ZodIssue;

/** zod issues → one FieldError per bad field (an unknown key is named as its own field). */
export function fieldErrors(issues: readonly Issue[], prefix = ''): FieldError[] {
  const join = (path: readonly PropertyKey[]) => [prefix, ...path.map(String)].filter(Boolean).join('.') || prefix || 'body';
  return issues.flatMap((issue): FieldError[] =>
    issue.code === 'unrecognized_keys'
      ? (issue.keys ?? []).map((key) => ({ field: join([...issue.path, key]), message: 'is not a known field' }))
      : [{ field: join(issue.path), message: issue.message }],
  );
}

/** Parses with a zod 4 schema; the 400s keep the wording clients have always seen (zod3-wording.ts). */
export function parseInput<S extends z4.$ZodType>(schema: S, value: unknown, prefix = ''): z4.output<S> {
  const parsed = z4.safeParse(schema, value, { error: inZod3Words });
  if (!parsed.success) throw new ValidationError(fieldErrors(parsed.error.issues, prefix));
  return parsed.data;
}
