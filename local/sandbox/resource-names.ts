/**
 * Where AWS holds a resource's name unique, so that the sandbox refuses a second resource of the
 * same name exactly where AWS would (`Resource of type … with identifier … already exists.`) and
 * nowhere else. Most names are unique per account and region; IAM names per account (IAM is
 * global), case aside; S3 bucket names across every account; and some names only within their
 * parent: a stage within its API, a Cloud Map service within its namespace, an ECS service within
 * its cluster, a rule within its event bus, a security group within its VPC.
 *
 * A name the template leaves out is generated from the stack id, so it never clashes: the claim
 * is then the physical id, as before.
 */

/** What a live resource holds: no other resource may hold the same name in the same scope. */
export interface NameClaim {
  /** Where the name must be unique, type included (`AWS::ApiGatewayV2::Stage 111…/us-east-1/ApiId=abc`). */
  scope: string;
  /** The name as AWS compares it (lower case where AWS ignores case). */
  key: string;
  /** The name as given, for the error message. */
  name: string;
  /** Whether other accounts' resources can hold it (S3 bucket names). */
  everyAccount: boolean;
}

type Scope =
  /** Unique in every account of the partition. */
  | { kind: 'partition' }
  /** Unique in the account, in every region. */
  | { kind: 'account' }
  /** Unique in the account and region (the default). */
  | { kind: 'region' }
  /** Unique among the children of one parent (named by a property), in the account and region. */
  | { kind: 'parent'; property: string; absent?: string };

interface NameRule {
  scope: Scope;
  /** The property that holds the name, where the physical id is not the name (a list: the first given). */
  property?: string | readonly string[];
  ignoreCase?: boolean;
}

const IAM: NameRule = { scope: { kind: 'account' }, ignoreCase: true };

/** Types whose names are not unique per account and region; `null`: names AWS never refuses. */
const RULES: Readonly<Record<string, NameRule | null>> = {
  'AWS::S3::Bucket': { scope: { kind: 'partition' } },
  'AWS::IAM::Role': IAM,
  'AWS::IAM::InstanceProfile': IAM,
  'AWS::IAM::User': IAM,
  'AWS::IAM::Group': IAM,
  'AWS::IAM::ManagedPolicy': { ...IAM, property: 'ManagedPolicyName' },
  // An inline policy's name is unique per role, user or group it is attached to; several of each.
  'AWS::IAM::Policy': null,
  // A task definition of an existing family is its next revision.
  'AWS::ECS::TaskDefinition': null,
  'AWS::ApiGatewayV2::Stage': { scope: { kind: 'parent', property: 'ApiId' } },
  'AWS::ApiGateway::Stage': { scope: { kind: 'parent', property: 'RestApiId' } },
  'AWS::ServiceDiscovery::Service': { scope: { kind: 'parent', property: 'NamespaceId' }, property: 'Name' },
  'AWS::ECS::Service': { scope: { kind: 'parent', property: 'Cluster', absent: 'default' }, property: 'ServiceName' },
  'AWS::Events::Rule': { scope: { kind: 'parent', property: 'EventBusName', absent: 'default' }, property: 'Name' },
  'AWS::EC2::SecurityGroup': { scope: { kind: 'parent', property: 'VpcId' }, property: 'GroupName' },
  // A route is identified by its destination within its route table (EC2 CreateRoute refuses a second
  // with RouteAlreadyExists, "The route identified by 0.0.0.0/0 already exists"); its physical id is the
  // table's, which an IPv4 and an IPv6 default route share.
  'AWS::EC2::Route': { scope: { kind: 'parent', property: 'RouteTableId' }, property: ['DestinationCidrBlock', 'DestinationIpv6CidrBlock', 'DestinationPrefixListId'] },
  // Physical ids that are ARNs or generated ids, while the name is unique per account and region.
  'AWS::ElasticLoadBalancingV2::LoadBalancer': { scope: { kind: 'region' }, property: 'Name' },
  'AWS::ElasticLoadBalancingV2::TargetGroup': { scope: { kind: 'region' }, property: 'Name' },
  'AWS::SecretsManager::Secret': { scope: { kind: 'region' }, property: 'Name' },
  'AWS::EC2::LaunchTemplate': { scope: { kind: 'region' }, property: 'LaunchTemplateName' },
};
const REGIONAL: NameRule = { scope: { kind: 'region' } };

/** The name a resource of that type holds once created, and where; undefined: none. */
export function nameClaim(
  resource: { type: string; physicalId: string; properties: Record<string, unknown> },
  where: { account: string; region: string },
): NameClaim | undefined {
  const listed = RULES[resource.type];
  if (listed === null) return undefined;
  const rule = listed ?? REGIONAL;
  const given = [rule.property ?? []].flat().map((property) => resource.properties[property]).find((value) => value !== undefined);
  const name = typeof given === 'string' && given !== '' ? given : resource.physicalId;
  return {
    scope: `${resource.type} ${scopeOf(rule.scope, resource.properties, where)}`,
    key: rule.ignoreCase ? name.toLowerCase() : name,
    name,
    everyAccount: rule.scope.kind === 'partition',
  };
}

function scopeOf(scope: Scope, properties: Record<string, unknown>, where: { account: string; region: string }): string {
  switch (scope.kind) {
    case 'partition':
      return 'aws';
    case 'account':
      return where.account;
    case 'region':
      return `${where.account}/${where.region}`;
    case 'parent': {
      const value = properties[scope.property];
      const parent = typeof value === 'string' && value !== '' ? value : (scope.absent ?? '');
      // A parent named by ARN is the same parent as by name (a cluster, an event bus).
      const id = parent.startsWith('arn:') ? parent.slice(parent.lastIndexOf('/') + 1) : parent;
      return `${where.account}/${where.region}/${scope.property}=${id}`;
    }
  }
}
