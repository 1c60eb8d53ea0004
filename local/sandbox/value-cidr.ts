import type { AccountRegistry } from './account-registry';
import type { StackRecord } from './sandbox-state';

/**
 * The IPv4 CIDR blocks EC2 refuses for a VPC or a subnet, in EC2's words (undefined when it creates
 * it). A VPC block must be between /16 and /28, and so must a subnet's, which must also lie inside
 * one of its VPC's blocks (the primary and any AWS::EC2::VPCCidrBlock association) and overlap no
 * other subnet of the VPC ("VPC CIDR blocks", Amazon VPC User Guide: "The allowed block size is
 * between a /16 netmask (65,536 IP addresses) and /28 netmask (16 IP addresses)"; "The CIDR block of
 * a subnet can be the same as the CIDR block for the VPC … or a subset of the CIDR block for the VPC
 * … The CIDR blocks of the subnets can't overlap").
 *
 * EC2's words:
 * - not a CIDR block at all (10.0.0.0/33): InvalidParameterValue "Value (10.0.0.0/33) for parameter
 *   cidrBlock is invalid. This is not a valid CIDR block." (getmoto/moto's CreateVpc and CreateSubnet tests);
 * - a VPC block of the wrong size: InvalidVpc.Range "The CIDR '10.0.0.0/8' is invalid." (grycap/im#1011,
 *   hashicorp/terraform#19452);
 * - a subnet outside its VPC or of the wrong size: InvalidSubnet.Range "The CIDR '10.10.1.0/24' is
 *   invalid." (pulumi/pulumi-awsx#111);
 * - a subnet overlapping another: InvalidSubnet.Conflict "The CIDR '10.4.3.0/24' conflicts with another
 *   subnet" (waterbear-cloud/paco#40, as CloudFormation stack events; hashicorp/terraform#33470).
 * A VPC whose id the sandbox does not know (not made by a sandbox stack) is not checked here.
 */
export function vpcCidrRefusal(cidrBlock: string): string | undefined {
  const block = parseCidr(cidrBlock);
  if (block === undefined) return notACidrBlock(cidrBlock);
  return block.prefix < 16 || block.prefix > 28 ? `The CIDR '${cidrBlock}' is invalid.` : undefined;
}

export function subnetCidrRefusal(stack: StackRecord, properties: Record<string, unknown>, accounts: AccountRegistry): string | undefined {
  const cidrBlock = properties['CidrBlock'];
  const vpcId = properties['VpcId'];
  if (typeof cidrBlock !== 'string' || typeof vpcId !== 'string') return undefined;
  const block = parseCidr(cidrBlock);
  if (block === undefined) return notACidrBlock(cidrBlock);
  const vpcBlocks = vpcCidrBlocks(stack, vpcId, accounts);
  if (vpcBlocks === undefined) return undefined;
  const inside = vpcBlocks.some((vpcBlock) => block.prefix >= vpcBlock.prefix && contains(vpcBlock, block.network));
  if (block.prefix < 16 || block.prefix > 28 || !inside) return `The CIDR '${cidrBlock}' is invalid.`;
  for (const { resource } of accounts.liveResources(stack.account, stack.region)) {
    if (resource.type !== 'AWS::EC2::Subnet' || resource.properties?.['VpcId'] !== vpcId) continue;
    const other = parseCidr(resource.properties['CidrBlock']);
    if (other !== undefined && overlaps(block, other)) return `The CIDR '${cidrBlock}' conflicts with another subnet`;
  }
  return undefined;
}

interface Cidr {
  /** The network address as an unsigned 32-bit number (host bits cleared). */
  network: number;
  prefix: number;
}

/** The VPC's IPv4 blocks, or undefined when no live sandbox VPC has that id. */
function vpcCidrBlocks(stack: StackRecord, vpcId: string, accounts: AccountRegistry): Cidr[] | undefined {
  const vpc = accounts.liveResourceOfType(stack.account, stack.region, 'AWS::EC2::VPC', vpcId);
  if (vpc === undefined) return undefined;
  const blocks = [vpc.properties?.['CidrBlock']];
  for (const { resource } of accounts.liveResources(stack.account, stack.region)) {
    if (resource.type === 'AWS::EC2::VPCCidrBlock' && resource.properties?.['VpcId'] === vpcId) blocks.push(resource.properties['CidrBlock']);
  }
  return blocks.map(parseCidr).filter((block): block is Cidr => block !== undefined);
}

function notACidrBlock(cidrBlock: string): string {
  return `Value (${cidrBlock}) for parameter cidrBlock is invalid. This is not a valid CIDR block.`;
}

function parseCidr(value: unknown): Cidr | undefined {
  if (typeof value !== 'string') return undefined;
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(value);
  if (match === null) return undefined;
  const octets = match.slice(1, 5).map(Number);
  const prefix = Number(match[5]);
  if (octets.some((octet) => octet > 255) || prefix > 32) return undefined;
  const address = octets.reduce((sum, octet) => sum * 256 + octet, 0);
  return { network: address - (address % 2 ** (32 - prefix)), prefix };
}

function contains(block: Cidr, address: number): boolean {
  return address >= block.network && address < block.network + 2 ** (32 - block.prefix);
}

function overlaps(a: Cidr, b: Cidr): boolean {
  return contains(a, b.network) || contains(b, a.network);
}
