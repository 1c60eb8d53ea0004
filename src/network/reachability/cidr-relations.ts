import { contains, overlaps, parseIpv4Cidr, type Ipv4Block } from '../../model/cidr';

/**
 * How two IPv4 blocks relate, for matching security-group rules and routes against subnets.
 * Blocks are compared as closed [first, last] address ranges, so a rule on 10.0.0.0/8 overlaps a
 * subnet 10.0.32.0/20 whatever their prefix lengths.
 */

/**
 * Blocks that hold no internet unicast address: RFC 1918, shared (RFC 6598), link-local, loopback,
 * "this network", and multicast + reserved (224/3, which holds 255.255.255.255: the placeholder
 * rule our security groups use to remove AWS's default egress rule).
 */
const NON_INTERNET_BLOCKS = [
  '10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10', '169.254.0.0/16', '127.0.0.0/8', '0.0.0.0/8', '224.0.0.0/3',
];

/**
 * Parsing is by far the dearest part, and an analysis asks about the same few blocks many times.
 * Bounded, because a warm Lambda analyses plan after plan with different blocks.
 */
const blocks = new Map<string, Ipv4Block>();
const MAX_CACHED_BLOCKS = 10_000;

function blockOf(cidr: string): Ipv4Block {
  const known = blocks.get(cidr);
  if (known !== undefined) return known;
  const block = parseIpv4Cidr(cidr);
  if (block === undefined) throw new RangeError(`${JSON.stringify(cidr)} is not an IPv4 CIDR block`);
  if (blocks.size >= MAX_CACHED_BLOCKS) blocks.clear();
  blocks.set(cidr, block);
  return block;
}

/** Every address of `inner` is in `outer`. */
export function cidrContains(outer: string, inner: string): boolean {
  return contains(blockOf(outer), blockOf(inner));
}

/** The two blocks share at least one address. */
export function cidrsOverlap(left: string, right: string): boolean {
  return overlaps(blockOf(left), blockOf(right));
}

/**
 * The block holds at least one address that can be on the internet. The non-internet blocks are
 * aligned CIDRs whose neighbours are all public, so a block is private exactly when one of them
 * contains it.
 */
export function hasInternetAddresses(cidr: string): boolean {
  return !NON_INTERNET_BLOCKS.some((block) => cidrContains(block, cidr));
}
