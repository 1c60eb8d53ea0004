import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { serviceRoleCredentials } from '../../src/aws/service-role-sts';

const ROLE = 'arn:aws:iam::000000000000:role/groundwork-service';
const MINUTE = 60_000;

describe('the service role credentials', () => {
  const sts = mockClient(STSClient);
  let clock = 0;
  const now = () => clock;
  let issued = 0;
  const answer = (expiresInMs: number | undefined) => {
    issued += 1;
    return { Credentials: { AccessKeyId: `AKIA${issued}`, SecretAccessKey: 'secret', SessionToken: `token-${issued}`, ...(expiresInMs === undefined ? {} : { Expiration: new Date(clock + expiresInMs) }) } };
  };

  beforeEach(() => {
    sts.reset();
    clock = 1_000_000;
    issued = 0;
  });

  it('assumes the role once for callers that ask at the same time, and keeps the credentials while they are fresh', async () => {
    sts.on(AssumeRoleCommand).callsFake(async () => answer(15 * MINUTE));
    const credentials = serviceRoleCredentials(new STSClient({ region: 'us-east-1' }), ROLE, now);

    const [first, second] = await Promise.all([credentials(), credentials()]);
    clock += 9 * MINUTE;
    const later = await credentials();

    expect(first.accessKeyId).toBe('AKIA1');
    expect(second.accessKeyId).toBe('AKIA1');
    expect(later.accessKeyId).toBe('AKIA1');
    expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(1);
    expect(sts.commandCalls(AssumeRoleCommand)[0]?.args[0].input).toEqual({ RoleArn: ROLE, RoleSessionName: 'groundwork-service', DurationSeconds: 900 });
  });

  it('assumes the role again 5 minutes before the credentials expire', async () => {
    sts.on(AssumeRoleCommand).callsFake(async () => answer(15 * MINUTE));
    const credentials = serviceRoleCredentials(new STSClient({ region: 'us-east-1' }), ROLE, now);

    await credentials();
    clock += 10 * MINUTE + 1;

    expect((await credentials()).accessKeyId).toBe('AKIA2');
  });

  it('hands out the current credentials when renewing fails while they have more than a minute left, and fails after', async () => {
    const credentials = serviceRoleCredentials(new STSClient({ region: 'us-east-1' }), ROLE, now);
    sts.on(AssumeRoleCommand).callsFakeOnce(async () => answer(15 * MINUTE)).rejects(Object.assign(new Error('Rate exceeded'), { name: 'Throttling' }));

    await credentials();
    clock += 12 * MINUTE;
    const stillUsable = await credentials();
    clock += 2 * MINUTE + 1;
    const failure = await credentials().catch((error: unknown) => error);

    expect(stillUsable.accessKeyId).toBe('AKIA1');
    expect(failure).toMatchObject({ name: 'Throttling' });
  });

  it('tries again on the next call after a failed first assumption, and takes 15 minutes when STS names no expiry', async () => {
    const credentials = serviceRoleCredentials(new STSClient({ region: 'us-east-1' }), ROLE, now);
    sts.on(AssumeRoleCommand).rejectsOnce(new Error('unreachable')).callsFake(async () => answer(undefined));

    await expect(credentials()).rejects.toThrow('unreachable');
    const retried = await credentials();

    expect(retried.accessKeyId).toBe('AKIA1');
    expect(retried.expiration.getTime()).toBe(clock + 15 * MINUTE);
  });
});
