import { ApiError, ApiUnreachableError, type ProblemBody } from './errors';

/** The CLI's HTTP client for Groundwork's API: JSON in, JSON out, errors as named values. */
export interface ApiClient {
  readonly baseUrl: string;
  request<T>(method: string, path: string, options?: { body?: unknown; headers?: Record<string, string> }): Promise<T>;
}

export interface ApiClientOptions {
  baseUrl: string;
  token: string;
  fetch?: typeof fetch;
  timeoutMs?: number;
}

const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT']);

/** The system error code behind fetch's "fetch failed" (its cause, or an AggregateError's first). */
function causeCode(error: unknown): string | undefined {
  let current: unknown = error;
  // Not instanceof: undici's errors may come from another realm (jest's vm contexts).
  for (let depth = 0; depth < 5 && typeof current === 'object' && current !== null; depth += 1) {
    const { code, cause, errors } = current as { code?: unknown; cause?: unknown; errors?: unknown };
    if (typeof code === 'string') return code;
    current = cause ?? (Array.isArray(errors) ? errors[0] : undefined);
  }
  return undefined;
}

export function createApiClient(options: ApiClientOptions): ApiClient {
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  const send = options.fetch ?? fetch;
  const timeoutMs = options.timeoutMs ?? 35_000;
  return {
    baseUrl,
    async request<T>(method: string, path: string, { body, headers = {} }: { body?: unknown; headers?: Record<string, string> } = {}) {
      let response: Response;
      try {
        response = await send(`${baseUrl}${path}`, {
          method,
          headers: {
            authorization: `Bearer ${options.token}`,
            accept: 'application/json, application/problem+json',
            ...(body === undefined ? {} : { 'content-type': 'application/json' }),
            ...headers,
          },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
          signal: AbortSignal.timeout(timeoutMs),
        });
      } catch (error) {
        const code = causeCode(error);
        if ((error as { name?: unknown } | null)?.name === 'TimeoutError') {
          throw new ApiUnreachableError(`the Groundwork API at ${baseUrl} did not answer within ${timeoutMs / 1000} s`, { cause: error });
        }
        const why = code === 'ECONNREFUSED' ? 'connection refused' : (code ?? (error instanceof Error ? error.message : String(error)));
        if (code === undefined || UNREACHABLE_CODES.has(code)) {
          throw new ApiUnreachableError(`cannot reach the Groundwork API at ${baseUrl} (${why})`, { cause: error });
        }
        throw error;
      }
      const text = await response.text();
      if (!response.ok) {
        let problem: ProblemBody | undefined;
        try {
          const parsed: unknown = JSON.parse(text);
          if (typeof parsed === 'object' && parsed !== null) problem = parsed as ProblemBody;
        } catch {
          problem = undefined;
        }
        throw new ApiError(response.status, problem, text);
      }
      return (text === '' ? undefined : JSON.parse(text)) as T;
    },
  };
}
