import { Address4 } from 'ip-address';
import { CidrExhaustedError, CidrOverlapError, InvalidCidrError, StoredCidrInvalidError } from './errors';

/** VPC sizes we plan for: /16 is the largest AWS allows; below /20 a tier would not fit every AZ. */
export const MIN_VPC_PREFIX = 16;
export const MAX_VPC_PREFIX = 20;
export const DEFAULT_VPC_PREFIX = 16;
/** RFC 1918's largest block; it keeps clear of 172.17.0.0/16, Docker's bridge on ECS instances. */
export const DEFAULT_ALLOCATION_RANGE = '10.0.0.0/8';

export interface AllocateVpcCidrInput {
  /** The blocks of the tenant's other live stacks in the same account and region. */
  taken: readonly string[];
  /** Size of the block to allocate (default 16); ignored when `requested` is given. */
  prefixLength?: number;
  /** A block the caller asked for (network.cidr): validated, not moved. */
  requested?: string;
  /** Where allocated blocks come from (default 10.0.0.0/8). A requested block may lie outside it. */
  range?: string;
}

/** One block as the closed interval [start, end] of its addresses. */
interface Block {
  cidr: string;
  prefix: number;
  start: bigint;
  end: bigint;
}

/**
 * Picks the VPC block of a new stack: the lowest aligned block of the asked size inside the range
 * that overlaps none of the taken blocks (first fit, so the same inputs always give the same answer),
 * or checks a requested block against the taken ones.
 *
 * @throws InvalidCidrError (400) when a given block or size is malformed or out of bounds
 * @throws CidrOverlapError (409) when the requested block overlaps a taken one
 * @throws CidrExhaustedError (409) when no block of that size is free in the range
 */
export function allocateVpcCidr(input: AllocateVpcCidrInput): string {
  const taken = input.taken.map(parseStoredBlock);

  if (input.requested !== undefined) {
    const requested = parseVpcBlock(input.requested, 'network.cidr');
    const overlapping = taken.filter((block) => overlaps(block, requested)).map((block) => block.cidr);
    if (overlapping.length > 0) throw new CidrOverlapError(requested.cidr, [...new Set(overlapping)]);
    return requested.cidr;
  }

  const prefixLength = input.prefixLength ?? DEFAULT_VPC_PREFIX;
  if (!Number.isInteger(prefixLength) || prefixLength < MIN_VPC_PREFIX || prefixLength > MAX_VPC_PREFIX) {
    throw new InvalidCidrError('prefixLength', `/${prefixLength}`, `is not a VPC size we plan for: use /${MIN_VPC_PREFIX} to /${MAX_VPC_PREFIX}`);
  }
  const range = parseAlignedBlock(input.range ?? DEFAULT_ALLOCATION_RANGE, 'range');
  const rangePrefix = range.prefix;
  const size = blockSize(prefixLength);
  // A range narrower than the block holds none of them; otherwise 2^(difference) aligned blocks.
  const capacity = rangePrefix > prefixLength ? 0 : 2 ** (prefixLength - rangePrefix);

  const start = firstFreeStart(range, size, taken);
  if (start === undefined) throw new CidrExhaustedError(range.cidr, prefixLength, capacity);
  return `${Address4.fromBigInt(start).correctForm()}/${prefixLength}`;
}

/**
 * First fit over the taken blocks sorted by start: a candidate is the next aligned start at or after
 * the cursor; it is free if it ends before the next taken block begins, otherwise the cursor jumps
 * past that block. Linear in the number of taken blocks, whatever the size of the range.
 */
function firstFreeStart(range: Block, size: bigint, taken: readonly Block[]): bigint | undefined {
  const sorted = [...taken].sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  let candidate = alignUp(range.start, size);
  for (const block of sorted) {
    if (block.end < candidate) continue;
    if (candidate + size - 1n > range.end) return undefined;
    if (candidate + size - 1n < block.start) return candidate;
    candidate = alignUp(block.end + 1n, size);
  }
  // Past the last taken block the candidate must still fit: a full range has none left.
  return candidate + size - 1n <= range.end ? candidate : undefined;
}

function alignUp(address: bigint, size: bigint): bigint {
  return ((address + size - 1n) / size) * size;
}

function blockSize(prefixLength: number): bigint {
  return 1n << BigInt(32 - prefixLength);
}

function overlaps(a: Block, b: Block): boolean {
  return a.start <= b.end && b.start <= a.end;
}

/**
 * `_startAddress()` / `_endAddress()` are the library's public bigint forms of startAddress() /
 * endAddress(); they skip building two more Address4 objects, which is most of the cost when an
 * account has hundreds of stacks.
 */
function toBlock(address: Address4, cidr: string): Block {
  return { cidr, prefix: address.subnetMask, start: address._startAddress(), end: address._endAddress() };
}

function parseAddress(cidr: string): Address4 | undefined {
  // Address4 accepts a bare address as a /32; a VPC block must say its size.
  if (!cidr.includes('/')) return undefined;
  try {
    return new Address4(cidr);
  } catch {
    // AddressError: not an IPv4 CIDR. The callers turn that into their own named error.
    return undefined;
  }
}

/** A caller's block: well formed and starting on its own boundary (10.0.5.0/16 is refused, not guessed at). */
function parseAlignedBlock(cidr: string, field: string): Block {
  const address = parseAddress(cidr);
  if (address === undefined) throw new InvalidCidrError(field, cidr, 'is not an IPv4 CIDR block such as 10.0.0.0/16');
  const block = toBlock(address, cidr);
  if (address.bigInt() !== block.start) {
    throw new InvalidCidrError(field, cidr, `does not start on its block boundary; did you mean ${address.networkForm()}?`);
  }
  return block;
}

function parseVpcBlock(cidr: string, field: string): Block {
  const block = parseAlignedBlock(cidr, field);
  const prefix = block.prefix;
  if (prefix < MIN_VPC_PREFIX || prefix > MAX_VPC_PREFIX) {
    throw new InvalidCidrError(field, cidr, `must be between /${MIN_VPC_PREFIX} and /${MAX_VPC_PREFIX} so every tier has room in every AZ`);
  }
  return block;
}

/**
 * A block recorded for a live stack: any size; it covers its whole block even if stored off its
 * boundary, and keeps its stored spelling so errors name it as the customer knows it.
 * Unparseable is our bug.
 */
function parseStoredBlock(cidr: string): Block {
  const address = parseAddress(cidr);
  if (address === undefined) throw new StoredCidrInvalidError(cidr);
  return toBlock(address, cidr);
}
