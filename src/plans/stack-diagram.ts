import type { NetworkPlan, SubnetTier } from '../model/network-plan';
import { wantsEndpoints, type StackRequest } from '../model/stack-request';
import { INTERFACE_ENDPOINT_SERVICES } from '../templates/endpoints';
import { NAT_INSTANCE_TYPE, natAzIndexes } from '../templates/nat';

/**
 * A Mermaid `flowchart` of one stack, for `POST /v1/plans`: the internet, the VPC and its subnets per
 * AZ, the NAT, the frontend, the cluster, the database, the bastion, and the flows between them with
 * their ports.
 *
 * Node ids are fixed words chosen here (never built from request values), so they are always safe
 * Mermaid identifiers: none is a keyword such as `end`, and none starts with `o` or `x`, which
 * Mermaid would read as an edge ending (`--o`, `--x`). Every label is quoted and escaped.
 *
 * Resources in one subnet of one AZ (a NAT, the bastion) sit inside that AZ; those spread over every
 * AZ (ALB, cluster, database, endpoints) sit in the VPC and say which tier they use. API Gateway is a
 * regional service outside the VPC, reaching in through its VPC Link.
 */
export function renderStackDiagram(request: StackRequest, network: NetworkPlan): string {
  const lines: string[] = ['flowchart TB'];
  const add = (depth: number, line: string) => lines.push(`${'  '.repeat(depth)}${line}`);
  const node = (depth: number, id: string, label: string, shape: Shape = 'box') => add(depth, `${id}${SHAPES[shape](quote(label))}`);
  const edge = (from: string, label: string, to: string, style: '-->' | '-.->' = '-->') => add(1, `${from} ${style}|${quote(label)}| ${to}`);

  const { nat } = request.network;
  const { compute, database, bastion, frontend } = request;
  const azIds = Array.from({ length: network.azCount }, (_, index) => `az${index + 1}`);
  // The AZs the nat template puts a NAT in: the first only, or every one for gateway-per-az.
  const natAzs = new Set(natAzIndexes(nat, network.azCount));
  const natId = (azIndex: number) => (nat === 'gateway-per-az' ? `nat_az${azIndex + 1}` : 'nat');
  const natIds = [...natAzs].map(natId);
  const frontendId = compute === null ? undefined : frontend.type === 'alb' ? 'alb' : frontend.type === 'apigateway' ? 'vpclink' : undefined;
  const endpoints = wantsEndpoints(request);

  // Outside the VPC
  node(1, 'internet', 'Internet', 'circle');
  if (bastion.enabled) node(1, 'admins', `Operators ${bastion.allowedCidr ?? ''}`.trim(), 'stadium');
  if (frontendId === 'vpclink') node(1, 'apigw', 'API Gateway HTTP API', 'box');

  add(1, `subgraph vpc[${quote(`VPC ${network.vpcCidr}`)}]`);
  add(2, 'direction TB');
  for (const [index, az] of azIds.entries()) {
    const zone = network.availabilityZones?.[index];
    add(2, `subgraph ${az}[${quote(zone ? `AZ ${index + 1}: ${zone.name} (${zone.zoneId})` : `AZ ${index + 1} of ${request.region}`)}]`);
    add(3, 'direction TB');
    for (const subnet of network.subnets.filter((candidate) => candidate.azIndex === index)) {
      node(3, `${az}_${subnet.tier}`, `${subnet.tier} subnet ${subnet.cidr}`);
    }
    if (natAzs.has(index)) {
      node(3, natId(index), nat === 'instance' ? `NAT instance ${NAT_INSTANCE_TYPE} (auto-scaling group) — public subnet` : 'NAT gateway — public subnet');
    }
    // The bastion template uses the first public subnet.
    if (index === 0 && bastion.enabled) node(3, 'bastion', 'Bastion host — public subnet');
    add(2, 'end');
  }
  if (frontendId === 'alb') node(2, 'alb', `Application Load Balancer${frontend.certificateArn ? ' (HTTPS)' : ''} — public subnets`);
  if (frontendId === 'vpclink') node(2, 'vpclink', 'VPC Link + Cloud Map — private subnets');
  if (compute !== null) {
    node(2, 'ecs', `ECS cluster on EC2: ${compute.instanceType} × ${compute.min}–${compute.max} — private subnets`);
  }
  if (database !== null) {
    node(2, 'db', `RDS PostgreSQL ${database.version} ${database.instanceClass}${database.multiAz ? ' Multi-AZ' : ''} — isolated subnets`, 'cylinder');
  }
  if (endpoints) {
    node(2, 'endpoints', `Interface endpoints: ${INTERFACE_ENDPOINT_SERVICES.map(({ service }) => service).join(', ')} — private subnets`);
  }
  if (compute !== null) node(2, 's3gw', 'S3 gateway endpoint');
  add(1, 'end');

  // Flows in: only to the frontend, and to the bastion from the operators' block.
  if (frontendId === 'alb') edge('internet', frontend.certificateArn ? ':80/:443' : ':80', 'alb');
  if (frontendId === 'vpclink') {
    edge('internet', ':443', 'apigw');
    edge('apigw', 'private integration', 'vpclink');
  }
  if (frontendId !== undefined && compute !== null) edge(frontendId, `:${compute.containerPort}`, 'ecs');
  if (bastion.enabled) edge('admins', ':22', 'bastion');

  // Flows to the database: the app and the bastion, on 5432 only.
  if (database !== null && compute !== null) edge('ecs', ':5432', 'db');
  if (database !== null && bastion.enabled) edge('bastion', ':5432', 'db');

  // Flows out: through the NAT when there is one; AWS services through endpoints otherwise.
  if (compute !== null) {
    for (const id of natIds) edge('ecs', 'egress', id);
    if (endpoints) edge('ecs', ':443 AWS APIs', 'endpoints');
    edge('ecs', 'S3 (image layers)', 's3gw', '-.->');
  }
  for (const id of natIds) edge(id, 'egress', 'internet');

  // Tiers coloured alike in every AZ.
  for (const [tier, style] of Object.entries(TIER_STYLES)) {
    add(1, `classDef ${tier} ${style}`);
    add(1, `class ${azIds.map((az) => `${az}_${tier}`).join(',')} ${tier}`);
  }
  return `${lines.join('\n')}\n`;
}

type Shape = 'box' | 'circle' | 'stadium' | 'cylinder';

const SHAPES: Record<Shape, (label: string) => string> = {
  box: (label) => `[${label}]`,
  circle: (label) => `((${label}))`,
  stadium: (label) => `([${label}])`,
  cylinder: (label) => `[(${label})]`,
};

const TIER_STYLES: Record<SubnetTier, string> = {
  public: 'fill:#e3f2fd,stroke:#1565c0',
  private: 'fill:#e8f5e9,stroke:#2e7d32',
  isolated: 'fill:#fff3e0,stroke:#ef6c00',
};

/**
 * A quoted Mermaid label; quotes, pipes, backticks and line breaks would end or bend it, and `#`
 * first, since Mermaid reads `#…;` as an entity.
 */
function quote(label: string): string {
  const escaped = label
    .replace(/#/g, '#35;')
    .replace(/"/g, '#quot;')
    .replace(/\|/g, '#124;')
    .replace(/`/g, '#96;')
    .replace(/[\r\n]+/g, ' ');
  return `"${escaped}"`;
}
