import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Stands in for CloudFormation's presigned S3 ResponseURL, on 127.0.0.1; records every PUT. */
export interface RecordedAnswer {
  path: string;
  method: string;
  contentType: string | undefined;
  body: Record<string, unknown>;
}

export async function startResponseServer(): Promise<{ url: (name: string) => string; answers: RecordedAnswer[]; close: () => Promise<void> }> {
  const answers: RecordedAnswer[] = [];
  const server: Server = createServer((request, response) => {
    let data = '';
    request.on('data', (chunk: Buffer) => (data += chunk.toString()));
    request.on('end', () => {
      answers.push({
        path: request.url ?? '',
        method: request.method ?? '',
        contentType: request.headers['content-type'],
        body: JSON.parse(data || '{}') as Record<string, unknown>,
      });
      response.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    // Shaped like the real thing, signature included, so log redaction is exercised.
    url: (name) => `http://127.0.0.1:${port}/cfn-responses/${name}?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIA&X-Amz-Signature=deadbeef${name}`,
    answers,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
