import { createServer } from 'node:net';
import { LOCAL_HOST } from '../config';

/** The embedded default's fixed ports: whether one is free, and an error that says which is not. */
export class PortInUseError extends Error {
  constructor(
    readonly port: number,
    readonly what: string,
    options?: { cause?: unknown },
  ) {
    super(`port ${port} (${what}) is already in use on ${LOCAL_HOST}: stop whatever holds it (\`ss -ltnp 'sport = :${port}'\` shows it) and try again`, options);
    this.name = 'PortInUseError';
  }
}

/** Throws PortInUseError when something already listens on host:port. */
export async function assertPortFree(port: number, what: string, host = LOCAL_HOST): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (error: NodeJS.ErrnoException) => reject(error.code === 'EADDRINUSE' ? new PortInUseError(port, what, { cause: error }) : error));
    probe.listen({ port, host, exclusive: true }, () => probe.close(() => resolve()));
  });
}
