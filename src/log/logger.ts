/**
 * Structured JSON logs, one object per line. Values under keys that can carry credentials
 * (the CloudFormation ResponseURL, registration tokens, secrets, ExternalIds) are replaced
 * before anything is written, however deep they sit.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  child(fields: LogFields): Logger;
}

const SENSITIVE_KEY = /(responseurl|token|secret|password|externalid|credential|authorization|cookie|signature)/i;
const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };
export const REDACTED = '[redacted]';

export function redact(value: unknown, depth = 0): unknown {
  if (depth > 8) return '[depth]';
  if (value instanceof Error) {
    return { name: value.name, message: value.message, ...(value.cause !== undefined ? { cause: redact(value.cause, depth + 1) } : {}) };
  }
  if (Array.isArray(value)) return value.map((element) => redact(element, depth + 1));
  if (typeof value === 'string') {
    // A presigned URL can also arrive unlabelled inside a message: drop its query string.
    return value.replace(/(https?:\/\/[^\s?"']+)\?[^\s"']*(X-Amz-Signature|Signature)=[^\s"']*/g, '$1?[redacted]');
  }
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) {
    out[key] = SENSITIVE_KEY.test(key) ? REDACTED : redact(inner, depth + 1);
  }
  return out;
}

export function createLogger(options: { level?: LogLevel; fields?: LogFields; write?: (line: string) => void } = {}): Logger {
  const threshold = LEVELS[options.level ?? ((process.env['LOG_LEVEL'] as LogLevel | undefined) ?? 'info')] ?? LEVELS.info;
  const write = options.write ?? ((line: string) => process.stdout.write(`${line}\n`));
  const base = options.fields ?? {};
  const log = (level: LogLevel) => (message: string, fields: LogFields = {}) => {
    if (LEVELS[level] < threshold) return;
    write(JSON.stringify({ level, time: new Date().toISOString(), message: redact(message), ...(redact({ ...base, ...fields }) as LogFields) }));
  };
  return {
    debug: log('debug'),
    info: log('info'),
    warn: log('warn'),
    error: log('error'),
    child: (fields) => createLogger({ ...options, fields: { ...base, ...fields } }),
  };
}
