import { createLogger, REDACTED } from '../../src/log/logger';

describe('logger', () => {
  it('never writes credentials, however deep or however named', () => {
    const lines: string[] = [];
    const logger = createLogger({ write: (line) => lines.push(line) });
    logger.info('request', {
      request: { ResponseURL: 'https://bucket.s3.amazonaws.com/x?X-Amz-Signature=abc', ResourceProperties: { RegistrationToken: 'gwr_secret' } },
      externalId: 'ext-secret',
      nested: [{ password: 'hunter2' }],
      note: 'see https://bucket.s3.amazonaws.com/key?X-Amz-Credential=AKIA&X-Amz-Signature=abc123',
    });
    const [line = ''] = lines;
    for (const secret of ['X-Amz-Signature=abc', 'gwr_secret', 'ext-secret', 'hunter2', 'AKIA']) expect(line).not.toContain(secret);
    const parsed = JSON.parse(line) as { request: { ResponseURL: string } };
    expect(parsed.request.ResponseURL).toBe(REDACTED);
  });

  it('keeps what helps: level, message, names of errors and their causes', () => {
    const lines: string[] = [];
    const logger = createLogger({ write: (line) => lines.push(line) }).child({ requestId: 'r-1' });
    logger.error('failed', { error: new TypeError('boom', { cause: new Error('root') }) });
    expect(JSON.parse(lines[0] ?? '{}')).toMatchObject({ level: 'error', message: 'failed', requestId: 'r-1', error: { name: 'TypeError', message: 'boom', cause: { message: 'root' } } });
  });

  it('drops lines below its level', () => {
    const lines: string[] = [];
    createLogger({ level: 'warn', write: (line) => lines.push(line) }).info('quiet');
    expect(lines).toEqual([]);
  });
});
