import type { Context } from 'aws-lambda';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { REGION, SERVICE_ACCOUNT, STAGE, functionEnvironment } from '../config';
import type { FunctionInvoker } from '../contracts';
import { REPOSITORY_ROOT, readServiceDefinition, type EventBridgeSubscription, type FunctionDefinition, type HttpRoute, type ServiceDefinition, type SnsSubscription, type SqsSubscription } from './service-definition';

export { readServiceDefinition, type EventBridgeSubscription, type HttpRoute, type ServiceDefinition, type SnsSubscription, type SqsSubscription } from './service-definition';

/**
 * Runs Groundwork's functions in this process as Lambda would run them: the handler module named
 * in serverless.yml, imported unchanged on its first invocation (its cold start, which reads the
 * environment at module scope), called with the event and a Lambda-like context, and stopped
 * waiting for at the function's timeout.
 */
export class UnknownFunctionError extends Error {
  constructor(functionName: string, known: readonly string[]) {
    super(`serverless.yml declares no function ${functionName} (it declares ${known.join(', ')})`);
    this.name = 'UnknownFunctionError';
  }
}

/** Named as Lambda names a timeout to its callers (Step Functions sees `Sandbox.Timedout`). */
export class FunctionTimeoutError extends Error {
  constructor(functionName: string, timeoutSeconds: number) {
    super(`${functionName}: Task timed out after ${timeoutSeconds.toFixed(2)} seconds`);
    this.name = 'Sandbox.Timedout';
  }
}

export interface FunctionInvokerOptions {
  /** The repository whose serverless.yml and functions/ are run (default: this one). */
  root?: string;
  /** Already read (default: `<root>/serverless.yml`). */
  service?: ServiceDefinition;
  /**
   * The environment every function gets (default: functionEnvironment() from local/config.ts).
   * Written into process.env when the invoker is made, before any handler module is imported.
   */
  environment?: Record<string, string>;
  /** How a handler module is loaded (default: a dynamic import of its file). */
  importModule?: (file: string) => Promise<Record<string, unknown>>;
  /** Stop waiting at the function's timeout, as Lambda does (default: true). */
  enforceTimeout?: boolean;
}

export interface LocalFunctionInvoker extends FunctionInvoker {
  readonly service: ServiceDefinition;
  httpRoutes(): HttpRoute[];
  snsSubscriptions(): SnsSubscription[];
  sqsSubscriptions(): SqsSubscription[];
  eventBridgeSubscriptions(): EventBridgeSubscription[];
}

type Handler = (event: unknown, context: Context) => unknown;

function handlerFile(root: string, modulePath: string): string {
  for (const extension of ['.ts', '.mts', '.js', '.mjs']) {
    const file = join(root, `${modulePath}${extension}`);
    if (existsSync(file)) return file;
  }
  throw new Error(`no handler module ${modulePath}.ts under ${root}`);
}

function lambdaContext(definition: FunctionDefinition, deadline: number): Context {
  const functionName = `groundwork-${STAGE}-${definition.name}`;
  const day = new Date().toISOString().slice(0, 10).replaceAll('-', '/');
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${REGION}:${SERVICE_ACCOUNT}:function:${functionName}`,
    memoryLimitInMB: String(definition.memoryMb),
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `${day}/[$LATEST]${randomBytes(16).toString('hex')}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    // Callback-style completion is gone from the Node.js 24 runtime; handlers return promises.
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

export function createFunctionInvoker(options: FunctionInvokerOptions = {}): LocalFunctionInvoker {
  const root = options.root ?? REPOSITORY_ROOT;
  const service = options.service ?? readServiceDefinition(root);
  const importModule = options.importModule ?? ((file: string) => import(pathToFileURL(file).href) as Promise<Record<string, unknown>>);
  const enforceTimeout = options.enforceTimeout ?? true;
  // Handlers read their environment at module scope: it must be in place before the first import.
  Object.assign(process.env, options.environment ?? functionEnvironment());

  const handlers = new Map<string, Promise<Handler>>();
  const load = (definition: FunctionDefinition): Promise<Handler> => {
    let loading = handlers.get(definition.name);
    if (!loading) {
      loading = importModule(handlerFile(root, definition.modulePath)).then((module) => {
        const handler = module[definition.exportName];
        if (typeof handler !== 'function') throw new Error(`${definition.handler}: the module exports no function ${definition.exportName}`);
        return handler as Handler;
      });
      // A failed cold start is tried again on the next invocation, as Lambda does.
      loading.catch(() => handlers.delete(definition.name));
      handlers.set(definition.name, loading);
    }
    return loading;
  };

  return {
    service,
    httpRoutes: () => [...service.httpRoutes],
    snsSubscriptions: () => [...service.snsSubscriptions],
    sqsSubscriptions: () => [...service.sqsSubscriptions],
    eventBridgeSubscriptions: () => [...service.eventBridgeSubscriptions],

    async invoke(functionName, event) {
      const definition = service.functions[functionName];
      if (!definition) throw new UnknownFunctionError(functionName, Object.keys(service.functions));
      const handler = await load(definition);
      // Lambda's timeout covers the invocation, not the init phase (which has its own 10 s).
      const timeoutMs = definition.timeoutSeconds * 1000;
      const deadline = Date.now() + timeoutMs;
      const running = Promise.resolve().then(() => handler(event, lambdaContext(definition, deadline)));
      if (!enforceTimeout) return running;
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<never>((_resolve, reject) => {
        timer = setTimeout(() => reject(new FunctionTimeoutError(functionName, definition.timeoutSeconds)), timeoutMs);
      });
      try {
        return await Promise.race([running, timedOut]);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
