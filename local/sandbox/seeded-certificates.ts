import type { AccountRegistry } from './account-registry';
import { AwsApiError } from './errors';
import type { CertificateRecord } from './sandbox-state';

/**
 * ACM certificates seeded into a sandbox account (`POST /_sandbox/certificates`), for templates
 * that name a certificate made outside CloudFormation, as a load balancer's HTTPS listener does.
 * The sandbox has no ACM API: the certificate holds no key and is not validated; it only exists,
 * in its account and region, so that a listener naming it is accepted (reference-checks.ts).
 */
export function seedCertificate(accounts: AccountRegistry, body: string, uuid: () => string, now: number): CertificateRecord {
  let request: { account?: unknown; region?: unknown; domainName?: unknown };
  try {
    request = JSON.parse(body) as typeof request;
  } catch {
    throw new AwsApiError('ValidationError', 'The body must be JSON: {"account": "123456789012", "region": "us-east-1", "domainName": "shop.example.com"}');
  }
  const { account, region, domainName } = request;
  if (typeof account !== 'string' || !/^\d{12}$/.test(account)) throw new AwsApiError('ValidationError', 'account must be a 12-digit account id');
  if (typeof region !== 'string' || !/^[a-z]{2}(-[a-z]+)+-\d$/.test(region)) throw new AwsApiError('ValidationError', 'region must be a region name such as us-east-1');
  if (typeof domainName !== 'string' || domainName === '') throw new AwsApiError('ValidationError', 'domainName must be the name the certificate is for');
  const certificate = { arn: `arn:aws:acm:${region}:${account}:certificate/${uuid()}`, domainName, createdAt: now };
  accounts.hold(account, 'certificates', certificate);
  return certificate;
}
