import fc from 'fast-check';
import {
  checkAlignedCidr,
  checkVpcCidr,
  contains,
  fnCidr,
  isIpv4Cidr,
  networkForm,
  nthSubnet,
  overlaps,
  parseCidr,
  parseIpv4Cidr,
  subnets,
  type CidrBlock,
} from '../../src/model/cidr';

/**
 * The oracle is plain number arithmetic on octets (IPv4 fits a double), independent of ip-address.
 */
const dotted = (address: number) => [24, 16, 8, 0].map((shift) => Math.floor(address / 2 ** shift) % 256).join('.');
const firstOf = (address: number, prefix: number) => Math.floor(address / 2 ** (32 - prefix)) * 2 ** (32 - prefix);

const anyAddress = fc.integer({ min: 0, max: 2 ** 32 - 1 });
/** An aligned IPv4 block, spelled canonically. */
const alignedBlock = (minPrefix = 0, maxPrefix = 32) =>
  fc.tuple(anyAddress, fc.integer({ min: minPrefix, max: maxPrefix })).map(([address, prefix]) => `${dotted(firstOf(address, prefix))}/${prefix}`);

function parsed(text: string): CidrBlock {
  const block = parseCidr(text);
  if (block === undefined) throw new Error(`test setup: ${text} does not parse`);
  return block;
}

describe('reading an IPv4 block', () => {
  it('reads its first and last address and its size, whatever the address and prefix', () => {
    fc.assert(
      fc.property(anyAddress, fc.integer({ min: 0, max: 32 }), (address, prefix) => {
        const block = parseIpv4Cidr(`${dotted(address)}/${prefix}`);

        const first = firstOf(address, prefix);
        expect(block).toMatchObject({ version: 4, prefix, address: BigInt(address), first: BigInt(first), last: BigInt(first + 2 ** (32 - prefix) - 1) });
      }),
    );
  });

  it('accepts only the spelling the API documents: no bare address, no leading zeros, no spaces, prefix 0–32', () => {
    const refused = ['10.0.0.0', '010.0.0.0/16', '10.0.0.00/16', '10.0.0.0/08', '10.0.0.0/016', '10.0.0.0/33', '10.0.300.0/16', ' 10.0.0.0/16', '10.0.0.0/16\n', '10.0.0/16', 'nonsense', '2001:db8::/32'];
    const accepted = ['0.0.0.0/0', '10.0.0.0/16', '255.255.255.255/32', '10.0.5.0/16'];

    expect(refused.filter(isIpv4Cidr)).toEqual([]);
    expect(refused.map(parseIpv4Cidr).filter(Boolean)).toEqual([]);
    expect(accepted.filter(isIpv4Cidr)).toEqual(accepted);
  });

  it('reads IPv6 blocks too, but never a bare address as a block', () => {
    expect(parseCidr('2001:db8:1234:1a00::/56')).toMatchObject({ version: 6, prefix: 56 });
    expect(parseCidr('2001:db8::1')).toBeUndefined();
  });
});

describe('checking a block a caller gives', () => {
  it('says in the words users read why a block cannot be a VPC block', () => {
    const reason = (text: string) => {
      const checked = checkVpcCidr(text);
      return checked.ok ? 'ok' : checked.reason;
    };

    expect(reason('10.0.0.0/16')).toBe('ok');
    expect(reason('10.0.240.0/20')).toBe('ok');
    expect(reason('10.0.0.0')).toBe('is not an IPv4 CIDR block such as 10.0.0.0/16');
    expect(reason('10.0.5.0/16')).toBe('does not start on its block boundary; did you mean 10.0.0.0/16?');
    expect(reason('10.0.0.0/15')).toBe('must be between /16 and /20 so every tier has room in every AZ');
    expect(reason('10.0.0.0/24')).toBe('must be between /16 and /20 so every tier has room in every AZ');
  });

  it('accepts an aligned block of any size where the VPC bounds do not apply', () => {
    expect(checkAlignedCidr('10.0.0.0/8')).toMatchObject({ ok: true, block: { prefix: 8 } });
    expect(checkAlignedCidr('10.0.0.0/33')).toEqual({ ok: false, reason: 'is not an IPv4 CIDR block such as 10.0.0.0/16' });
  });

  it('names the boundary a misaligned block meant', () => {
    expect(networkForm(parsed('10.0.5.7/16'))).toBe('10.0.0.0/16');
    expect(networkForm(parsed('2001:db8:1234:1a99::/56'))).toBe('2001:db8:1234:1a00::/56');
  });
});

describe('containment and overlap', () => {
  it('holds for the blocks reachability asks about', () => {
    expect(contains(parsed('10.0.0.0/8'), parsed('10.0.32.0/20'))).toBe(true);
    expect(contains(parsed('10.0.32.0/20'), parsed('10.0.0.0/8'))).toBe(false);
    expect(overlaps(parsed('10.0.32.0/20'), parsed('10.0.0.0/8'))).toBe(true);
    expect(overlaps(parsed('10.0.0.0/16'), parsed('10.1.0.0/16'))).toBe(false);
    // An IPv6 block shares no address with an IPv4 one, whatever their numbers.
    expect(overlaps(parsed('0.0.0.0/0'), parsed('::/0'))).toBe(false);
  });

  it('two blocks overlap exactly when one contains the other, and agree with address arithmetic', () => {
    fc.assert(
      fc.property(alignedBlock(), alignedBlock(), (left, right) => {
        const a = parsed(left);
        const b = parsed(right);
        const [aFirst, aPrefix] = [Number(a.first), a.prefix];
        const [bFirst, bPrefix] = [Number(b.first), b.prefix];
        const aLast = aFirst + 2 ** (32 - aPrefix) - 1;
        const bLast = bFirst + 2 ** (32 - bPrefix) - 1;

        expect(overlaps(a, b)).toBe(aFirst <= bLast && bFirst <= aLast);
        expect(overlaps(a, b)).toBe(overlaps(b, a));
        expect(overlaps(a, b)).toBe(contains(a, b) || contains(b, a));
      }),
    );
  });
});

describe('splitting a block into subnets', () => {
  it('gives consecutive blocks of the asked size that lie inside it and do not overlap each other', () => {
    fc.assert(
      fc.property(alignedBlock(8, 28), fc.integer({ min: 0, max: 4 }), fc.integer({ min: 1, max: 16 }), (text, extraBits, wanted) => {
        const block = parsed(text);
        const prefix = block.prefix + extraBits;
        const count = Math.min(wanted, 2 ** extraBits);

        const parts = subnets(block, prefix, count).map(parsed);

        expect(parts).toHaveLength(count);
        for (const [index, part] of parts.entries()) {
          expect(part.prefix).toBe(prefix);
          expect(contains(block, part)).toBe(true);
          expect(part.first).toBe(block.first + BigInt(index) * (1n << BigInt(32 - prefix)));
          expect(parts.filter((other) => other !== part && overlaps(other, part))).toEqual([]);
        }
      }),
    );
  });

  it('refuses a subnet that would lie outside the block', () => {
    const vpc = parsed('10.0.0.0/16');

    expect(nthSubnet(vpc, 18, 3)).toBe('10.0.192.0/18');
    expect(() => nthSubnet(vpc, 18, 4)).toThrow(RangeError);
    expect(() => nthSubnet(vpc, 15, 0)).toThrow(RangeError);
    expect(() => nthSubnet(vpc, 33, 0)).toThrow(RangeError);
  });
});

describe('Fn::Cidr', () => {
  it('gives the six /27 of AWS\'s documented example ["192.168.0.0/24", 6, 5]', () => {
    expect(fnCidr('192.168.0.0/24', 6, 5)).toEqual([
      '192.168.0.0/27',
      '192.168.0.32/27',
      '192.168.0.64/27',
      '192.168.0.96/27',
      '192.168.0.128/27',
      '192.168.0.160/27',
    ]);
  });

  it('reads cidrBits as host bits, as AWS documents: 8 gives a /24, and 64 an IPv6 /64', () => {
    expect(fnCidr('10.0.0.0/16', 2, 8)).toEqual(['10.0.0.0/24', '10.0.1.0/24']);
    // AWS's IPv6 example: the first /64 of the VPC's Amazon-provided /56.
    expect(fnCidr('2001:db8:1234:1a00::/56', 1, 64)).toEqual(['2001:db8:1234:1a00::/64']);
    expect(fnCidr('2001:db8:1234:1a00::/56', 256, 64).at(-1)).toBe('2001:db8:1234:1aff::/64');
  });

  it('refuses a count outside AWS\'s documented 1–256, blocks larger than the block, or no block at all', () => {
    expect(() => fnCidr('10.0.0.0/16', 0, 8)).toThrow('Fn::Cidr cannot divide 10.0.0.0/16 into 0 blocks of 8 bits');
    expect(() => fnCidr('10.0.0.0/16', 257, 8)).toThrow(RangeError);
    expect(() => fnCidr('10.0.0.0/16', 1, 0)).toThrow(RangeError);
    expect(() => fnCidr('10.0.0.0/24', 1, 9)).toThrow('Fn::Cidr blocks of 9 bits do not fit in 10.0.0.0/24');
    expect(() => fnCidr('10.0.0.0', 1, 8)).toThrow(RangeError);
  });

  it('never hands out a block outside the one it divides', () => {
    expect(() => fnCidr('192.168.0.0/24', 9, 5)).toThrow('Fn::Cidr cannot divide 192.168.0.0/24 into 9 blocks of 5 bits');
  });

  it('agrees with octet arithmetic for any IPv4 block, count and size that fit', () => {
    fc.assert(
      fc.property(alignedBlock(0, 31), fc.integer({ min: 1, max: 256 }), fc.integer({ min: 1, max: 32 }), (ipBlock, wanted, cidrBits) => {
        const block = parsed(ipBlock);
        fc.pre(cidrBits <= 32 - block.prefix);
        const count = Math.min(wanted, 2 ** (32 - block.prefix - cidrBits));

        const blocks = fnCidr(ipBlock, count, cidrBits);

        const expected = Array.from({ length: count }, (_, index) => `${dotted(Number(block.first) + index * 2 ** cidrBits)}/${32 - cidrBits}`);
        expect(blocks).toEqual(expected);
      }),
    );
  });
});
