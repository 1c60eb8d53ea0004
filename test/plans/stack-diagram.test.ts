import { planSubnets } from '../../src/network/plan-subnets';
import { renderStackDiagram } from '../../src/plans/stack-diagram';
import type { StackRequestInput } from '../../src/model/stack-request';
import { stackRequestSchema } from '../../src/model/stack-request';

const BASE = { name: 'shop', accountId: 'acc_abcdefghij0123456789' } as const;
const OPERATORS = '203.0.113.0/24';

/** What a diagram says, read back line by line; a line of no known form fails the test. */
interface ParsedDiagram {
  header: string;
  nodes: Map<string, string>;
  edges: string[];
  subgraphs: string[];
}

const ID = '[A-Za-z][A-Za-z0-9_]*';
const LABEL = '"([^"\\n]*)"';
const NODE = new RegExp(`^(${ID})(?:\\(\\(${LABEL}\\)\\)|\\(\\[${LABEL}\\]\\)|\\[\\(${LABEL}\\)\\]|\\[${LABEL}\\])$`);
const EDGE = new RegExp(`^(${ID}) (-->|-\\.->)\\|${LABEL}\\| (${ID})$`);
const SUBGRAPH = new RegExp(`^subgraph (${ID})\\[${LABEL}\\]$`);
const STYLING = new RegExp(`^(classDef ${ID} [a-z:#0-9,-]+|class ${ID}(,${ID})* ${ID}|direction (TB|LR))$`);

function parse(diagram: string): ParsedDiagram {
  const [header = '', ...body] = diagram.trimEnd().split('\n');
  const parsed: ParsedDiagram = { header, nodes: new Map(), edges: [], subgraphs: [] };
  let depth = 0;
  for (const raw of body) {
    const line = raw.trim();
    const node = NODE.exec(line);
    const edge = EDGE.exec(line);
    const subgraph = SUBGRAPH.exec(line);
    if (node?.[1] !== undefined) {
      parsed.nodes.set(node[1], node.slice(2).find((label) => label !== undefined) ?? '');
    } else if (edge) {
      parsed.edges.push(`${edge[1]} ${edge[2]} ${edge[4]} : ${edge[3]}`);
    } else if (subgraph?.[1] !== undefined) {
      parsed.subgraphs.push(subgraph[1]);
      depth++;
    } else if (line === 'end') {
      depth--;
      if (depth < 0) throw new Error(`'end' without a subgraph: ${diagram}`);
    } else if (!STYLING.test(line)) {
      throw new Error(`not a line of the expected Mermaid forms: ${JSON.stringify(line)}`);
    }
  }
  if (depth !== 0) throw new Error(`${depth} subgraph(s) left open`);
  return parsed;
}

function render(overrides: Partial<StackRequestInput>, vpcCidr = '10.0.0.0/16') {
  const request = stackRequestSchema.parse({ ...BASE, ...overrides });
  const network = planSubnets(vpcCidr, request.network.azCount);
  return { diagram: renderStackDiagram(request, network), network };
}

const subnetNodes = (azCount: number) =>
  Array.from({ length: azCount }, (_, i) => [`az${i + 1}_public`, `az${i + 1}_private`, `az${i + 1}_isolated`]).flat();

describe('renderStackDiagram', () => {
  it('draws the default stack: NAT instance, ALB, cluster, database over three AZs, and nothing else', () => {
    // Act
    const { diagram, network } = render({});
    const parsed = parse(diagram);

    // Assess
    expect(parsed.header).toBe('flowchart TB');
    expect(parsed.subgraphs).toEqual(['vpc', 'az1', 'az2', 'az3']);
    expect([...parsed.nodes.keys()].sort()).toEqual(['internet', 'nat', 'alb', 'ecs', 'db', 's3gw', ...subnetNodes(3)].sort());
    expect(parsed.edges.sort()).toEqual(
      [
        'internet --> alb : :80',
        'alb --> ecs : :8080',
        'ecs --> db : :5432',
        'ecs --> nat : egress',
        'nat --> internet : egress',
        'ecs -.-> s3gw : S3 (image layers)',
      ].sort(),
    );
    // Every subnet is drawn with its CIDR, and the VPC with its block.
    for (const subnet of network.subnets) {
      expect(parsed.nodes.get(`az${subnet.azIndex + 1}_${subnet.tier}`)).toBe(`${subnet.tier} subnet ${subnet.cidr}`);
    }
    expect(diagram).toContain('subgraph vpc["VPC 10.0.0.0/16"]');
    expect(parsed.nodes.get('nat')).toMatch(/NAT instance/);
  });

  it('with nat none: no NAT node and no way to the internet from the app, endpoints instead', () => {
    const parsed = parse(render({ network: { nat: 'none', azCount: 2 } }).diagram);

    expect([...parsed.nodes.keys()].filter((id) => id.startsWith('nat'))).toEqual([]);
    expect(parsed.edges.filter((edge) => edge.includes('--> internet'))).toEqual([]);
    expect(parsed.edges).toContain('ecs --> endpoints : :443 AWS APIs');
    expect(parsed.subgraphs).toEqual(['vpc', 'az1', 'az2']);
    expect([...parsed.nodes.keys()].sort()).toEqual(['internet', 'alb', 'ecs', 'db', 'endpoints', 's3gw', ...subnetNodes(2)].sort());
  });

  it('with a gateway per AZ: one NAT gateway inside each AZ, the app egressing through each', () => {
    const { diagram } = render({ network: { nat: 'gateway-per-az', azCount: 3 } });
    const parsed = parse(diagram);

    for (const az of ['az1', 'az2', 'az3']) {
      expect(parsed.nodes.get(`nat_${az}`)).toMatch(/NAT gateway/);
      expect(parsed.edges).toContain(`ecs --> nat_${az} : egress`);
      expect(parsed.edges).toContain(`nat_${az} --> internet : egress`);
      // Declared between its AZ's subgraph line and that subgraph's end.
      const block = diagram.slice(diagram.indexOf(`subgraph ${az}[`));
      expect(block.slice(0, block.indexOf('\n    end')).includes(`nat_${az}[`)).toBe(true);
    }
    expect(parsed.nodes.has('nat')).toBe(false);
  });

  it('draws the bastion only when enabled, reachable on :22 from the operators and reaching the database on :5432', () => {
    const without = parse(render({}).diagram);
    const withBastion = parse(render({ bastion: { enabled: true, allowedCidr: OPERATORS } }).diagram);

    expect(without.nodes.has('bastion')).toBe(false);
    expect(without.nodes.has('admins')).toBe(false);
    expect(without.edges.filter((edge) => edge.includes('bastion'))).toEqual([]);
    expect(withBastion.nodes.get('admins')).toBe(`Operators ${OPERATORS}`);
    expect(withBastion.edges.filter((edge) => edge.includes('bastion')).sort()).toEqual(
      ['admins --> bastion : :22', 'bastion --> db : :5432'].sort(),
    );
  });

  it('draws API Gateway with its VPC Link, not an ALB, when asked', () => {
    const parsed = parse(render({ frontend: { type: 'apigateway' }, compute: { containerPort: 3000 } }).diagram);

    expect(parsed.nodes.has('alb')).toBe(false);
    expect(parsed.nodes.get('apigw')).toBe('API Gateway HTTP API');
    expect(parsed.edges).toEqual(
      expect.arrayContaining(['internet --> apigw : :443', 'apigw --> vpclink : private integration', 'vpclink --> ecs : :3000']),
    );
    expect(parsed.edges.filter((edge) => edge.startsWith('internet -->'))).toEqual(['internet --> apigw : :443']);
  });

  it('labels an ALB with a certificate :80/:443', () => {
    const parsed = parse(
      render({ frontend: { type: 'alb', certificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/abc-123' } }).diagram,
    );

    expect(parsed.edges).toContain('internet --> alb : :80/:443');
  });

  it('without a cluster or a database: no app, no frontend, no flows to or from them', () => {
    const parsed = parse(render({ compute: null, frontend: { type: 'none' }, database: null, network: { nat: 'gateway', azCount: 2 } }).diagram);

    expect([...parsed.nodes.keys()].sort()).toEqual(['internet', 'nat', ...subnetNodes(2)].sort());
    expect(parsed.edges).toEqual(['nat --> internet : egress']);
  });

  it('keeps the only inbound flows from the internet to the frontend, for every option set', () => {
    for (const nat of ['instance', 'gateway', 'gateway-per-az', 'none'] as const) {
      for (const type of ['alb', 'apigateway'] as const) {
        for (const enabled of [false, true]) {
          const bastion = enabled ? { enabled, allowedCidr: OPERATORS } : { enabled };
          const parsed = parse(render({ network: { nat }, frontend: { type }, bastion }).diagram);

          const inbound = parsed.edges.filter((edge) => edge.startsWith('internet ') || edge.startsWith('admins '));
          expect(inbound).toEqual([type === 'alb' ? 'internet --> alb : :80' : 'internet --> apigw : :443', ...(enabled ? ['admins --> bastion : :22'] : [])]);
          const toDatabase = parsed.edges.filter((edge) => / db : /.test(edge)).sort();
          expect(toDatabase).toEqual(['ecs --> db : :5432', ...(enabled ? ['bastion --> db : :5432'] : [])].sort());
          // Every edge joins declared nodes.
          for (const edge of parsed.edges) {
            const [from = '', , to = ''] = edge.split(' ');
            expect(parsed.nodes.has(from)).toBe(true);
            expect(parsed.nodes.has(to)).toBe(true);
          }
        }
      }
    }
  });

  it('names the AZs after the region and the subnets after the VPC it was given, every label quoted', () => {
    const { diagram } = render({ region: 'eu-west-1', database: { version: '17' } }, '172.16.0.0/20');

    expect(diagram.startsWith('flowchart TB\n')).toBe(true);
    expect(diagram).toContain('subgraph az1["AZ 1 of eu-west-1"]');
    expect(parse(diagram).nodes.get('db')).toMatch(/^RDS PostgreSQL 17 /);
  });

  it('escapes what would end or bend a label, even in values the schema would have refused', () => {
    // Prepare: a request that skipped validation, with quotes, a pipe, a backtick and a line break.
    const request = { ...stackRequestSchema.parse(BASE), region: 'x"] --> y|`#\nz' };

    // Act
    const diagram = renderStackDiagram(request, planSubnets('10.0.0.0/16', 3));

    // Assess: still only lines of the expected forms, and the label kept its text as entities.
    expect(() => parse(diagram)).not.toThrow();
    expect(diagram).toContain('subgraph az1["AZ 1 of x#quot;] --> y#124;#96;#35; z"]');
  });
});
