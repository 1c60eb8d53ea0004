import * as z from 'zod/mini';
import { en } from 'zod/locales';
import { GroundworkError } from '../errors';

// zod/mini ships no messages; English ones say what is wrong with a variable in the log.
z.config(en());

/** A function's environment is a contract, checked once at cold start. */
export class ConfigurationError extends GroundworkError {
  readonly status = 500;
  readonly code = 'configuration';
  override readonly expose = false;
}

export function loadEnv<S extends z.ZodMiniType>(schema: S, env: NodeJS.ProcessEnv = process.env): z.output<S> {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ');
    throw new ConfigurationError(`invalid environment: ${problems}`);
  }
  return parsed.data;
}
