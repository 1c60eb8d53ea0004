/**
 * Where Amazon-provided IPv6 blocks of a region's VPCs come from: an `EC2` prefix of the region in
 * AWS's published IP ranges (https://ip-ranges.amazonaws.com/ip-ranges.json; see README.md,
 * "Amazon-provided IPv6 pools"). A VPC's /56 is picked inside it.
 */
const POOLS: Readonly<Record<string, string>> = {
  'us-east-1': '2600:1f18::/33',
  'us-east-2': '2600:1f16::/34',
  'us-west-1': '2600:1f1c::/36',
  'eu-west-1': '2a05:d018::/35',
};

/** The region's pool; a region the data lacks uses AWS's documentation prefix (RFC 3849), so it is visibly not real. */
export function amazonIpv6Pool(region: string): string {
  return POOLS[region] ?? '2001:db8::/32';
}
