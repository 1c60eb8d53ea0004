import type { CfnTemplate, CfnValue } from '../../src/cfn/template-types';
import type { CostEstimate } from '../../src/cost/estimate-cost';
import { HOURS_PER_MONTH, estimateMonthlyCost } from '../../src/cost/estimate-cost';
import { PRICE_TABLE } from '../../src/cost/price-table';
import type { ComponentName } from '../../src/model/components';
import { NAT_MODES } from '../../src/model/stack-request';
import { buildStackTemplates } from '../../src/templates/build-stack-templates';
import type { ComponentTemplate, StackTemplateInput } from '../../src/templates/component-template';
import { OPERATORS_CIDR, templateInput } from '../templates/fixtures';
import { walk } from '../templates/template-queries';

/**
 * AWS bills every public IPv4 address by the hour, in use or idle, since 2024-02-01: Elastic IPs,
 * addresses auto-assigned to instances, and those NAT gateways and internet-facing load balancers
 * hold. These tests count the addresses in the CloudFormation the stack would deploy — read from
 * the templates, not from the estimator — and require the estimate to bill exactly those.
 */

interface SubnetSet {
  subnets: number;
  /** How many of them have MapPublicIpOnLaunch. */
  autoPublic: number;
}

const isObject = (value: CfnValue | undefined): value is { [key: string]: CfnValue } =>
  value !== null && value !== undefined && typeof value === 'object' && !Array.isArray(value);

/** The network template's outputs that name subnets, and how many of those hand out public addresses. */
function subnetOutputs(network: ComponentTemplate): Map<string, SubnetSet> {
  const { Resources, Outputs = {} } = network.template as CfnTemplate & { Outputs?: Record<string, { Value: CfnValue }> };
  const outputs = new Map<string, SubnetSet>();
  for (const [name, output] of Object.entries(Outputs)) {
    const subnets = [...walk(output.Value)]
      .map(([, value]) => (isObject(value) && typeof value.Ref === 'string' ? Resources[value.Ref] : undefined))
      .filter((resource) => resource?.Type === 'AWS::EC2::Subnet');
    if (subnets.length === 0) continue;
    outputs.set(name, { subnets: subnets.length, autoPublic: subnets.filter((s) => s?.Properties?.MapPublicIpOnLaunch === true).length });
  }
  return outputs;
}

/** The subnets a property names, through the parameter fed by the network template's output. */
function subnetsOf(value: CfnValue | undefined, component: ComponentTemplate, outputs: Map<string, SubnetSet>): SubnetSet {
  const values = Array.isArray(value) ? value : [value];
  return values.reduce<SubnetSet>(
    (sum, element) => {
      const parameter = isObject(element) && typeof element.Ref === 'string' ? component.parameters[element.Ref] : undefined;
      if (parameter?.kind !== 'output' || parameter.component !== 'network') throw new Error(`unresolved subnet reference ${JSON.stringify(element)}`);
      const set = outputs.get(parameter.output);
      if (set === undefined) throw new Error(`network output ${parameter.output} names no subnet`);
      return { subnets: sum.subnets + set.subnets, autoPublic: sum.autoPublic + set.autoPublic };
    },
    { subnets: 0, autoPublic: 0 },
  );
}

/** The primary interface's explicit AssociatePublicIpAddress, if any. */
function explicitPublicIp(networkInterfaces: CfnValue | undefined): boolean | undefined {
  if (!Array.isArray(networkInterfaces)) return undefined;
  const primary = networkInterfaces.find((nic) => isObject(nic) && (nic.DeviceIndex === 0 || nic.DeviceIndex === '0'));
  return isObject(primary) && typeof primary.AssociatePublicIpAddress === 'boolean' ? primary.AssociatePublicIpAddress : undefined;
}

/** Public IPv4 addresses each component's template holds once deployed. */
function publicAddressesInTemplates(templates: ComponentTemplate[]): Map<ComponentName, number> {
  const network = templates.find((t) => t.component === 'network');
  if (network === undefined) throw new Error('no network template');
  const outputs = subnetOutputs(network);
  const counts = new Map<ComponentName, number>();
  for (const component of templates) {
    const { Resources } = component.template;
    let addresses = 0;
    for (const resource of Object.values(Resources)) {
      const p = resource.Properties ?? {};
      switch (resource.Type) {
        case 'AWS::EC2::EIP':
          addresses += 1;
          break;
        case 'AWS::EC2::Instance': {
          const primary = Array.isArray(p.NetworkInterfaces) ? p.NetworkInterfaces.find((nic) => isObject(nic) && String(nic.DeviceIndex) === '0') : undefined;
          const subnet = subnetsOf(isObject(primary) ? primary.SubnetId : p.SubnetId, component, outputs);
          if (explicitPublicIp(p.NetworkInterfaces) ?? subnet.autoPublic > 0) addresses += 1;
          break;
        }
        case 'AWS::AutoScaling::AutoScalingGroup': {
          const launchTemplate = p.LaunchTemplate;
          const id = isObject(launchTemplate) && isObject(launchTemplate.LaunchTemplateId) ? launchTemplate.LaunchTemplateId.Ref : undefined;
          const data = typeof id === 'string' ? Resources[id]?.Properties?.LaunchTemplateData : undefined;
          const subnets = subnetsOf(p.VPCZoneIdentifier, component, outputs);
          const isPublic = explicitPublicIp(isObject(data) ? data.NetworkInterfaces : undefined) ?? subnets.autoPublic === subnets.subnets;
          if (isPublic) addresses += Number(p.DesiredCapacity);
          break;
        }
        case 'AWS::ElasticLoadBalancingV2::LoadBalancer':
          // Internet-facing is the default scheme; such a load balancer holds an address in each subnet (AZ).
          if (p.Scheme !== 'internal') addresses += subnetsOf(p.Subnets, component, outputs).subnets;
          break;
        case 'AWS::RDS::DBInstance':
          if (p.PubliclyAccessible === true) addresses += 1;
          break;
      }
    }
    counts.set(component.component, addresses);
  }
  return counts;
}

const isPublicIpv4Line = (description: string) => /public IPv4|Elastic IP/i.test(description);

/** Public IPv4 addresses the estimate bills, per component. */
function publicAddressesBilled(estimate: CostEstimate): Map<ComponentName, number> {
  return new Map(
    estimate.components.map((component) => [
      component.component,
      component.items.filter((item) => isPublicIpv4Line(item.description)).reduce((sum, item) => sum + item.quantity / HOURS_PER_MONTH, 0),
    ]),
  );
}

function combinations(): Array<{ label: string; input: StackTemplateInput }> {
  const result: Array<{ label: string; input: StackTemplateInput }> = [];
  for (const azCount of [2, 3] as const)
    for (const nat of NAT_MODES)
      for (const frontend of ['alb', 'apigateway', 'none'] as const)
        for (const bastion of [true, false])
          for (const database of [true, false])
            result.push({
              label: `az${azCount} nat-${nat} ${frontend} ${bastion ? 'bastion' : 'no-bastion'} ${database ? 'db' : 'no-db'}`,
              input: templateInput({
                network: { azCount, nat, ...(nat === 'none' ? { endpoints: true } : {}) },
                frontend: { type: frontend },
                database: database ? {} : null,
                bastion: bastion ? { enabled: true, allowedCidr: OPERATORS_CIDR } : { enabled: false },
              }),
            });
  return result;
}

describe('public IPv4 addresses', () => {
  it.each(combinations())('$label: the estimate bills every public address the templates hold, and no other', ({ input }) => {
    const fromTemplates = publicAddressesInTemplates(buildStackTemplates(input));
    const estimate = estimateMonthlyCost(input.request);

    expect(Object.fromEntries(publicAddressesBilled(estimate))).toEqual(Object.fromEntries(fromTemplates));
    for (const item of estimate.components.flatMap((component) => component.items).filter((i) => isPublicIpv4Line(i.description))) {
      expect(item).toMatchObject({ unit: 'hour', unitPrice: PRICE_TABLE.publicIpv4Hour.usd });
    }
    // The total is said in words too, for a customer reading the assumptions.
    const total = [...fromTemplates.values()].reduce((sum, n) => sum + n, 0);
    const summary = estimate.assumptions.filter((text) => text.startsWith('Public IPv4:'));
    expect(summary).toEqual(total === 0 ? [] : [expect.stringContaining(`holds ${total} public IPv4 address`)]);
  });

  it('counts the addresses of a known stack: NAT gateway per AZ, internet-facing ALB and bastion in 3 AZs hold 7', () => {
    const input = templateInput({
      network: { azCount: 3, nat: 'gateway-per-az' },
      frontend: { type: 'alb' },
      bastion: { enabled: true, allowedCidr: OPERATORS_CIDR },
    });

    const fromTemplates = publicAddressesInTemplates(buildStackTemplates(input));
    const estimate = estimateMonthlyCost(input.request);

    expect(Object.fromEntries(fromTemplates)).toMatchObject({ nat: 3, frontend: 3, bastion: 1, cluster: 0, database: 0, network: 0 });
    // 7 addresses × 730 hours × $0.005 (AWS's public IPv4 rate since 2024-02-01) = $25.55 a month.
    const ipv4Monthly = estimate.components
      .flatMap((component) => component.items)
      .filter((item) => isPublicIpv4Line(item.description))
      .reduce((sum, item) => sum + Math.round(item.monthly * 100), 0);
    expect(ipv4Monthly).toBe(2555);
  });
});
