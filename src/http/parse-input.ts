import { ValidationError, type FieldError } from '../errors';

/**
 * What parseInput needs of a schema: zod's safeParse, whose answers zod 3 and zod 4 share, so a
 * route can validate with either while the schemas move to zod 4.
 */
interface Issue {
  code: string;
  path: readonly PropertyKey[];
  message: string;
  keys?: readonly string[];
}
interface InputSchema<T> {
  safeParse(value: unknown): { success: true; data: T } | { success: false; error: { issues: readonly Issue[] } };
}

/** zod issues → one FieldError per bad field (an unknown key is named as its own field). */
export function fieldErrors(issues: readonly Issue[], prefix = ''): FieldError[] {
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
