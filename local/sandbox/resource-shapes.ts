import { lookupResourceType, unsupportedAttributeMessage } from '../../src/cfn/validate-template';
import { amazonIpv6Pool } from './data/ipv6-pools';
import { TemplateResolutionError } from './errors';

/**
 * The shapes of what CloudFormation returns for Ref and Fn::GetAtt where the template evaluator
 * does not answer from the resource itself: hostnames, ids, ports and names as the services make
 * them (documented formats cited beside each), derived from the stack and logical id so that the
 * same stack always answers the same. Which attributes a type has comes from the CloudFormation
 * resource specification (@aws-cdk/aws-service-spec, the same the template checks use); an
 * attribute the type lacks is CloudFormation's template error, and one it has but no rule here
 * shapes is refused loudly rather than made up.
 */

/** What a shape rule knows of the resource and the stack. */
export interface ShapeContext {
  type: string;
  logicalId: string;
  /** The resource's physical id (what Ref returns). */
  id: string;
  region: string;
  account: string;
  /** A property of the resource, resolved to text ('' when absent). */
  property(name: string): string;
  /** Deterministic characters from the stack, the logical id and `purpose`. */
  chars(purpose: string, length: number, alphabet: Alphabet): string;
  /** How many resources of the same type come before this one in the template with the same value of `property`. */
  earlierWithSame(property: string): number;
  /** Another resource of the template: its type and resolved property, when the value names one. */
  referenced(value: string): { type: string; property(name: string): string } | undefined;
}

export const ALPHABETS = {
  hex: '0123456789abcdef',
  lower: 'abcdefghijklmnopqrstuvwxyz0123456789',
  upper: 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789',
  digits: '0123456789',
  /** A secret access key's characters (base64). */
  secret: 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/+',
  /** An access key id's characters after its `AKIA` prefix (base32). */
  accessKey: 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567',
} as const;
export type Alphabet = keyof typeof ALPHABETS;

/** The attributes the specification gives the type; undefined for a type it does not know. */
function specAttributes(type: string): Record<string, { type?: { type: string } }> | undefined {
  return lookupResourceType(type)?.attributes;
}

/** Throws CloudFormation's template error when the type has no such attribute. */
export function assertAttributeExists(type: string, logicalId: string, attribute: string): void {
  const attributes = specAttributes(type);
  if (attributes !== undefined && !(attribute in attributes)) throw new TemplateResolutionError(unsupportedAttributeMessage(logicalId, attribute));
}

/**
 * The property whose value Ref returns (the specification's cfnRefIdentifier, else the first of the
 * primaryIdentifier), e.g. `FunctionArn` for AWS::Lambda::Version, `Name` for AWS::Route53::RecordSet.
 */
export function refIdentifier(type: string): string | undefined {
  const spec = lookupResourceType(type);
  return spec?.cfnRefIdentifier?.[0] ?? spec?.primaryIdentifier?.[0];
}

/**
 * Ref of a type whose physical id is not a name: the id pattern of the service, the record name,
 * the version ARN. Undefined: the evaluator's own rules (names, EC2 ids, ARNs) apply.
 */
export function refShape(context: ShapeContext): string | undefined {
  const { type, chars } = context;
  switch (type) {
    // "E2QWRUHAPOMQZL" (GetDistribution, CloudFront API Reference).
    case 'AWS::CloudFront::Distribution':
      return `E${chars('distribution', 13, 'upper')}`;
    // "Z1D633PJN98FT9" (CreateHostedZone, Route 53 API Reference); newer zones have 21 characters.
    case 'AWS::Route53::HostedZone':
      return `Z${chars('zone', 20, 'upper')}`;
    // Ref returns the record's name (AWS::Route53::RecordSet, "Return values").
    case 'AWS::Route53::RecordSet':
      return context.property('Name');
    // Ref returns the version's ARN, `…:function:<name>:<version>` (AWS::Lambda::Version, "Return values");
    // Lambda numbers a function's published versions 1, 2, … (taken here in template order).
    case 'AWS::Lambda::Version':
      return `${functionArn(context, context.property('FunctionName'))}:${context.earlierWithSame('FunctionName') + 1}`;
    // Access key ids: AKIA and 16 characters (IAM User Guide, "Unique identifiers").
    case 'AWS::IAM::AccessKey':
      return `AKIA${chars('accessKey', 16, 'accessKey')}`;
    case 'AWS::EC2::VPCCidrBlock':
      return `vpc-cidr-assoc-0${chars('association', 16, 'hex')}`;
    default:
      return undefined;
  }
}

function functionArn(context: ShapeContext, name: string): string {
  if (name.startsWith('arn:')) return name.split(':').slice(0, 7).join(':');
  return `arn:aws:lambda:${context.region}:${context.account}:function:${name}`;
}

/**
 * Ports the services default to (RDS CreateDBInstance/CreateDBCluster "Port", ElastiCache
 * CreateCacheCluster "Port", DocumentDB and Neptune "Port"): by the engine's name, in any case
 * (`MySQL` is a MySQL instance).
 */
export function enginePort(engine: string): string | undefined {
  const name = engine.toLowerCase();
  if (name.startsWith('aurora-postgresql') || name.startsWith('postgres')) return '5432';
  if (name.startsWith('aurora') || name.startsWith('mysql') || name.startsWith('mariadb')) return '3306';
  if (name.startsWith('sqlserver')) return '1433';
  if (name.startsWith('oracle')) return '1521';
  if (name.startsWith('db2')) return '50000';
  if (name === 'docdb') return '27017';
  if (name === 'neptune') return '8182';
  if (name === 'redis' || name === 'valkey') return '6379';
  if (name === 'memcached') return '11211';
  return undefined;
}

/** The short region code ElastiCache puts in its endpoints (`use1` for us-east-1). */
function cacheRegion(region: string): string {
  const [area = '', direction = '', number = ''] = region.split('-');
  return `${area}${direction.charAt(0)}${number}`;
}

/** Regions whose S3 website endpoint has a dash before the region (Amazon S3 User Guide, "Website endpoints"). */
const S3_WEBSITE_DASH_REGIONS = new Set(['us-east-1', 'us-west-1', 'us-west-2', 'eu-west-1', 'ap-southeast-1', 'ap-southeast-2', 'ap-northeast-1', 'sa-east-1']);

/**
 * Fn::GetAtt of an attribute the evaluator's own rules leave: its documented shape, or undefined
 * when no rule here knows it.
 */
export function attributeShape(context: ShapeContext, attribute: string): string | string[] | undefined {
  const { type, id, region, chars } = context;
  const cache = cacheRegion(region);
  const port = (): string | undefined => context.property('Port') || enginePort(engineOf(context));
  switch (`${type}.${attribute}`) {
    // Amazon S3 User Guide, "Virtual-hosted-style requests" and "Website endpoints".
    case 'AWS::S3::Bucket.DomainName':
      return `${id}.s3.amazonaws.com`;
    case 'AWS::S3::Bucket.RegionalDomainName':
      return `${id}.s3.${region}.amazonaws.com`;
    case 'AWS::S3::Bucket.DualStackDomainName':
      return `${id}.s3.dualstack.${region}.amazonaws.com`;
    case 'AWS::S3::Bucket.WebsiteURL':
      return `http://${id}.s3-website${S3_WEBSITE_DASH_REGIONS.has(region) ? '-' : '.'}${region}.amazonaws.com`;
    case 'AWS::CloudFront::Distribution.DomainName':
      return `d${chars('distribution-domain', 13, 'lower')}.cloudfront.net`;
    case 'AWS::SNS::Topic.TopicName':
      return id.split(':').at(-1) ?? id;
    case 'AWS::SQS::Queue.QueueName':
      return id.split('/').at(-1) ?? id;
    case 'AWS::SQS::Queue.QueueUrl':
      return id;
    // RDS: `<id>.<12 chars>.<region>.rds.amazonaws.com`; a cluster's writer `<id>.cluster-…`, its reader `<id>.cluster-ro-…`.
    case 'AWS::RDS::DBCluster.Endpoint.Address':
      return `${id}.cluster-${chars('rds-host', 12, 'lower')}.${region}.rds.amazonaws.com`;
    case 'AWS::RDS::DBCluster.ReadEndpoint.Address':
      return `${id}.cluster-ro-${chars('rds-host', 12, 'lower')}.${region}.rds.amazonaws.com`;
    case 'AWS::RDS::DBCluster.Endpoint.Port':
    case 'AWS::RDS::DBInstance.Endpoint.Port':
      return port() ?? '5432';
    case 'AWS::RDS::DBCluster.DBClusterResourceId':
      return `cluster-${chars('resource-id', 26, 'upper')}`;
    case 'AWS::RDS::DBInstance.DbiResourceId':
      return `db-${chars('resource-id', 26, 'upper')}`;
    // Amazon DocumentDB Developer Guide, "Amazon DocumentDB endpoints".
    case 'AWS::DocDB::DBCluster.Endpoint':
      return `${id}.cluster-${chars('docdb-host', 12, 'lower')}.${region}.docdb.amazonaws.com`;
    case 'AWS::DocDB::DBCluster.ReadEndpoint':
      return `${id}.cluster-ro-${chars('docdb-host', 12, 'lower')}.${region}.docdb.amazonaws.com`;
    case 'AWS::DocDB::DBCluster.ClusterResourceId':
      return `cluster-${chars('resource-id', 26, 'upper')}`;
    case 'AWS::DocDB::DBCluster.Port':
    case 'AWS::DocDB::DBInstance.Port':
      return context.property('Port') || '27017';
    case 'AWS::DocDB::DBInstance.Endpoint':
      return `${id}.${chars('docdb-host', 12, 'lower')}.${region}.docdb.amazonaws.com`;
    case 'AWS::Neptune::DBCluster.Endpoint':
      return `${id}.cluster-${chars('neptune-host', 12, 'lower')}.${region}.neptune.amazonaws.com`;
    case 'AWS::Neptune::DBCluster.ReadEndpoint':
      return `${id}.cluster-ro-${chars('neptune-host', 12, 'lower')}.${region}.neptune.amazonaws.com`;
    case 'AWS::Neptune::DBCluster.Port':
      return context.property('DBPort') || '8182';
    case 'AWS::Neptune::DBCluster.ClusterResourceId':
      return `cluster-${chars('resource-id', 26, 'upper')}`;
    // ElastiCache User Guide, "Finding connection endpoints": `<id>.<6 chars>.ng.0001.use1.cache.amazonaws.com`.
    case 'AWS::ElastiCache::ReplicationGroup.PrimaryEndPoint.Address':
      return `master.${id}.${chars('cache-host', 6, 'lower')}.${cache}.cache.amazonaws.com`;
    case 'AWS::ElastiCache::ReplicationGroup.ReaderEndPoint.Address':
      return `replica.${id}.${chars('cache-host', 6, 'lower')}.${cache}.cache.amazonaws.com`;
    case 'AWS::ElastiCache::ReplicationGroup.ConfigurationEndPoint.Address':
      return `clustercfg.${id}.${chars('cache-host', 6, 'lower')}.${cache}.cache.amazonaws.com`;
    case 'AWS::ElastiCache::ReplicationGroup.ReadEndPoint.Addresses':
    case 'AWS::ElastiCache::ReplicationGroup.ReadEndPoint.AddressesList': {
      const addresses = [1, 2].map((node) => `${id}-00${node}.${id}.${chars('cache-host', 6, 'lower')}.${cache}.cache.amazonaws.com`);
      return attribute.endsWith('List') ? addresses : addresses.join(',');
    }
    case 'AWS::ElastiCache::ReplicationGroup.PrimaryEndPoint.Port':
    case 'AWS::ElastiCache::ReplicationGroup.ReaderEndPoint.Port':
    case 'AWS::ElastiCache::ReplicationGroup.ConfigurationEndPoint.Port':
    case 'AWS::ElastiCache::CacheCluster.RedisEndpoint.Port':
    case 'AWS::ElastiCache::CacheCluster.ConfigurationEndpoint.Port':
      return context.property('Port') || enginePort(context.property('Engine') || 'redis') || '6379';
    case 'AWS::ElastiCache::ReplicationGroup.ReadEndPoint.Ports':
    case 'AWS::ElastiCache::ReplicationGroup.ReadEndPoint.PortsList': {
      const ports = [1, 2].map(() => context.property('Port') || enginePort(context.property('Engine') || 'redis') || '6379');
      return attribute.endsWith('List') ? ports : ports.join(',');
    }
    case 'AWS::ElastiCache::CacheCluster.RedisEndpoint.Address':
      return `${id}.${chars('cache-host', 6, 'lower')}.0001.${cache}.cache.amazonaws.com`;
    case 'AWS::ElastiCache::CacheCluster.ConfigurationEndpoint.Address':
      return `${id}.${chars('cache-host', 6, 'lower')}.cfg.${cache}.cache.amazonaws.com`;
    // OpenSearch Service Developer Guide: `search-<domain>-<26 chars>.<region>.es.amazonaws.com`.
    case 'AWS::Elasticsearch::Domain.DomainEndpoint':
    case 'AWS::OpenSearchService::Domain.DomainEndpoint':
      return `search-${id}-${chars('domain', 26, 'lower')}.${region}.es.amazonaws.com`;
    // AWS Config: "config-rule-" and 6 characters; a new rule has no evaluation yet.
    case 'AWS::Config::ConfigRule.ConfigRuleId':
      return `config-rule-${chars('rule', 6, 'lower')}`;
    case 'AWS::Config::ConfigRule.Compliance.Type':
      return 'INSUFFICIENT_DATA';
    case 'AWS::IAM::AccessKey.SecretAccessKey':
      return chars('secret', 40, 'secret');
    case 'AWS::Lambda::Version.Version':
      return context.id.split(':').at(-1) ?? '1';
    case 'AWS::Lambda::Version.FunctionArn':
      return id;
    case 'AWS::Route53::HostedZone.NameServers':
      // Four name servers, one per top-level domain (Route 53 Developer Guide, "NS and SOA records").
      return ['com', 'net', 'org', 'co.uk'].map((tld, index) => `ns-${Number.parseInt(chars(`ns${index}`, 3, 'digits'), 10) + 1}.awsdns-${chars(`awsdns${index}`, 2, 'digits')}.${tld}`);
    case 'AWS::EC2::VPCCidrBlock.Id':
      return id;
    default:
      return undefined;
  }
}

/** The engine of a database resource: its own, else its cluster's (a cluster member names the cluster). */
function engineOf(context: ShapeContext): string {
  const own = context.property('Engine');
  if (own !== '') return own;
  return context.referenced(context.property('DBClusterIdentifier'))?.property('Engine') ?? '';
}

/**
 * An address inside `cidr`, past the four addresses AWS reserves at the start of each subnet
 * (Amazon VPC User Guide, "Subnet CIDR blocks"), picked by `seed` (a number); undefined for a
 * block that is not IPv4.
 */
export function addressInBlock(cidr: string, seed: number): string | undefined {
  const match = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(cidr);
  if (match === null) return undefined;
  const octets = match.slice(1, 5).map(Number);
  const prefix = Number(match[5]);
  const size = 2 ** (32 - prefix);
  if (size < 16) return undefined;
  const base = (((octets[0] ?? 0) * 256 + (octets[1] ?? 0)) * 256 + (octets[2] ?? 0)) * 256 + (octets[3] ?? 0);
  const first = base - (base % size);
  // The last address is the broadcast address, also reserved.
  const address = first + 4 + (seed % (size - 5));
  return [24, 16, 8, 0].map((shift) => Math.floor(address / 2 ** shift) % 256).join('.');
}

/** The /56 Amazon gives a VPC from the region's pool (data/ipv6-pools.ts), chosen by `seed`. */
export function amazonIpv6Block(region: string, seed: bigint): string {
  const pool = amazonIpv6Pool(region);
  const [address = '', prefix = '0'] = pool.split('/');
  const blocks = 1n << BigInt(56 - Number(prefix));
  const groups = expandIpv6(address);
  const start = groups.reduce((value, group) => (value << 16n) + BigInt(Number.parseInt(group, 16)), 0n);
  const chosen = start + (seed % blocks) * (1n << 72n);
  const hex = chosen.toString(16).padStart(32, '0');
  const parts = [0, 1, 2, 3].map((index) => Number.parseInt(hex.slice(index * 4, index * 4 + 4), 16).toString(16));
  return `${parts.join(':')}::/56`;
}

function expandIpv6(address: string): string[] {
  const [head = '', tail = ''] = address.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === '' ? [] : tail.split(':');
  return [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
}

/** A resolved property value as text, for shapes: lists joined as CloudFormation joins them. */
export function asText(value: string | string[] | undefined): string {
  return Array.isArray(value) ? value.join(',') : (value ?? '');
}
