import { Address4, Address6 } from 'ip-address';

/**
 * CIDR blocks as the whole product reads them: the request schema, the VPC allocator, the subnet
 * planner, the reachability analyser and the sandbox's Fn::Cidr. ip-address does the parsing and
 * the address arithmetic; this module holds our rules on top of it (the spelling we accept, the VPC
 * sizes we plan for, the words users read when a block is refused).
 */

/**
 * The IPv4 spelling a caller may use: a dotted quad without leading zeros, then a prefix of 0–32
 * without leading zeros. ip-address alone would also take `10.0.0.0/08`. A pattern rather than only
 * a parse, because the request schema carries it into the API's JSON Schema.
 */
export const IPV4_CIDR_PATTERN = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}\/(3[0-2]|[12]?\d)$/;

/** VPC sizes we plan for: /16 is the largest AWS allows; below /20 a tier would not fit every AZ. */
export const MIN_VPC_PREFIX = 16;
export const MAX_VPC_PREFIX = 20;

/** What a user reads after the field and the block ("network.cidr: 10.0.0.0/24 must be between …"). */
export const NOT_AN_IPV4_CIDR = 'is not an IPv4 CIDR block such as 10.0.0.0/16';
export const VPC_SIZE_RULE = `must be between /${MIN_VPC_PREFIX} and /${MAX_VPC_PREFIX} so every tier has room in every AZ`;

/** One block as the closed interval [first, last] of its addresses. */
export interface CidrBlock {
  /** As written, so errors name the block as the customer knows it. */
  readonly cidr: string;
  readonly version: 4 | 6;
  readonly prefix: number;
  /** The address as written, which may lie off the block boundary (10.0.5.0/16). */
  readonly address: bigint;
  readonly first: bigint;
  readonly last: bigint;
}

export type Ipv4Block = CidrBlock & { readonly version: 4 };

/** Outcome of a check whose refusal a user reads: the block, or why not (see NOT_AN_IPV4_CIDR). */
export type CidrCheck = { ok: true; block: Ipv4Block } | { ok: false; reason: string };

const ADDRESS_BITS = { 4: 32, 6: 128 } as const;

/**
 * An IPv4 block in the accepted spelling, or undefined. Every number is read from the one binary
 * string the library caches (its bigInt() would re-read the octets): parsing is most of the cost
 * of an allocation when an account has hundreds of stacks.
 */
export function parseIpv4Cidr(text: string): Ipv4Block | undefined {
  if (!IPV4_CIDR_PATTERN.test(text)) return undefined;
  const address = new Address4(text);
  const prefix = address.subnetMask;
  const first = address._startAddress();
  return { cidr: text, version: 4, prefix, address: BigInt(`0b${address.binaryZeroPad()}`), first, last: first + blockSize(4, prefix) - 1n };
}

/** An IPv4 or IPv6 block (a bare address is not one), or undefined. */
export function parseCidr(text: string): CidrBlock | undefined {
  const v4 = parseIpv4Cidr(text);
  if (v4 !== undefined || !text.includes('/') || !Address6.isValid(text)) return v4;
  const address = new Address6(text);
  return { cidr: text, version: 6, prefix: address.subnetMask, address: address.bigInt(), first: address._startAddress(), last: address._endAddress() };
}

export function isIpv4Cidr(text: string): boolean {
  return IPV4_CIDR_PATTERN.test(text);
}

/** The prefix length as written after the slash (NaN when there is none), for checks beside the spelling check. */
export function writtenPrefixLength(text: string): number {
  return Number(text.split('/')[1]);
}

export function isVpcPrefix(prefix: number): boolean {
  return prefix >= MIN_VPC_PREFIX && prefix <= MAX_VPC_PREFIX;
}

/** The block in its canonical form, on its boundary: 10.0.5.0/16 → 10.0.0.0/16. */
export function networkForm(block: CidrBlock): string {
  return blockAt(block.version, block.first, block.prefix);
}

/** A caller's IPv4 block: well formed and starting on its own boundary (10.0.5.0/16 is refused, not guessed at). */
export function checkAlignedCidr(text: string): CidrCheck {
  const block = parseIpv4Cidr(text);
  if (block === undefined) return { ok: false, reason: NOT_AN_IPV4_CIDR };
  if (block.address !== block.first) return { ok: false, reason: `does not start on its block boundary; did you mean ${networkForm(block)}?` };
  return { ok: true, block };
}

/** A caller's VPC block: aligned, and of a size we plan for. */
export function checkVpcCidr(text: string): CidrCheck {
  const checked = checkAlignedCidr(text);
  if (checked.ok && !isVpcPrefix(checked.block.prefix)) return { ok: false, reason: VPC_SIZE_RULE };
  return checked;
}

/** Every address of `inner` is in `outer`. */
export function contains(outer: CidrBlock, inner: CidrBlock): boolean {
  return outer.version === inner.version && outer.first <= inner.first && inner.last <= outer.last;
}

/** The two blocks share at least one address. */
export function overlaps(a: CidrBlock, b: CidrBlock): boolean {
  return a.version === b.version && a.first <= b.last && b.first <= a.last;
}

/** How many addresses a block of /`prefix` holds. */
export function blockSize(version: 4 | 6, prefix: number): bigint {
  return 1n << BigInt(ADDRESS_BITS[version] - prefix);
}

/**
 * The `index`-th block of /`prefix` inside `block`, counting in blocks of that size from its first
 * address. @throws RangeError when that block does not lie inside `block`.
 */
export function nthSubnet(block: CidrBlock, prefix: number, index: number): string {
  if (!Number.isInteger(prefix) || prefix < block.prefix || prefix > ADDRESS_BITS[block.version] || !Number.isInteger(index) || index < 0) {
    throw new RangeError(`${block.cidr} holds no block #${index} of /${prefix}`);
  }
  const size = blockSize(block.version, prefix);
  const start = block.first + BigInt(index) * size;
  if (start + size - 1n > block.last) throw new RangeError(`${block.cidr} holds no block #${index} of /${prefix}`);
  return blockAt(block.version, start, prefix);
}

/** The block of /`prefix` that starts at `address`, in canonical form. */
export function blockAt(version: 4 | 6, address: bigint, prefix: number): string {
  return `${formatAddress(version, address)}/${prefix}`;
}

/** The first `count` blocks of /`prefix` inside `block`, in address order. @throws RangeError when they do not fit. */
export function subnets(block: CidrBlock, prefix: number, count: number): string[] {
  return Array.from({ length: count }, (_, index) => nthSubnet(block, prefix, index));
}

/**
 * CloudFormation's Fn::Cidr [ipBlock, count, cidrBits]: `count` (1–256) consecutive blocks of
 * `cidrBits` host bits (8 gives an IPv4 /24, 64 an IPv6 /64) from the start of `ipBlock`, IPv4 or IPv6.
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/intrinsic-function-reference-cidr.html
 * @throws RangeError, worded as CloudFormation's template errors after "Template error: ".
 */
export function fnCidr(ipBlock: string, count: number, cidrBits: number): string[] {
  const block = parseCidr(ipBlock);
  if (block === undefined || !Number.isInteger(count) || count < 1 || count > 256 || !Number.isInteger(cidrBits) || cidrBits < 1) {
    throw new RangeError(`Fn::Cidr cannot divide ${ipBlock} into ${count} blocks of ${cidrBits} bits`);
  }
  const prefix = ADDRESS_BITS[block.version] - cidrBits;
  if (prefix < block.prefix) throw new RangeError(`Fn::Cidr blocks of ${cidrBits} bits do not fit in ${ipBlock}`);
  // 2^(prefix - block.prefix) blocks fit; compared as bigints because an IPv6 difference can pass 2^53.
  if (BigInt(count) > 1n << BigInt(prefix - block.prefix)) {
    throw new RangeError(`Fn::Cidr cannot divide ${ipBlock} into ${count} blocks of ${cidrBits} bits`);
  }
  return subnets(block, prefix, count);
}

function formatAddress(version: 4 | 6, address: bigint): string {
  return version === 4 ? Address4.fromBigInt(address).correctForm() : Address6.fromBigInt(address).correctForm();
}
