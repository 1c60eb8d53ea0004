import type { z } from 'zod/v3';
import { GroundworkError } from '../errors';

/** A function's environment is a contract, checked once at cold start. */
export class ConfigurationError extends GroundworkError {
  readonly status = 500;
  readonly code = 'configuration';
  override readonly expose = false;
}

export function loadEnv<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv = process.env): z.output<S> {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ');
    throw new ConfigurationError(`invalid environment: ${problems}`);
  }
  return parsed.data;
}
