import * as z4 from 'zod/v4/core';
import type * as z3 from 'zod/v3';
import { ValidationError, type FieldError } from '../errors';
import { inZod3Words } from './zod3-wording';

type Issue = z4.$ZodIssue | z3.ZodIssue;

/** zod issues → one FieldError per bad field (an unknown key is named as its own field). */
export function fieldErrors(issues: readonly Issue[], prefix = ''): FieldError[] {
  const join = (path: readonly PropertyKey[]) => [prefix, ...path.map(String)].filter(Boolean).join('.') || prefix || 'body';
  return issues.flatMap((issue): FieldError[] =>
    issue.code === 'unrecognized_keys'
      ? (issue.keys ?? []).map((key) => ({ field: join([...issue.path, key]), message: 'is not a known field' }))
      : [{ field: join(issue.path), message: issue.message }],
  );
}

// Both zod APIs while the schemas move to zod 4 (classic or mini); the zod 4 ones keep the zod 3
// wording of the 400s, so clients see the same problem bodies.
export function parseInput<S extends z4.$ZodType>(schema: S, value: unknown, prefix?: string): z4.output<S>;
export function parseInput<S extends z3.ZodType>(schema: S, value: unknown, prefix?: string): z3.output<S>;
export function parseInput(schema: z4.$ZodType | z3.ZodType, value: unknown, prefix = ''): unknown {
  const parsed = '_zod' in schema ? z4.safeParse(schema, value, { error: inZod3Words }) : schema.safeParse(value);
  if (!parsed.success) throw new ValidationError(fieldErrors(parsed.error.issues, prefix));
  return parsed.data;
}
