import type { z } from 'zod/v3';
import { ValidationError, type FieldError } from '../errors';

/** zod issues → one FieldError per bad field (an unknown key is named as its own field). */
export function fieldErrors(issues: readonly z.ZodIssue[], prefix = ''): FieldError[] {
  const join = (path: readonly PropertyKey[]) => [prefix, ...path.map(String)].filter(Boolean).join('.') || prefix || 'body';
  return issues.flatMap((issue): FieldError[] =>
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => ({ field: join([...issue.path, key]), message: 'is not a known field' }))
      : [{ field: join(issue.path), message: issue.message }],
  );
}

export function parseInput<S extends z.ZodType>(schema: S, value: unknown, prefix = ''): z.output<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new ValidationError(fieldErrors(parsed.error.issues, prefix));
  return parsed.data;
}
