import { isIpv4Cidr } from '../../model/cidr';
import { NetworkModelError } from './errors';
import { isDeployTimeValue, isResourceAttribute, isResourceRef, type ResolvedResource, type ResolvedStack, type ResolvedValue } from './resolve-stack';

/**
 * Reads the values of a resolved stack where the network model needs them concrete: a reference
 * to a resource of the stack (of the types expected), a list, a CIDR block, a literal boolean or
 * number. Anything else is a NetworkModelError naming the property's path, never a guess.
 */

/** GetAtt attributes that are the resource's id, i.e. what Ref would give. */
const ID_ATTRIBUTES = new Set([
  'Id', 'GroupId', 'VpcId', 'SubnetId', 'RouteTableId', 'InternetGatewayId', 'NatGatewayId', 'NetworkInterfaceId',
  'InstanceId', 'LaunchTemplateId', 'AllocationId', 'VpcLinkId', 'ApiId',
]);

export class ResolvedValues {
  private readonly resources: ResolvedResource[];

  constructor(private readonly stack: ResolvedStack) {
    this.resources = Object.values(stack.resources);
  }

  /** Every resource of the stack, in template order. */
  all(): readonly ResolvedResource[] {
    return this.resources;
  }

  ofType(type: string): ResolvedResource[] {
    return this.resources.filter((resource) => resource.type === type);
  }

  resource(key: string, path: string): ResolvedResource {
    const found = this.stack.resources[key];
    if (found === undefined) throw new NetworkModelError(path, `names ${key}, which is not a resource of the stack`);
    return found;
  }

  /** The key of the resource a Ref (or a GetAtt of its id) names, checking its type. */
  refTo(value: ResolvedValue | undefined, types: readonly string[], path: string): string {
    let key: string | undefined;
    if (isResourceRef(value)) key = value.$ref;
    else if (isResourceAttribute(value) && ID_ATTRIBUTES.has(value.attribute)) key = value.$getAtt;
    if (key === undefined) {
      throw new NetworkModelError(path, `is ${describe(value)}, not a reference to a ${types.join(' or ')} of this stack`);
    }
    const resource = this.resource(key, path);
    if (!types.includes(resource.type)) throw new NetworkModelError(path, `names ${key}, a ${resource.type}, where a ${types.join(' or ')} belongs`);
    return key;
  }

  refsTo(value: ResolvedValue | undefined, types: readonly string[], path: string): string[] {
    return this.list(value, path).map((item, index) => this.refTo(item, types, `${path}[${index}]`));
  }

  list(value: ResolvedValue | undefined, path: string): ResolvedValue[] {
    if (!Array.isArray(value)) throw new NetworkModelError(path, `is ${describe(value)}, not a list`);
    return value;
  }

  /** A CIDR: literal, or the CidrBlock attribute of the VPC or a subnet of the stack. */
  cidr(value: ResolvedValue | undefined, path: string): string {
    if (isResourceAttribute(value) && value.attribute === 'CidrBlock') {
      const target = this.resource(value.$getAtt, path);
      if (target.type === 'AWS::EC2::VPC' || target.type === 'AWS::EC2::Subnet') return this.cidr(target.properties.CidrBlock, `${target.key}.CidrBlock`);
    }
    if (typeof value !== 'string' || !isIpv4Cidr(value)) throw new NetworkModelError(path, `is ${describe(value)}, not a known IPv4 CIDR block`);
    return value;
  }

  boolean(value: ResolvedValue | undefined, path: string): boolean | undefined {
    if (value === undefined) return undefined;
    if (value === true || value === 'true') return true;
    if (value === false || value === 'false') return false;
    throw new NetworkModelError(path, `is ${describe(value)}, not a literal boolean`);
  }

  number(value: ResolvedValue | undefined, path: string): number | undefined {
    if (value === undefined) return undefined;
    if (typeof value === 'number') return value;
    if (typeof value === 'string' && /^-?\d+$/.test(value)) return Number(value);
    throw new NetworkModelError(path, `is ${describe(value)}, not a literal number`);
  }
}

/** A resolved value as an error message shows it. */
export function describe(value: ResolvedValue | undefined): string {
  if (value === undefined) return 'missing';
  if (isResourceRef(value)) return `Ref ${value.$ref}`;
  if (isResourceAttribute(value)) return `GetAtt ${value.$getAtt}.${value.attribute}`;
  if (isDeployTimeValue(value)) return `a value known only at deploy time (${value.$deployTime})`;
  return JSON.stringify(value);
}
