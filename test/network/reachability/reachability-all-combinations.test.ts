import { analyseReachability, type FlowParty, type ReachabilityReport } from '../../../src/network/reachability/analyse-reachability';
import { checkInvariants } from '../../../src/network/reachability/invariants';
import { resolveStack } from '../../../src/network/reachability/resolve-stack';
import { OPERATORS_CIDR, optionChoices } from '../../templates/fixtures';
import { realStack, type RequestOverrides } from '../fixtures/real-stack';

/**
 * The reachability invariants over the templates src/templates generates, for every combination of
 * options: azCount × nat × frontend (alb, alb with a certificate, apigateway, none) × database ×
 * bastion × compute (off only with no frontend, as the request schema demands) × endpoints (true,
 * or left to the default). Each also checks that the flows the stack exists for are there, so
 * that an analysis which sees nothing cannot pass.
 */

const CONTAINER_PORT = 8080;

interface Combination {
  label: string;
  overrides: RequestOverrides;
  vpcCidr: string;
}

function allCombinations(): Combination[] {
  return optionChoices().map(({ label, azCount, nat, frontend, database, bastion, compute, endpoints }) => ({
    label,
    overrides: {
      network: { azCount, nat, ...(endpoints === undefined ? {} : { endpoints }) },
      frontend,
      database: database ? {} : null,
      bastion: bastion ? { enabled: true, allowedCidr: OPERATORS_CIDR } : { enabled: false },
      compute: compute ? { containerPort: CONTAINER_PORT } : null,
    },
    // The largest and the smallest VPC the planner allows.
    vpcCidr: azCount === 3 ? '10.20.0.0/16' : '10.30.0.0/20',
  }));
}

function hasFlow(report: ReachabilityReport, source: FlowParty, destination: FlowParty, port: number, sourceCidr?: string): boolean {
  return report.flows.some((flow) =>
    flow.source === source && flow.destination === destination && (flow.protocol === 'tcp' || flow.protocol === 'all') &&
    flow.fromPort <= port && port <= flow.toPort && (sourceCidr === undefined || flow.sourceCidr === sourceCidr));
}

const combinations = allCombinations();

describe('reachability invariants over every option combination of the generated templates', () => {
  it('covers every combination the request schema accepts', () => {
    // 2 AZ counts × 4 NAT modes × (3 frontends with compute + no frontend with and without) × db × bastion × endpoints
    expect(combinations).toHaveLength(2 * 4 * (3 + 2) * 2 * 2 * 2);
  });

  it.each(combinations.map((combination) => [combination.label, combination] as const))('%s', (_label, { overrides, vpcCidr }) => {
    // Prepare
    const { request, plan, templates } = realStack(overrides, vpcCidr);

    // Act
    const report = analyseReachability(resolveStack(templates), plan);
    const violations = checkInvariants(report, request);

    // Assess: the promises hold …
    expect(violations).toEqual([]);

    // … and the flows the stack is for are there.
    const expected: Array<[FlowParty, FlowParty, number, string?]> = [];
    const compute = request.compute !== null;
    if (compute && request.database !== null) expected.push(['app', 'database', 5432]);
    if (request.bastion.enabled) expected.push(['internet', 'bastion', 22, OPERATORS_CIDR]);
    if (request.bastion.enabled && request.database !== null) expected.push(['bastion', 'database', 5432]);
    if (compute && request.frontend.type !== 'none') {
      expected.push(['frontend', 'app', CONTAINER_PORT]);
      expected.push(['internet', 'frontend', request.frontend.type === 'alb' && request.frontend.certificateArn === undefined ? 80 : 443, '0.0.0.0/0']);
    }
    if (compute && (request.network.nat === 'none' || request.network.endpoints === true)) expected.push(['app', 'endpoints', 443]);
    const missing = expected.filter(([source, destination, port, cidr]) => !hasFlow(report, source, destination, port, cidr));
    expect(missing).toEqual([]);

    // Nothing in an isolated subnet (the database) ever has a way out.
    const isolated = new Set(report.subnets.filter((subnet) => subnet.tier === 'isolated').map((subnet) => subnet.subnet));
    const leaking = report.internetEgress.filter((entry) => entry.paths.some((path) => isolated.has(path.subnet)));
    expect(leaking).toEqual([]);
  });
});
