import { createHash } from 'node:crypto';
import type { CfnTemplate, CfnValue } from '../../src/cfn/template-types';
import { fnCidr } from '../../src/model/cidr';
import { TemplateResolutionError } from './errors';
import { availabilityZoneNames } from './region-offerings';
import { addressInBlock, ALPHABETS, amazonIpv6Block, asText, assertAttributeExists, attributeShape, enginePort, refIdentifier, refShape, type Alphabet, type ShapeContext } from './resource-shapes';

/**
 * Works out a template's values the way CloudFormation would: Ref, Fn::GetAtt, Fn::Sub, Fn::Join,
 * Fn::Select, Fn::Split, Fn::If and the conditions, Fn::FindInMap, Fn::GetAZs, Fn::Base64,
 * Fn::Cidr, Fn::ImportValue, Fn::Length, Fn::ToJsonString. Physical ids and attributes it makes up
 * are well formed (`vpc-0…`, `subnet-0…`, ARNs of the right shape) and derived from the stack id
 * and the logical id, so the same stack always answers the same.
 *
 * Shared by the sandbox account (local/sandbox) and the CloudFormation double of the unit tests
 * (test/support/cloudformation-double.ts). The sandbox passes a ResourceLookup so that resources it
 * created answer with what they got (a custom resource's Data, for one).
 *
 * Longer than 400 lines on purpose: it is one of the two CloudFormation intrinsic evaluators (with
 * src/network/reachability/resolve-stack.ts), and each function's rules read best side by side.
 */

/** What the evaluator needs to know of the stack. */
export interface StackIdentity {
  stackId: string;
  stackName: string;
  account: string;
  region: string;
  /** Parameter values as given (or defaulted), before any list splitting. */
  parameters: Record<string, string>;
}

/** What the caller knows better than the evaluator's made-up values. */
export interface ResourceLookup {
  /** The physical id a created resource got; undefined: the one CloudFormation would give it. */
  physicalId?(logicalId: string): string | undefined;
  /**
   * A custom resource's attribute (its response's Data). With this hook, a key the response did not
   * carry is an error, as in CloudFormation; without it, custom attributes are made up.
   */
  customAttribute?(logicalId: string, attribute: string): string | undefined;
  /** Fn::ImportValue: the value exported under that name in the account and region. */
  exportValue?(name: string): string | undefined;
}

export type Resolved = string | string[] | undefined;

/** Marks a value removed by `Ref: AWS::NoValue` while resolving a structure. */
const NO_VALUE: unique symbol = Symbol('AWS::NoValue');

export const EC2_ID_PREFIXES: Readonly<Record<string, string>> = {
  'AWS::EC2::VPC': 'vpc',
  'AWS::EC2::Subnet': 'subnet',
  'AWS::EC2::SecurityGroup': 'sg',
  'AWS::EC2::SecurityGroupIngress': 'sgr',
  'AWS::EC2::SecurityGroupEgress': 'sgr',
  'AWS::EC2::InternetGateway': 'igw',
  'AWS::EC2::EgressOnlyInternetGateway': 'eigw',
  'AWS::EC2::NatGateway': 'nat',
  'AWS::EC2::RouteTable': 'rtb',
  'AWS::EC2::SubnetRouteTableAssociation': 'rtbassoc',
  'AWS::EC2::Instance': 'i',
  'AWS::EC2::VPCEndpoint': 'vpce',
  'AWS::EC2::LaunchTemplate': 'lt',
  'AWS::EC2::NetworkAcl': 'acl',
  'AWS::EC2::NetworkInterface': 'eni',
  'AWS::EC2::FlowLog': 'fl',
  'AWS::EC2::Volume': 'vol',
  'AWS::EC2::PrefixList': 'pl',
  'AWS::EC2::TransitGateway': 'tgw',
  'AWS::EC2::VPCPeeringConnection': 'pcx',
  'AWS::EC2::DHCPOptions': 'dopt',
};

/** Types whose Ref is their ARN. */
const REF_IS_ARN = new Set([
  'AWS::SNS::Topic', 'AWS::SecretsManager::Secret', 'AWS::IAM::ManagedPolicy', 'AWS::ECS::TaskDefinition', 'AWS::ECS::Service',
  'AWS::ElasticLoadBalancingV2::LoadBalancer', 'AWS::ElasticLoadBalancingV2::TargetGroup', 'AWS::ElasticLoadBalancingV2::Listener',
  'AWS::ElasticLoadBalancingV2::ListenerRule', 'AWS::StepFunctions::StateMachine', 'AWS::CertificateManager::Certificate',
  'AWS::SecretsManager::SecretTargetAttachment',
]);
const ARN_SERVICES: Record<string, string> = {
  ElasticLoadBalancingV2: 'elasticloadbalancing', CertificateManager: 'acm', StepFunctions: 'states', ApiGatewayV2: 'apigateway',
};
/** How long a generated name may be, for types whose service caps it (CloudFormation shortens the parts). */
const NAME_LIMITS: Record<string, number> = {
  'AWS::IAM::Role': 64, 'AWS::IAM::InstanceProfile': 128, 'AWS::IAM::ManagedPolicy': 128, 'AWS::IAM::User': 64,
  'AWS::ElasticLoadBalancingV2::LoadBalancer': 32, 'AWS::ElasticLoadBalancingV2::TargetGroup': 32, 'AWS::S3::Bucket': 63,
  'AWS::RDS::DBInstance': 63, 'AWS::RDS::DBSubnetGroup': 255, 'AWS::Lambda::Function': 64, 'AWS::SQS::Queue': 80,
  'AWS::Events::Rule': 64, 'AWS::AutoScaling::AutoScalingGroup': 255, 'AWS::ECS::Cluster': 255, 'AWS::CloudFormation::Stack': 128,
};
const LOWERCASE_NAMES = new Set([
  'AWS::S3::Bucket', 'AWS::RDS::DBInstance', 'AWS::RDS::DBSubnetGroup', 'AWS::RDS::DBCluster', 'AWS::DocDB::DBCluster', 'AWS::DocDB::DBInstance',
  'AWS::Neptune::DBCluster', 'AWS::ElastiCache::ReplicationGroup', 'AWS::ElastiCache::CacheCluster', 'AWS::Elasticsearch::Domain', 'AWS::OpenSearchService::Domain',
]);
/** The property that names a thing, where it is not `<Thing>Name`. */
const NAME_PROPERTIES: Record<string, string> = {
  'AWS::RDS::DBInstance': 'DBInstanceIdentifier',
  'AWS::SecretsManager::Secret': 'Name',
  'AWS::Events::Rule': 'Name',
  'AWS::ElasticLoadBalancingV2::LoadBalancer': 'Name',
  'AWS::ElasticLoadBalancingV2::TargetGroup': 'Name',
  'AWS::ServiceDiscovery::Service': 'Name',
  'AWS::ECS::CapacityProvider': 'Name',
  'AWS::ApiGatewayV2::Api': 'Name',
  'AWS::RDS::DBCluster': 'DBClusterIdentifier',
  'AWS::DocDB::DBCluster': 'DBClusterIdentifier',
  'AWS::DocDB::DBInstance': 'DBInstanceIdentifier',
  'AWS::Neptune::DBCluster': 'DBClusterIdentifier',
  'AWS::ElastiCache::ReplicationGroup': 'ReplicationGroupId',
  'AWS::EC2::KeyPair': 'KeyName',
};

export function isCustomResourceType(type: string): boolean {
  return type.startsWith('Custom::') || type === 'AWS::CloudFormation::CustomResource';
}

export function isListParameterType(type: string): boolean {
  return type.startsWith('List<') || type === 'CommaDelimitedList' || /^AWS::SSM::Parameter::Value<List<|^AWS::SSM::Parameter::Value<CommaDelimitedList>/.test(type);
}

export class TemplateEvaluator {
  constructor(
    private readonly template: CfnTemplate,
    private readonly stack: StackIdentity,
    private readonly lookup: ResourceLookup = {},
  ) {}

  /**
   * Every output whose condition holds. A value beyond the evaluator is shaped after the output's
   * name (what the unit-test double wants); `strict` throws instead (what the sandbox wants).
   */
  outputs(options: { strict?: boolean } = {}): Record<string, string> {
    const outputs: Record<string, string> = {};
    for (const [key, output] of Object.entries(this.template.Outputs ?? {})) {
      if (output.Condition !== undefined && !this.condition(output.Condition)) continue;
      let value: Resolved;
      try {
        value = this.value(output.Value);
      } catch (error) {
        if (options.strict || !(error instanceof TemplateResolutionError)) throw error;
        value = this.fromOutputKey(key);
      }
      outputs[key] = Array.isArray(value) ? value.join(',') : (value ?? '');
    }
    return outputs;
  }

  /** A named condition; one the evaluator cannot work out counts as true. */
  condition(name: string): boolean {
    const definition = this.template.Conditions?.[name];
    if (definition === undefined) return true;
    try {
      return this.truth(definition);
    } catch (error) {
      if (error instanceof TemplateResolutionError) return true;
      throw error;
    }
  }

  /** Logical ids of the resources the stack has: those whose Condition holds, in template order. */
  resourcesToCreate(): string[] {
    return Object.entries(this.template.Resources).filter(([, resource]) => resource.Condition === undefined || this.condition(resource.Condition)).map(([id]) => id);
  }

  /** The physical id: the created resource's own, or the one CloudFormation would give it. */
  physicalId(logicalId: string): string {
    return this.lookup.physicalId?.(logicalId) ?? this.generatedPhysicalId(logicalId);
  }

  /** The physical id CloudFormation would give the resource (`Ref` of it). */
  generatedPhysicalId(logicalId: string): string {
    const resource = this.template.Resources[logicalId];
    if (!resource) throw new TemplateResolutionError(`Unresolved resource dependencies [${logicalId}] in the Resources block of the template`);
    const type = resource.Type;
    const seed = logicalId;
    const prefix = EC2_ID_PREFIXES[type];
    if (prefix !== undefined) return `${prefix}-0${this.hex(seed, 16)}`;
    if (type === 'AWS::EC2::EIP') return this.publicIp(seed);
    if (type === 'AWS::ElasticLoadBalancingV2::LoadBalancer') return this.arn(type, `app/${this.name(logicalId)}/${this.hex(`${seed}#lb`, 16)}`);
    if (type === 'AWS::ElasticLoadBalancingV2::TargetGroup') return this.arn(type, `${this.name(logicalId)}/${this.hex(`${seed}#tg`, 16)}`);
    if (type === 'AWS::ElasticLoadBalancingV2::Listener') return this.arn(type, `app/${this.stack.stackName.slice(0, 20)}/${this.hex(`${seed}#lb`, 16)}/${this.hex(`${seed}#l`, 16)}`);
    if (type === 'AWS::IAM::ManagedPolicy') return this.iamArn('policy', resource.Properties?.['Path'], this.name(logicalId));
    if (REF_IS_ARN.has(type)) return this.arn(type, this.name(logicalId));
    if (type === 'AWS::SQS::Queue') return `https://sqs.${this.stack.region}.amazonaws.com/${this.stack.account}/${this.name(logicalId)}`;
    if (type === 'AWS::KMS::Key') return this.uuidFrom(seed);
    if (type === 'AWS::ApiGatewayV2::Api' || type === 'AWS::ApiGateway::RestApi') return this.alnum(seed, 10).toLowerCase();
    if (type.startsWith('AWS::ApiGatewayV2::') && type !== 'AWS::ApiGatewayV2::Stage') return this.alnum(seed, 7).toLowerCase();
    if (type === 'AWS::ServiceDiscovery::PrivateDnsNamespace' || type === 'AWS::ServiceDiscovery::PublicDnsNamespace') return `ns-${this.hex(seed, 16)}`;
    if (type === 'AWS::ServiceDiscovery::Service') return `srv-${this.hex(seed, 16)}`;
    // A nested stack's Ref is its stack id: `<parent>-<LogicalId>-<random>` (local/sandbox/nested-stacks.ts).
    if (type === 'AWS::CloudFormation::Stack') return `arn:aws:cloudformation:${this.stack.region}:${this.stack.account}:stack/${this.name(logicalId)}/${this.uuidFrom(`${seed}#stack`)}`;
    if (type === 'AWS::CloudFormation::WaitConditionHandle') {
      return `https://cloudformation-waitcondition-${this.stack.region}.s3.amazonaws.com/${encodeURIComponent(this.stack.stackId)}/${logicalId}`;
    }
    const shaped = refShape(this.shapeContext(logicalId, ''));
    return shaped === undefined || shaped === '' ? this.name(logicalId) : shaped;
  }

  /** `Fn::GetAtt` of a resource. */
  attribute(logicalId: string, attribute: string): Resolved {
    const resource = this.template.Resources[logicalId];
    if (!resource) throw new TemplateResolutionError(`Template error: instance of Fn::GetAtt references undefined resource ${logicalId}`);
    const type = resource.Type;
    // A wait condition's Data is what its signals carried, known once they came (like a custom resource's).
    if ((isCustomResourceType(type) || (type === 'AWS::CloudFormation::WaitCondition' && attribute === 'Data')) && this.lookup.customAttribute) {
      const value = this.lookup.customAttribute(logicalId, attribute);
      if (value === undefined) {
        throw new TemplateResolutionError(`CustomResource attribute error: Vendor response doesn't contain ${attribute} key in object ${this.stack.stackId}|${logicalId}`);
      }
      return value;
    }
    if (type === 'AWS::CloudFormation::Stack' && attribute.startsWith('Outputs.') && this.lookup.customAttribute) {
      const value = this.lookup.customAttribute(logicalId, attribute);
      // AWS's words for an output the nested stack lacks are not documented: its words for an unknown attribute.
      if (value === undefined) throw new TemplateResolutionError(`Template error: resource ${logicalId} does not support attribute type ${attribute} in Fn::GetAtt`);
      return value;
    }
    // Without the sandbox's hook (the unit tests' double), a custom attribute is made up.
    if (isCustomResourceType(type)) return this.alnum(`${logicalId}.${attribute}`, 16).toLowerCase();
    assertAttributeExists(type, logicalId, attribute);
    const id = this.physicalId(logicalId);
    const seed = `${logicalId}.${attribute}`;
    const property = resource.Properties?.[attribute];
    if (property !== undefined) return this.value(property);
    const shaped = attributeShape(this.shapeContext(logicalId, id), attribute);
    if (shaped !== undefined) return shaped;
    const region = this.stack.region;
    switch (attribute) {
      case 'Arn':
      case 'DBInstanceArn':
      case 'ClusterArn':
      case 'ServiceArn':
      case 'TopicArn':
      case 'QueueArn':
      case 'LoadBalancerArn':
      case 'TargetGroupArn':
      case 'ListenerArn':
        return this.arnOf(logicalId, id);
      case 'RoleId':
        return `AROA${this.alnum(seed, 17)}`;
      case 'PolicyId':
        return `ANPA${this.alnum(seed, 17)}`;
      case 'GroupId':
      case 'Id':
      case 'VpcId':
      case 'SubnetId':
      case 'RouteTableId':
      case 'InternetGatewayId':
      case 'NatGatewayId':
      case 'LaunchTemplateId':
      case 'Name':
      case 'VpcLinkId':
      case 'ApiId':
        return type === 'AWS::ECS::Service' ? (id.split('/').at(-1) ?? id) : id;
      case 'LatestVersionNumber':
      case 'DefaultVersionNumber':
        return '1';
      case 'DefaultSecurityGroup':
        return `sg-0${this.hex(seed, 16)}`;
      case 'DefaultNetworkAcl':
        return `acl-0${this.hex(seed, 16)}`;
      case 'AllocationId':
        return `eipalloc-0${this.hex(seed, 16)}`;
      case 'PublicIp':
        return this.publicIp(logicalId);
      case 'PrivateIp':
      case 'PrimaryPrivateIpAddress':
        return this.privateIp(logicalId);
      case 'PrivateDnsName':
        // "ip-10-0-1-5.ec2.internal" in us-east-1, "ip-….<region>.compute.internal" elsewhere (Amazon VPC User Guide, "DNS attributes").
        return `ip-${this.privateIp(logicalId).replaceAll('.', '-')}.${region === 'us-east-1' ? 'ec2.internal' : `${region}.compute.internal`}`;
      case 'AvailabilityZone':
        // Where the resource gave none, EC2 picks one of the region's.
        return availabilityZoneNames(region)[0] ?? `${region}a`;
      case 'ApiEndpoint':
        return `https://${id}.execute-api.${region}.amazonaws.com`;
      case 'Endpoint.Address':
        return `${id}.${this.alnum(seed, 12).toLowerCase()}.${region}.rds.amazonaws.com`;
      case 'CanonicalHostedZoneID':
        return 'Z35SXDOTRQ7X7K';
      case 'LoadBalancerFullName':
        return id.split(':loadbalancer/')[1] ?? id;
      case 'TargetGroupFullName':
        return id.split(':')[5] ?? id;
      case 'HostedZoneId':
        return `Z${this.alnum(seed, 20)}`;
      case 'Ipv6CidrBlocks':
        return this.ipv6Blocks(logicalId);
      case 'SecurityGroupIds':
        return [];
    }
    if (attribute.endsWith('Arn')) return this.arnOf(logicalId, id);
    if (/Dns ?Name$/i.test(attribute)) {
      // "ec2-203-0-113-25.compute-1.amazonaws.com" in us-east-1, "….<region>.compute.amazonaws.com" elsewhere.
      if (type === 'AWS::EC2::Instance') return `ec2-${this.publicIp(logicalId).replaceAll('.', '-')}.${region === 'us-east-1' ? 'compute-1' : `${region}.compute`}.amazonaws.com`;
      return `${this.stack.stackName.slice(0, 20)}-${this.digits(seed, 10)}.${region}.elb.amazonaws.com`.toLowerCase();
    }
    if (attribute.endsWith('Port')) {
      const port = resource.Properties?.['Port'] ?? enginePort(asText(this.value(resource.Properties?.['Engine'] ?? '')));
      if (port !== undefined) return this.value(port);
    }
    // The type has the attribute, but the sandbox has no shape for it: refused rather than made up.
    throw new TemplateResolutionError(`Template error: the sandbox does not model attribute ${attribute} of ${type} (resource ${logicalId} in Fn::GetAtt)`);
  }

  /** What the shape rules (resource-shapes.ts) may ask of a resource and the stack. */
  private shapeContext(logicalId: string, id: string): ShapeContext {
    const resource = this.template.Resources[logicalId];
    const text = (properties: { [key: string]: CfnValue } | undefined, name: string): string => asText(properties?.[name] === undefined ? '' : this.value(properties[name]));
    return {
      type: resource?.Type ?? '',
      logicalId,
      id,
      region: this.stack.region,
      account: this.stack.account,
      property: (name) => text(resource?.Properties, name),
      chars: (purpose, length, alphabet) => this.chars(`${logicalId}#${purpose}`, length, alphabet),
      earlierWithSame: (name) => {
        const ids = Object.keys(this.template.Resources);
        const own = text(resource?.Properties, name);
        return ids.slice(0, ids.indexOf(logicalId)).filter((other) => this.template.Resources[other]?.Type === resource?.Type && text(this.template.Resources[other]?.Properties, name) === own).length;
      },
      referenced: (value) => {
        const found = Object.entries(this.template.Resources).find(([other, candidate]) => other !== logicalId && candidate.Type.startsWith('AWS::RDS::') && this.physicalId(other) === value);
        return found && { type: found[1].Type, property: (name) => text(found[1].Properties, name) };
      },
    };
  }

  /** A private address inside the subnet the resource names, when the subnet is the template's own. */
  private privateIp(logicalId: string): string {
    const properties = this.template.Resources[logicalId]?.Properties ?? {};
    const interfaces = properties['NetworkInterfaces'];
    const subnet = properties['SubnetId'] ?? (Array.isArray(interfaces) && typeof interfaces[0] === 'object' && interfaces[0] !== null && !Array.isArray(interfaces[0]) ? interfaces[0]['SubnetId'] : undefined);
    const subnetId = subnet === undefined ? undefined : asText(this.value(subnet));
    const subnetLogicalId = Object.keys(this.template.Resources).find((other) => this.template.Resources[other]?.Type === 'AWS::EC2::Subnet' && this.physicalId(other) === subnetId);
    const cidr = subnetLogicalId === undefined ? undefined : asText(this.value(this.template.Resources[subnetLogicalId]?.Properties?.['CidrBlock']));
    const seed = Number.parseInt(this.hex(`${logicalId}.PrivateIp`, 8), 16);
    return (cidr === undefined ? undefined : addressInBlock(cidr, seed)) ?? `10.0.${seed % 256}.${(Math.floor(seed / 256) % 250) + 4}`;
  }

  /**
   * A VPC's IPv6 blocks: one per `AWS::EC2::VPCCidrBlock` of the stack that gives it an
   * Amazon-provided /56 (from the region's pool, the same for the same VPC) or names its own block.
   * A subnet's: its `Ipv6CidrBlock`.
   */
  private ipv6Blocks(logicalId: string): string[] {
    const resource = this.template.Resources[logicalId];
    if (resource?.Type === 'AWS::EC2::Subnet') {
      const own = resource.Properties?.['Ipv6CidrBlock'];
      return own === undefined ? [] : [asText(this.value(own))];
    }
    const vpcId = this.physicalId(logicalId);
    return Object.entries(this.template.Resources)
      .filter(([other, candidate]) => candidate.Type === 'AWS::EC2::VPCCidrBlock' && (candidate.Condition === undefined || this.condition(candidate.Condition)) && asText(this.value(candidate.Properties?.['VpcId'])) === vpcId && other !== logicalId)
      .flatMap(([other, candidate]) => {
        const properties = candidate.Properties ?? {};
        if (properties['Ipv6CidrBlock'] !== undefined) return [asText(this.value(properties['Ipv6CidrBlock']))];
        if (String(this.value(properties['AmazonProvidedIpv6CidrBlock'] ?? false)) !== 'true') return [];
        return [amazonIpv6Block(this.stack.region, BigInt(`0x${this.hex(`${vpcId}#${other}#ipv6`, 24)}`))];
      });
  }

  /** A value as a string or list of strings (what outputs, Sub and Join see). */
  value(value: CfnValue | undefined): Resolved {
    if (value === undefined || value === null) return '';
    if (typeof value === 'string') return value;
    if (typeof value === 'number' || typeof value === 'boolean') return String(value);
    if (Array.isArray(value)) return value.flatMap((element) => this.value(element) ?? []);
    const [fn, ...rest] = Object.keys(value);
    if (fn === undefined || rest.length > 0) throw new TemplateResolutionError('Template error: every value must be a string, a list or an intrinsic function here');
    const argument = value[fn] as CfnValue;
    const list = (v: CfnValue | undefined): string[] => {
      const resolved = this.value(v);
      if (resolved === undefined) return [];
      return Array.isArray(resolved) ? resolved : resolved.split(',');
    };
    const args = Array.isArray(argument) ? argument : [argument];
    switch (fn) {
      case 'Ref':
        return this.ref(String(argument));
      case 'Fn::GetAtt': {
        const [resource, attribute] = Array.isArray(argument) ? argument.map((a) => String(this.value(a))) : String(argument).split(/\.(.*)/s);
        return this.attribute(resource ?? '', attribute ?? '');
      }
      case 'Fn::Join':
        return list(args[1]).join(String(this.value(args[0]) ?? ''));
      case 'Fn::Select': {
        const selected = list(args[1])[Number(this.value(args[0]))];
        if (selected === undefined) throw new TemplateResolutionError('Template error: Fn::Select cannot select nonexistent value at index');
        return selected;
      }
      case 'Fn::Split':
        return String(this.value(args[1]) ?? '').split(String(this.value(args[0]) ?? ''));
      case 'Fn::GetAZs':
        // What the region has (local/sandbox/data): "returns only Availability Zones that have a default
        // subnet unless none of the Availability Zones has a default subnet" — the sandbox makes none.
        return availabilityZoneNames(String(this.value(argument) || this.stack.region));
      case 'Fn::Base64':
        return Buffer.from(String(this.value(argument) ?? '')).toString('base64');
      case 'Fn::If': {
        const [condition, whenTrue, whenFalse] = args;
        return this.value(this.condition(String(condition)) ? whenTrue : whenFalse);
      }
      case 'Fn::FindInMap': {
        const [map, first, second] = args.map((a) => String(this.value(a)));
        const found = this.template.Mappings?.[map ?? '']?.[first ?? '']?.[second ?? ''];
        if (found === undefined) throw new TemplateResolutionError(`Template error: Unable to get mapping for ${map}::${first}::${second}`);
        return this.value(found);
      }
      case 'Fn::Cidr': {
        const [block, count, bits] = args.map((a) => String(this.value(a)));
        try {
          return fnCidr(block ?? '', Number(count), Number(bits));
        } catch (error) {
          if (!(error instanceof RangeError)) throw error;
          throw new TemplateResolutionError(`Template error: ${error.message}`);
        }
      }
      case 'Fn::ImportValue': {
        const name = String(this.value(argument));
        const exported = this.lookup.exportValue?.(name);
        if (exported === undefined) throw new TemplateResolutionError(`No export named ${name} found`);
        return exported;
      }
      case 'Fn::Length':
        return String(list(argument).length);
      case 'Fn::ToJsonString':
        return JSON.stringify(this.resolve(argument));
      case 'Fn::Sub': {
        const [text, variables] = Array.isArray(argument) ? argument : [argument, {}];
        const own = (variables ?? {}) as { [key: string]: CfnValue };
        return String(text).replace(/\$\{([^}]*)\}/g, (whole, expression: string) => {
          if (expression.startsWith('!')) return `\${${expression.slice(1)}}`;
          const resolved = expression in own
            ? this.value(own[expression])
            : expression.includes('.') && !expression.startsWith('AWS::')
              ? this.attribute(expression.slice(0, expression.indexOf('.')), expression.slice(expression.indexOf('.') + 1))
              : this.ref(expression);
          return Array.isArray(resolved) ? resolved.join(',') : (resolved ?? whole);
        });
      }
      default:
        throw new TemplateResolutionError(`Template error: the sandbox does not evaluate ${fn}`);
    }
  }

  /**
   * A whole structure with its intrinsic functions worked out (a resource's properties, a
   * policy document, an event pattern): objects and lists keep their shape, `AWS::NoValue` removes
   * the key or element, and conditions pick their branch.
   */
  resolve(value: CfnValue | undefined): unknown {
    const resolved = this.resolveDeep(value);
    return resolved === NO_VALUE ? undefined : resolved;
  }

  private resolveDeep(value: CfnValue | undefined): unknown {
    if (value === undefined) return undefined;
    if (value === null || typeof value !== 'object') return value;
    if (Array.isArray(value)) return value.map((element) => this.resolveDeep(element)).filter((element) => element !== NO_VALUE);
    const keys = Object.keys(value);
    const [fn] = keys;
    if (keys.length === 1 && fn !== undefined && (fn === 'Ref' || fn.startsWith('Fn::'))) {
      const argument = value[fn] as CfnValue;
      if (fn === 'Ref' && argument === 'AWS::NoValue') return NO_VALUE;
      if (fn === 'Fn::If' && Array.isArray(argument)) {
        const [condition, whenTrue, whenFalse] = argument;
        return this.resolveDeep(this.condition(String(condition)) ? whenTrue : whenFalse);
      }
      if (fn === 'Fn::Select' && Array.isArray(argument)) {
        const list = this.resolveDeep(argument[1]);
        const items = Array.isArray(list) ? list : String(list).split(',');
        const selected: unknown = items[Number(this.value(argument[0]))];
        if (selected === undefined) throw new TemplateResolutionError('Template error: Fn::Select cannot select nonexistent value at index');
        return selected;
      }
      return this.value(value);
    }
    const result: Record<string, unknown> = {};
    for (const key of keys) {
      const resolved = this.resolveDeep(value[key]);
      if (resolved !== NO_VALUE && resolved !== undefined) result[key] = resolved;
    }
    return result;
  }

  private truth(value: CfnValue): boolean {
    if (typeof value === 'boolean') return value;
    if (value === 'true' || value === 'false') return value === 'true';
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new TemplateResolutionError('not a condition');
    const [fn] = Object.keys(value);
    const args = value[fn ?? ''];
    const list = Array.isArray(args) ? args : [args ?? null];
    switch (fn) {
      case 'Fn::Equals':
        return JSON.stringify(this.value(list[0])) === JSON.stringify(this.value(list[1]));
      case 'Fn::Not':
        return !this.truth(list[0] ?? null);
      case 'Fn::And':
        return list.every((element) => this.truth(element));
      case 'Fn::Or':
        return list.some((element) => this.truth(element));
      case 'Condition':
        return this.condition(String(args));
      default:
        throw new TemplateResolutionError(String(fn));
    }
  }

  private ref(name: string): Resolved {
    switch (name) {
      case 'AWS::AccountId':
        return this.stack.account;
      case 'AWS::Region':
        return this.stack.region;
      case 'AWS::StackName':
        return this.stack.stackName;
      case 'AWS::StackId':
        return this.stack.stackId;
      case 'AWS::Partition':
        return 'aws';
      case 'AWS::URLSuffix':
        return 'amazonaws.com';
      case 'AWS::NoValue':
        return undefined;
      case 'AWS::NotificationARNs':
        return [];
    }
    const parameter = this.template.Parameters?.[name];
    if (parameter) {
      const value = this.stack.parameters[name] ?? '';
      return isListParameterType(parameter.Type) ? value.split(',').map((element) => element.trim()) : value;
    }
    return this.physicalId(name);
  }

  /** The ARN of a resource whose Ref is its id or name. */
  private arnOf(logicalId: string, id: string): string {
    const resource = this.template.Resources[logicalId];
    const type = resource?.Type ?? '';
    if (REF_IS_ARN.has(type) || id.startsWith('arn:')) return id;
    const { region, account } = this.stack;
    switch (type) {
      case 'AWS::IAM::Role':
        return this.iamArn('role', resource?.Properties?.['Path'], id);
      case 'AWS::IAM::InstanceProfile':
        return this.iamArn('instance-profile', resource?.Properties?.['Path'], id);
      case 'AWS::IAM::User':
        return this.iamArn('user', resource?.Properties?.['Path'], id);
      case 'AWS::RDS::DBInstance':
        return `arn:aws:rds:${region}:${account}:db:${id}`;
      case 'AWS::RDS::DBSubnetGroup':
        return `arn:aws:rds:${region}:${account}:subgrp:${id}`;
      case 'AWS::ECS::Cluster':
        return `arn:aws:ecs:${region}:${account}:cluster/${id}`;
      case 'AWS::ECS::CapacityProvider':
        return `arn:aws:ecs:${region}:${account}:capacity-provider/${id}`;
      case 'AWS::ServiceDiscovery::Service':
        return `arn:aws:servicediscovery:${region}:${account}:service/${id}`;
      case 'AWS::ServiceDiscovery::PrivateDnsNamespace':
      case 'AWS::ServiceDiscovery::PublicDnsNamespace':
        return `arn:aws:servicediscovery:${region}:${account}:namespace/${id}`;
      case 'AWS::Lambda::Function':
        return `arn:aws:lambda:${region}:${account}:function:${id}`;
      case 'AWS::Logs::LogGroup':
        return `arn:aws:logs:${region}:${account}:log-group:${id}:*`;
      case 'AWS::SQS::Queue':
        return `arn:aws:sqs:${region}:${account}:${id.split('/').at(-1) ?? id}`;
      case 'AWS::DynamoDB::Table':
        return `arn:aws:dynamodb:${region}:${account}:table/${id}`;
      case 'AWS::S3::Bucket':
        return `arn:aws:s3:::${id}`;
      case 'AWS::KMS::Key':
        return `arn:aws:kms:${region}:${account}:key/${id}`;
      case 'AWS::Events::Rule':
        return `arn:aws:events:${region}:${account}:rule/${id}`;
      case 'AWS::Events::EventBus':
        return `arn:aws:events:${region}:${account}:event-bus/${id}`;
      case 'AWS::AutoScaling::AutoScalingGroup':
        return `arn:aws:autoscaling:${region}:${account}:autoScalingGroup:${this.uuidFrom(`${logicalId}#asg`)}:autoScalingGroupName/${id}`;
    }
    return this.arn(type, id);
  }

  private iamArn(kind: string, path: CfnValue | undefined, name: string): string {
    const resolvedPath = path === undefined ? '/' : String(this.value(path) ?? '/');
    return `arn:aws:iam::${this.stack.account}:${kind}${resolvedPath.startsWith('/') ? resolvedPath : `/${resolvedPath}`}${name}`;
  }

  /** When a value is beyond this evaluator: something shaped by the output's name. */
  private fromOutputKey(key: string): string {
    if (key.includes('VpcId')) return `vpc-0${this.hex(key, 16)}`;
    if (key.includes('Subnet')) return `subnet-0${this.hex(key, 16)}`;
    if (key.includes('SecurityGroup')) return `sg-0${this.hex(key, 16)}`;
    if (key.endsWith('Arn')) return `arn:aws:cloudformation:${this.stack.region}:${this.stack.account}:${key}/${this.stack.stackName}`;
    return `${this.stack.stackName}-${key}`;
  }

  private arn(type: string, id: string): string {
    const [, service = '', thing = ''] = type.split('::');
    const { region, account } = this.stack;
    const resource = thing.replace(/([a-z])([A-Z])/g, '$1-$2').toLowerCase();
    // A managed policy's ARN is …:policy/<name>, as Ref returns it.
    if (type === 'AWS::IAM::ManagedPolicy') return `arn:aws:iam::${account}:policy/${id}`;
    if (service === 'IAM') return `arn:aws:iam::${account}:${resource}/${id}`;
    if (service === 'SNS') return `arn:aws:sns:${region}:${account}:${id}`;
    if (service === 'SecretsManager') return `arn:aws:secretsmanager:${region}:${account}:secret:${id}-${this.alnum(id, 6)}`;
    if (type === 'AWS::ElasticLoadBalancingV2::LoadBalancer') return `arn:aws:elasticloadbalancing:${region}:${account}:loadbalancer/${id}`;
    if (type === 'AWS::ElasticLoadBalancingV2::TargetGroup') return `arn:aws:elasticloadbalancing:${region}:${account}:targetgroup/${id}`;
    if (type === 'AWS::ElasticLoadBalancingV2::Listener') return `arn:aws:elasticloadbalancing:${region}:${account}:listener/${id}`;
    if (type === 'AWS::ECS::TaskDefinition') return `arn:aws:ecs:${region}:${account}:task-definition/${id}:1`;
    if (type === 'AWS::ECS::Service') return `arn:aws:ecs:${region}:${account}:service/${this.stack.stackName}/${id}`;
    return `arn:aws:${ARN_SERVICES[service] ?? service.toLowerCase()}:${region}:${account}:${resource}/${id}`;
  }

  /** The resource's own name property, or how CloudFormation names what the template leaves unnamed. */
  private name(logicalId: string): string {
    const resource = this.template.Resources[logicalId];
    const type = resource?.Type ?? '';
    const thing = type.split('::')[2] ?? '';
    const identifier = refIdentifier(type);
    const named = resource?.Properties?.[NAME_PROPERTIES[type] ?? `${thing}Name`] ?? (identifier === undefined ? undefined : resource?.Properties?.[identifier]);
    if (named !== undefined) {
      try {
        const value = this.value(named);
        if (typeof value === 'string' && value !== '') return value;
      } catch (error) {
        if (!(error instanceof TemplateResolutionError)) throw error;
      }
    }
    const name = this.generatedName(logicalId, NAME_LIMITS[type]);
    return LOWERCASE_NAMES.has(type) ? name.toLowerCase() : name;
  }

  /** `<stack>-<LogicalId>-<13 random>`, both names shortened when the service caps the length. */
  private generatedName(logicalId: string, limit?: number): string {
    const suffix = this.alnum(logicalId, 13);
    const full = `${this.stack.stackName}-${logicalId}-${suffix}`;
    if (limit === undefined || full.length <= limit) return full;
    const room = Math.max(2, limit - suffix.length - 2);
    const stackPart = this.stack.stackName.slice(0, Math.ceil(room / 2));
    const logicalPart = logicalId.slice(0, room - stackPart.length);
    return `${stackPart}-${logicalPart}-${suffix}`.slice(0, limit);
  }

  private publicIp(seed: string): string {
    return `203.0.113.${(Number.parseInt(this.hex(seed, 2), 16) % 254) + 1}`;
  }

  private uuidFrom(seed: string): string {
    const hex = this.hex(seed, 32);
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
  }

  private hex(seed: string, length: number): string {
    return sha256(`${this.stack.stackId}:${seed}`).slice(0, length);
  }

  private digits(seed: string, length: number): string {
    return BigInt(`0x${this.hex(seed, 24)}`).toString().slice(0, length);
  }

  private alnum(seed: string, length: number): string {
    return BigInt(`0x${this.hex(seed, 32)}`).toString(36).toUpperCase().slice(0, length);
  }

  /** `length` characters of `alphabet`, from the stack id and `seed`. */
  private chars(seed: string, length: number, alphabet: Alphabet): string {
    const letters = ALPHABETS[alphabet];
    const digest = Buffer.from(`${sha256(`${this.stack.stackId}:${seed}`)}${sha256(`${this.stack.stackId}:${seed}#2`)}`, 'hex');
    return Array.from({ length }, (_, index) => letters[(digest[index % digest.length] ?? 0) % letters.length]).join('');
  }
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
