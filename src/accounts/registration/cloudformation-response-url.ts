/**
 * Which ResponseURLs the onboarding callback will ever call. The registration topic is open to
 * anyone (a customer's CloudFormation publishes from their account), so the URL in a message is a
 * stranger's choice until proven otherwise: only CloudFormation's own response bucket of the
 * stage's region is called, so a forged message can neither point us at a host that hangs or
 * does not resolve (security review H4) nor at anything else.
 *
 * The bucket, per AWS: "For custom resources, allow traffic to the
 * cloudformation-custom-resource-response-region bucket. When using custom resources, AWS Region
 * names don't contain dashes. For example, uswest2."
 *   https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/vpc-interface-endpoints.html
 * The hosts that address that bucket, virtual-hosted style (no path style: CloudFormation presigns
 * virtual-hosted URLs):
 *   <bucket>.s3.<region>.<suffix>   the regional endpoint
 *   <bucket>.s3-<region>.<suffix>   the legacy dash form, still served in the older regions
 *   <bucket>.s3.<suffix>            the legacy global endpoint (what us-east-1 URLs use)
 *   https://docs.aws.amazon.com/AmazonS3/latest/userguide/VirtualHosting.html
 * The bucket name pins the region in all three, so the global form reaches the same bucket.
 * `<suffix>` is amazonaws.com, or amazonaws.com.cn in the China regions.
 */
export function cloudFormationResponseUrlPattern(region: string): RegExp {
  if (!/^[a-z]{2}(-[a-z]+)+-\d$/.test(region)) throw new Error(`not an AWS region: ${region}`);
  const bucket = `cloudformation-custom-resource-response-${region.replaceAll('-', '')}`;
  const suffix = region.startsWith('cn-') ? 'amazonaws\\.com\\.cn' : 'amazonaws\\.com';
  const hosts = [`s3\\.${region}`, `s3-${region}`, 's3'].map((endpoint) => `${bucket}\\.${endpoint}\\.${suffix}`);
  // Exactly the host, then the path: no userinfo, no port, no look-alike suffix.
  return new RegExp(`^https://(?:${hosts.join('|')})/`);
}
