import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { createCloudFormationAnswerer } from '../../../src/accounts/registration/answer-cloudformation';
import { receiveRegistration, type ReceiveDeps } from '../../../src/accounts/registration/receive-registration';
import { cloudFormationResponseUrlPattern } from '../../../src/accounts/registration/cloudformation-response-url';
import type { RegistrationRequestStore } from '../../../src/accounts/registration/registration-request-store';
import type { CustomResourceResponse } from '../../../src/accounts/registration/custom-resource-request';
import { createLogger } from '../../../src/log/logger';

/**
 * Security review H4: anyone may publish to the registration topic, so the callback must not be
 * held by a message. It calls only this region's CloudFormation response bucket, and gives up at
 * once on a host it cannot reach.
 */
const quiet = createLogger({ write: () => undefined });
const US_EAST_1 = cloudFormationResponseUrlPattern('us-east-1');
const signed = '/arn%3Aaws%3Acloudformation%3Aus-east-1%3A123456789012%3Astack/GroundworkOnboarding/x%7CRegistration%7Cr1?X-Amz-Signature=abc';

describe('the ResponseURLs the callback will call', () => {
  it.each([
    ['the legacy global endpoint (what us-east-1 hands out)', `https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com${signed}`],
    ['the regional endpoint', `https://cloudformation-custom-resource-response-useast1.s3.us-east-1.amazonaws.com${signed}`],
    ['the legacy dash endpoint', `https://cloudformation-custom-resource-response-useast1.s3-us-east-1.amazonaws.com${signed}`],
  ])('accepts %s of the stage region\'s bucket', (_name, url) => {
    expect(US_EAST_1.test(url)).toBe(true);
  });

  it.each([
    ['another region\'s bucket', 'https://cloudformation-custom-resource-response-euwest1.s3.eu-west-1.amazonaws.com/x'],
    ['the right bucket under another region\'s endpoint (the review\'s unresolvable host)', 'https://cloudformation-custom-resource-response-useast1.s3.zz-nowhere-9.amazonaws.com/x'],
    ['a bucket that is not CloudFormation\'s', 'https://cloudformation-custom-resource-response-attacker.s3.amazonaws.com/x'],
    ['a look-alike host', 'https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com.evil.example/x'],
    ['userinfo before another host', 'https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com@evil.example/x'],
    ['a port', 'https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com:8443/x'],
    ['plain http', 'http://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/x'],
    ['the instance metadata service', 'http://169.254.169.254/latest/meta-data'],
  ])('refuses %s', (_name, url) => {
    expect(US_EAST_1.test(url)).toBe(false);
  });

  it('names the bucket after the region without dashes, on the partition\'s domain', () => {
    expect(cloudFormationResponseUrlPattern('eu-west-1').test('https://cloudformation-custom-resource-response-euwest1.s3-eu-west-1.amazonaws.com/x')).toBe(true);
    expect(cloudFormationResponseUrlPattern('cn-north-1').test('https://cloudformation-custom-resource-response-cnnorth1.s3.cn-north-1.amazonaws.com.cn/x')).toBe(true);
    expect(cloudFormationResponseUrlPattern('cn-north-1').test('https://cloudformation-custom-resource-response-cnnorth1.s3.cn-north-1.amazonaws.com/x')).toBe(false);
  });
});

const response: CustomResourceResponse = {
  Status: 'FAILED',
  Reason: 'r',
  PhysicalResourceId: 'groundwork-registration-invalid',
  StackId: 'arn:aws:cloudformation:us-east-1:123456789012:stack/GroundworkOnboarding/x',
  RequestId: 'r1',
  LogicalResourceId: 'Registration',
};

/** A fetch that counts its calls and otherwise behaves like `impl`. */
function countingFetch(impl: typeof fetch) {
  const calls: string[] = [];
  const counted = (async (url: string | URL | Request, init?: RequestInit) => {
    calls.push(String(url));
    return impl(url, init);
  }) as typeof fetch;
  return { calls, fetch: counted };
}

/** A loopback port nobody listens on: connecting to it is refused. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('answering CloudFormation', () => {
  it('gives up at once on a refused connection instead of retrying it until the deadline', async () => {
    // Prepare: Node's real fetch against a closed port
    const port = await closedPort();
    const { calls, fetch } = countingFetch(globalThis.fetch);
    const answer = createCloudFormationAnswerer(quiet, fetch);
    const started = Date.now();

    // Act
    const outcome = answer(`http://127.0.0.1:${port}/x`, response, { timeoutMs: 55_000 });

    // Assess
    await expect(outcome).rejects.toThrow(/ECONNREFUSED/);
    expect(calls).toHaveLength(1);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('gives up at once on a host that does not resolve', async () => {
    const dnsFailure = Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error('getaddrinfo ENOTFOUND x'), { code: 'ENOTFOUND' }) });
    const { calls, fetch } = countingFetch(() => Promise.reject(dnsFailure));
    await expect(createCloudFormationAnswerer(quiet, fetch)('https://x.invalid/', response, { timeoutMs: 55_000 })).rejects.toThrow(/ENOTFOUND/);
    expect(calls).toHaveLength(1);
  });

  it('still retries S3 saying it is busy (503), a few times', async () => {
    let calls = 0;
    const fetch = (async () => new Response(null, { status: ++calls < 3 ? 503 : 200 })) as typeof globalThis.fetch;
    await createCloudFormationAnswerer(quiet, fetch)('https://x/', response, { timeoutMs: 10_000 });
    expect(calls).toBe(3);
  });

  it('stops after a bounded number of attempts even when S3 stays busy and time remains', async () => {
    let calls = 0;
    const fetch = (async () => {
      calls += 1;
      return new Response(null, { status: 503 });
    }) as typeof globalThis.fetch;
    await expect(createCloudFormationAnswerer(quiet, fetch)('https://x/', response, { timeoutMs: 30_000 })).rejects.toThrow(/HTTP 503/);
    expect(calls).toBe(4);
  }, 10_000);
});

describe('a forged registration message', () => {
  const never = () => Promise.reject(new Error('a refused message must not be claimed or handed over'));
  const requests: RegistrationRequestStore = { claim: never, handOver: never, take: never, markAnswered: () => Promise.resolve() };
  const message = (responseUrl: string) =>
    JSON.stringify({
      RequestType: 'Create',
      ResponseURL: responseUrl,
      StackId: 'arn:aws:cloudformation:us-east-1:999999999999:stack/GroundworkOnboarding/x',
      RequestId: 'forged-1',
      ResourceType: 'Custom::GroundworkRegistration',
      LogicalResourceId: 'Registration',
      ResourceProperties: {},
    });

  function envelope(fetch: typeof globalThis.fetch): ReceiveDeps {
    return {
      requests,
      bindings: { read: () => Promise.reject(new Error('a refused message must not be looked up')) },
      handOver: { send: () => Promise.reject(new Error('a refused message must not be handed over')) },
      answer: createCloudFormationAnswerer(quiet, fetch),
      logger: quiet,
      answerReserveMs: 5000,
      staleClaimMs: 60_000,
      responseUrlPattern: US_EAST_1,
    };
  }

  it.each([
    ['another region\'s response bucket', 'https://cloudformation-custom-resource-response-euwest1.s3.eu-west-1.amazonaws.com/x'],
    ['an unresolvable host shaped like S3', 'https://cloudformation-custom-resource-response-x.s3.zz-nowhere-9.amazonaws.com/x'],
    ['another host', 'https://attacker.example/x'],
  ])('pointing at %s is dropped without any request made', async (_name, url) => {
    const { calls, fetch } = countingFetch(() => Promise.resolve(new Response(null, { status: 200 })));
    await receiveRegistration(message(url), () => 60_000, envelope(fetch));
    expect(calls).toEqual([]);
  });

  it('holds the function a moment, not its 60 s, when the answer cannot be delivered', async () => {
    // Prepare: a well-formed message to the right bucket, but the bucket's host is unreachable
    const refused = Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) });
    const { calls, fetch } = countingFetch(() => Promise.reject(refused));
    const unreadable = JSON.stringify({ ...JSON.parse(message(`https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com${signed}`)), RequestType: 'Nope' });
    const started = Date.now();

    // Act
    await receiveRegistration(unreadable, () => 60_000 - (Date.now() - started), envelope(fetch));

    // Assess
    expect(calls).toHaveLength(1);
    expect(Date.now() - started).toBeLessThan(1000);
  });
});
