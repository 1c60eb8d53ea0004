import { jest } from '@jest/globals';
import { main } from '../../cli/main';

/** The CLI on its own (not through local/cli/groundwork.ts) holds no key: it works with a token it is given. */
describe('the groundwork CLI outside a local checkout', () => {
  let stderr = '';
  beforeEach(() => {
    stderr = '';
    jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      stderr += String(chunk);
      return true;
    });
  });
  afterEach(() => jest.restoreAllMocks());

  it('refuses a command without a token, saying how to pass one, before calling the API', async () => {
    // Prepare: an API address nothing listens on; a call to it would fail differently.
    const env = { GROUNDWORK_API_URL: 'http://127.0.0.1:9' };

    // Act
    const exitCode = await main(['accounts', 'list'], env);

    // Assess
    expect(exitCode).toBe(2);
    expect(stderr).toContain('pass --token <jwt> (or set GROUNDWORK_TOKEN)');
  });

  it('refuses to mint a token', async () => {
    const exitCode = await main(['token', '--tenant', 'acme'], {});

    expect(exitCode).toBe(2);
    expect(stderr).toContain('tokens are minted only in a local checkout');
  });
});
