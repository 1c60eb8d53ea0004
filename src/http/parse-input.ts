import * as z from 'zod/mini';
import { en } from 'zod/locales';
import { ValidationError, type FieldError } from '../errors';

// zod/mini ships no messages; English only, as the API has always answered (not every locale).
z.config(en());

/** What parseInput needs of an issue; zod 4 and zod/v3 issues both have this shape. */
interface SchemaIssue {
  code: string;
  path: readonly PropertyKey[];
  message: string;
  keys?: readonly string[];
}

/** A zod schema (zod 4, mini, or the v3 API still used by some routes) reduced to what parsing needs. */
export interface InputSchema<T> {
  safeParse(value: unknown): { success: true; data: T } | { success: false; error: { issues: readonly SchemaIssue[] } };
}

/** zod issues → one FieldError per bad field (an unknown key is named as its own field). */
export function fieldErrors(issues: readonly SchemaIssue[], prefix = ''): FieldError[] {
  const join = (path: readonly PropertyKey[]) => [prefix, ...path.map(String)].filter(Boolean).join('.') || prefix || 'body';
  return issues.flatMap((issue): FieldError[] =>
    issue.code === 'unrecognized_keys'
      ? (issue.keys ?? []).map((key) => ({ field: join([...issue.path, key]), message: 'is not a known field' }))
      : [{ field: join(issue.path), message: issue.message }],
  );
}

export function parseInput<T>(schema: InputSchema<T>, value: unknown, prefix = ''): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new ValidationError(fieldErrors(parsed.error.issues, prefix));
  return parsed.data;
}
