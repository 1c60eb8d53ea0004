import {
  blockAt,
  blockSize,
  checkAlignedCidr,
  checkVpcCidr,
  isVpcPrefix,
  MAX_VPC_PREFIX,
  MIN_VPC_PREFIX,
  overlaps,
  parseIpv4Cidr,
  type CidrCheck,
  type Ipv4Block,
} from '../model/cidr';
import { CidrExhaustedError, CidrOverlapError, InvalidCidrError, StoredCidrInvalidError } from './errors';

const DEFAULT_VPC_PREFIX = MIN_VPC_PREFIX;
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
    const requested = requireVpcCidr(input.requested, 'network.cidr');
    const overlapping = taken.filter((block) => overlaps(block, requested)).map((block) => block.cidr);
    if (overlapping.length > 0) throw new CidrOverlapError(requested.cidr, [...new Set(overlapping)]);
    return requested.cidr;
  }

  const prefixLength = input.prefixLength ?? DEFAULT_VPC_PREFIX;
  if (!Number.isInteger(prefixLength) || !isVpcPrefix(prefixLength)) {
    throw new InvalidCidrError('prefixLength', `/${prefixLength}`, `is not a VPC size we plan for: use /${MIN_VPC_PREFIX} to /${MAX_VPC_PREFIX}`);
  }
  const rangeCidr = input.range ?? DEFAULT_ALLOCATION_RANGE;
  const range = required(checkAlignedCidr(rangeCidr), 'range', rangeCidr);
  const rangePrefix = range.prefix;
  const size = blockSize(4, prefixLength);
  // A range narrower than the block holds none of them; otherwise 2^(difference) aligned blocks.
  const capacity = rangePrefix > prefixLength ? 0 : 2 ** (prefixLength - rangePrefix);

  const start = firstFreeStart(range, size, taken);
  if (start === undefined) throw new CidrExhaustedError(range.cidr, prefixLength, capacity);
  return blockAt(4, start, prefixLength);
}

/**
 * First fit over the taken blocks sorted by start: a candidate is the next aligned start at or after
 * the cursor; it is free if it ends before the next taken block begins, otherwise the cursor jumps
 * past that block. Linear in the number of taken blocks, whatever the size of the range.
 */
function firstFreeStart(range: Ipv4Block, size: bigint, taken: readonly Ipv4Block[]): bigint | undefined {
  const sorted = [...taken].sort((a, b) => (a.first < b.first ? -1 : a.first > b.first ? 1 : 0));
  let candidate = alignUp(range.first, size);
  for (const block of sorted) {
    if (block.last < candidate) continue;
    if (candidate + size - 1n > range.last) return undefined;
    if (candidate + size - 1n < block.first) return candidate;
    candidate = alignUp(block.last + 1n, size);
  }
  // Past the last taken block the candidate must still fit: a full range has none left.
  return candidate + size - 1n <= range.last ? candidate : undefined;
}

function alignUp(address: bigint, size: bigint): bigint {
  return ((address + size - 1n) / size) * size;
}

/** A caller's VPC block, or a 400 naming the field. Exported for the subnet planner, which takes the same blocks. */
export function requireVpcCidr(cidr: string, field: string): Ipv4Block {
  return required(checkVpcCidr(cidr), field, cidr);
}

function required(checked: CidrCheck, field: string, cidr: string): Ipv4Block {
  if (!checked.ok) throw new InvalidCidrError(field, cidr, checked.reason);
  return checked.block;
}

/**
 * A block recorded for a live stack: any size; it covers its whole block even if stored off its
 * boundary, and keeps its stored spelling so errors name it as the customer knows it.
 * Unparseable is our bug.
 */
function parseStoredBlock(cidr: string): Ipv4Block {
  const block = parseIpv4Cidr(cidr);
  if (block === undefined) throw new StoredCidrInvalidError(cidr);
  return block;
}
