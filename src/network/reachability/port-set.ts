/**
 * Sets of (protocol, port) pairs, as security-group rules describe them, with union and
 * intersection so that a flow can be computed as "egress of the source ∩ ingress of the destination".
 *
 * Protocols are tcp and udp with port ranges, icmp, and `other` for every other IP protocol. icmp
 * and `other` are tracked as all-or-nothing: a rule naming one ICMP type counts as all of ICMP.
 * That over-approximates reachability, which is the safe direction for a proof that something is
 * NOT reachable.
 */

export const PROTOCOLS = ['tcp', 'udp', 'icmp', 'other'] as const;
export type Protocol = (typeof PROTOCOLS)[number];

/** Inclusive [from, to]. */
export type PortRange = readonly [number, number];

export type PortSet = Readonly<Record<Protocol, readonly PortRange[]>>;

const ALL_PORTS: PortRange = [0, 65535];

export const EMPTY_PORT_SET: PortSet = { tcp: [], udp: [], icmp: [], other: [] };
export const ALL_TRAFFIC: PortSet = { tcp: [ALL_PORTS], udp: [ALL_PORTS], icmp: [ALL_PORTS], other: [ALL_PORTS] };

/**
 * The traffic one security-group rule admits. `ipProtocol` as CloudFormation takes it: a name,
 * a number (as number or string), or -1 for everything. Missing or -1 ports on tcp/udp mean all ports.
 */
export function portSetOfRule(ipProtocol: string | number, fromPort: number | undefined, toPort: number | undefined): PortSet {
  const protocol = String(ipProtocol).toLowerCase();
  if (protocol === '-1' || protocol === 'all') return ALL_TRAFFIC;
  const whole = (name: Protocol): PortSet => ({ ...EMPTY_PORT_SET, [name]: [ALL_PORTS] });
  const ranged = (name: Protocol): PortSet => {
    if (fromPort === undefined || toPort === undefined || fromPort < 0 || toPort < 0) return whole(name);
    return { ...EMPTY_PORT_SET, [name]: normalise([[Math.min(fromPort, toPort), Math.max(fromPort, toPort)]]) };
  };
  switch (protocol) {
    case 'tcp':
    case '6':
      return ranged('tcp');
    case 'udp':
    case '17':
      return ranged('udp');
    case 'icmp':
    case '1':
      return whole('icmp');
    default:
      return whole('other');
  }
}

export function unionPortSets(...sets: readonly PortSet[]): PortSet {
  const result: Record<Protocol, PortRange[]> = { tcp: [], udp: [], icmp: [], other: [] };
  for (const set of sets) for (const protocol of PROTOCOLS) result[protocol].push(...set[protocol]);
  for (const protocol of PROTOCOLS) result[protocol] = normalise(result[protocol]);
  return result;
}

export function intersectPortSets(first: PortSet, ...others: readonly PortSet[]): PortSet {
  return others.reduce(intersectTwo, first);
}

function intersectTwo(left: PortSet, right: PortSet): PortSet {
  const result: Record<Protocol, PortRange[]> = { tcp: [], udp: [], icmp: [], other: [] };
  for (const protocol of PROTOCOLS) {
    for (const [a1, a2] of left[protocol]) {
      for (const [b1, b2] of right[protocol]) {
        const from = Math.max(a1, b1);
        const to = Math.min(a2, b2);
        if (from <= to) result[protocol].push([from, to]);
      }
    }
    result[protocol] = normalise(result[protocol]);
  }
  return result;
}

export function isEmptyPortSet(set: PortSet): boolean {
  return PROTOCOLS.every((protocol) => set[protocol].length === 0);
}

export function isAllTraffic(set: PortSet): boolean {
  return PROTOCOLS.every((protocol) => {
    const [only, ...rest] = set[protocol];
    return only !== undefined && rest.length === 0 && only[0] === 0 && only[1] === 65535;
  });
}

/** Sorted, merged (adjacent ranges joined), without empties. */
function normalise(ranges: readonly PortRange[]): PortRange[] {
  const sorted = [...ranges].sort((a, b) => a[0] - b[0]);
  const merged: Array<[number, number]> = [];
  for (const [from, to] of sorted) {
    const last = merged[merged.length - 1];
    if (last !== undefined && from <= last[1] + 1) last[1] = Math.max(last[1], to);
    else merged.push([from, to]);
  }
  return merged;
}
