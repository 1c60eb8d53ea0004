import type { CfnResource } from '../../../src/cfn/template-types';
import { analyseReachability, type ReachabilityFlow, type ReachabilityReport } from '../../../src/network/reachability/analyse-reachability';
import { NetworkModelError, UnresolvedReferenceError, UnsupportedTemplateError } from '../../../src/network/reachability/errors';
import { checkInvariants, type InvariantViolation } from '../../../src/network/reachability/invariants';
import { resolveStack, type ResolvedStack } from '../../../src/network/reachability/resolve-stack';
import { summariseReachability } from '../../../src/network/reachability/summarise-reachability';
import type { ComponentTemplate } from '../../../src/templates/component-template';
import { HAND_WRITTEN_PLAN, HAND_WRITTEN_REQUEST, handWrittenStack, OPERATORS_CIDR } from '../fixtures/hand-written-stack';
import { addResource, componentOf, realStack, resourceOf, type RealStack } from '../fixtures/real-stack';

/** `source(cidr) -> destination protocol from-to`: one line per flow, easy to read in a failure. */
function flowLines(report: ReachabilityReport): string[] {
  return report.flows.map((flow) =>
    `${flow.source}${flow.sourceCidr === undefined ? '' : `(${flow.sourceCidr})`} -> ${flow.destination} ${flow.protocol} ${flow.fromPort}-${flow.toPort}`);
}

function resourceProperties(stack: ResolvedStack, key: string) {
  const resource = stack.resources[key];
  if (resource === undefined) throw new Error(`no resource ${key} in the resolved stack`);
  return resource.properties;
}

function analyse({ templates, plan }: Pick<RealStack, 'templates' | 'plan'>): ReachabilityReport {
  return analyseReachability(resolveStack(templates), plan);
}

function violationsOf(stack: RealStack): InvariantViolation[] {
  return checkInvariants(analyse(stack), stack.request);
}

const BASTION = { enabled: true, allowedCidr: '203.0.113.0/24' };
const securityGroupIngress = (properties: CfnResource['Properties']): CfnResource => ({ Type: 'AWS::EC2::SecurityGroupIngress', Properties: properties });
const securityGroupEgress = (properties: CfnResource['Properties']): CfnResource => ({ Type: 'AWS::EC2::SecurityGroupEgress', Properties: properties });
const groupId = (logicalId: string) => ({ 'Fn::GetAtt': [logicalId, 'GroupId'] });

describe('resolveStack: one model from the component templates of a stack', () => {
  it('follows a parameter to the other component\'s output and to the resource that output names', () => {
    // Prepare
    const templates = handWrittenStack();

    // Act
    const stack = resolveStack(templates);

    // Assess
    expect(resourceProperties(stack, 'security.FrontendGroup').VpcId).toEqual({ $ref: 'network.Vpc' });
    expect(resourceProperties(stack, 'nat.PrivateDefault').RouteTableId).toEqual({ $ref: 'network.PrivateRoutes' });
    expect(resourceProperties(stack, 'security.FrontendGroup').SecurityGroupEgress).toEqual([
      { IpProtocol: 'tcp', FromPort: 8080, ToPort: 8080, CidrIp: { $getAtt: 'network.Vpc', attribute: 'CidrBlock' } },
    ]);
    expect(resourceProperties(stack, 'cluster.LaunchTemplate').LaunchTemplateData).toEqual({
      InstanceType: 't4g.small',
      SecurityGroupIds: [{ $getAtt: 'security.AppGroup', attribute: 'GroupId' }],
    });
  });

  it('hands lists over: a joined output is the list a List parameter, Fn::Select or Fn::Split reads', () => {
    // Prepare
    const templates = handWrittenStack();

    // Act
    const stack = resolveStack(templates);

    // Assess
    expect(resourceProperties(stack, 'frontend.LoadBalancer').Subnets).toEqual([{ $ref: 'network.PublicA' }, { $ref: 'network.PublicB' }]);
    expect(resourceProperties(stack, 'database.SubnetGroup').SubnetIds).toEqual([{ $ref: 'network.IsolatedA' }, { $ref: 'network.IsolatedB' }]);
    expect(resourceProperties(stack, 'nat.NatGateway').SubnetId).toEqual({ $ref: 'network.PublicA' });
    expect(resourceProperties(stack, 'bastion.Bastion').NetworkInterfaces).toEqual([
      expect.objectContaining({ SubnetId: { $ref: 'network.PublicB' } }),
    ]);
  });

  it('substitutes literal values, and keeps values only AWS knows at deploy time symbolic', () => {
    // Prepare
    const templates = handWrittenStack();

    // Act
    const stack = resolveStack(templates);

    // Assess
    const bastionGroup = resourceProperties(stack, 'security.BastionGroup');
    expect(bastionGroup.SecurityGroupIngress).toEqual([{ IpProtocol: 6, FromPort: 22, ToPort: 22, CidrIp: OPERATORS_CIDR }]);
    expect(bastionGroup.GroupDescription).toEqual({ $deployTime: 'Fn::Join', args: ['', ['bastion of ', { $deployTime: 'AWS::StackName' }]] });
    expect(resourceProperties(stack, 'cluster.Instances').Tags).toEqual([
      { Key: 'profile', Value: { $deployTime: 'context', args: 'containerInstanceProfileArn' }, PropagateAtLaunch: false },
    ]);
  });

  it('leaves out the resources whose condition is false, and keeps the others', () => {
    // Prepare
    const templates = handWrittenStack();

    // Act
    const stack = resolveStack(templates);

    // Assess
    expect(stack.resources['security.DatabaseFromBastion']).toBeDefined();
    expect(stack.resources['security.DatabaseFromVpcWithoutBastion']).toBeUndefined();
  });

  const broken: Array<[string, (templates: ComponentTemplate[]) => void, new (...args: never[]) => Error, RegExp]> = [
    [
      'an output the source component does not declare',
      (templates) => { delete componentOf(templates, 'network').template.Outputs?.PrivateRouteTable; },
      UnresolvedReferenceError,
      /nat\.Parameters\.PrivateRouteTable: takes output PrivateRouteTable of network, which network does not declare/,
    ],
    [
      'a component that is not part of the stack',
      (templates) => { templates.splice(templates.findIndex((template) => template.component === 'network'), 1); },
      UnresolvedReferenceError,
      /takes output \w+ of network, which is not part of this stack/,
    ],
    [
      'a declared parameter without a source',
      (templates) => { delete componentOf(templates, 'nat').parameters.PublicSubnets; },
      UnresolvedReferenceError,
      /nat\.Parameters\.PublicSubnets: is declared but has no source/,
    ],
    [
      'a source for a parameter the template does not declare',
      (templates) => { componentOf(templates, 'nat').parameters.Surprise = { kind: 'value', value: 'x' }; },
      UnresolvedReferenceError,
      /nat\.Parameters\.Surprise: has a source but the template declares no such parameter/,
    ],
    [
      'a Ref to nothing',
      (templates) => { resourceOf(templates, 'nat', 'PrivateDefault').Properties = { RouteTableId: { Ref: 'Nowhere' }, DestinationCidrBlock: '0.0.0.0/0' }; },
      UnresolvedReferenceError,
      /nat\.Resources\.PrivateDefault\.Properties\.RouteTableId\.Ref: Ref to "Nowhere"/,
    ],
    [
      'an output whose condition leaves it out',
      (templates) => { componentOf(templates, 'security').parameters.WithBastion = { kind: 'value', value: 'no' }; },
      UnresolvedReferenceError,
      /bastion\.Parameters\.BastionGroupId: takes output BastionGroupId of security, which its condition leaves out/,
    ],
    [
      'a cross-stack import',
      (templates) => { resourceOf(templates, 'frontend', 'LoadBalancer').Properties = { Subnets: { 'Fn::ImportValue': 'shared-subnets' } }; },
      UnsupportedTemplateError,
      /cross-stack exports are not used/,
    ],
  ];

  it.each(broken)('fails loudly, naming where, on %s', (_label, breakIt, errorClass, message) => {
    // Prepare
    const templates = handWrittenStack();
    breakIt(templates);

    // Act
    const act = () => resolveStack(templates);

    // Assess
    expect(act).toThrow(errorClass);
    expect(act).toThrow(message);
  });
});

describe('analyseReachability on a hand-written stack', () => {
  it('finds exactly the flows its security groups and routes allow', () => {
    // Prepare
    const stack = resolveStack(handWrittenStack());

    // Act
    const report = analyseReachability(stack, HAND_WRITTEN_PLAN);

    // Assess
    expect(flowLines(report)).toEqual([
      'app -> database tcp 5432-5432',
      'app -> frontend tcp 443-443',
      // The app's group declares no egress, so AWS's allow-all rule stays; the NAT gateway filters nothing.
      'app -> internet all 0-65535',
      'bastion -> database tcp 5432-5432',
      'bastion -> frontend tcp 443-443',
      'bastion -> internet tcp 443-443',
      'frontend -> app tcp 8080-8080',
      `internet(${OPERATORS_CIDR}) -> bastion tcp 22-22`,
      'internet(0.0.0.0/0) -> frontend tcp 443-443',
      'vpc -> frontend tcp 443-443',
    ]);
    expect(checkInvariants(report, HAND_WRITTEN_REQUEST)).toEqual([]);
  });

  it('takes subnet tiers from the plan and tells how each subnet leaves the VPC', () => {
    // Prepare
    const stack = resolveStack(handWrittenStack());

    // Act
    const report = analyseReachability(stack, HAND_WRITTEN_PLAN);

    // Assess
    const bySubnet = Object.fromEntries(report.subnets.map((subnet) => [subnet.subnet, [subnet.tier, subnet.internetRoute, subnet.routeTable]]));
    expect(bySubnet).toEqual({
      'network.PublicA': ['public', 'internet-gateway', 'network.PublicRoutes'],
      'network.PublicB': ['public', 'internet-gateway', 'network.PublicRoutes'],
      'network.PrivateA': ['private', 'nat', 'network.PrivateRoutes'],
      'network.PrivateB': ['private', 'nat', 'network.PrivateRoutes'],
      'network.IsolatedA': ['isolated', null, 'network.IsolatedRoutes'],
      'network.IsolatedB': ['isolated', null, 'network.IsolatedRoutes'],
    });
  });

  it('tells which placement reaches the internet, from which subnet, through what', () => {
    // Prepare
    const stack = resolveStack(handWrittenStack());

    // Act
    const report = analyseReachability(stack, HAND_WRITTEN_PLAN);

    // Assess
    const egress = Object.fromEntries(report.internetEgress.map((entry) => [entry.placement, entry.paths.map((path) => `${path.subnet} via ${path.via}`)]));
    expect(egress).toEqual({
      'nat.NatGateway': ['network.PublicA via network.InternetGateway'],
      'cluster.Instances': ['network.PrivateA via nat.NatGateway', 'network.PrivateB via nat.NatGateway'],
      'frontend.LoadBalancer': ['network.PublicA via network.InternetGateway', 'network.PublicB via network.InternetGateway'],
      'database.Database': [],
      'bastion.Bastion': ['network.PublicB via network.InternetGateway'],
    });
    expect(report.placements.find((placement) => placement.placement === 'cluster.Instances')).toMatchObject({
      role: 'app',
      subnets: ['network.PrivateA', 'network.PrivateB'],
      securityGroups: ['security.AppGroup'],
      publicIp: false,
    });
  });

  it('counts a NAT only if the NAT itself reaches the internet', () => {
    // Prepare: the public subnets lose their internet gateway route, so the NAT gateway leads nowhere.
    const templates = handWrittenStack();
    delete componentOf(templates, 'network').template.Resources.PublicDefault;

    // Act
    const report = analyseReachability(resolveStack(templates), HAND_WRITTEN_PLAN);

    // Assess
    expect(report.flows.filter((flow) => flow.destination === 'internet')).toEqual([]);
    expect(report.internetEgress.find((entry) => entry.role === 'app')?.reachesInternet).toBe(false);
    expect(checkInvariants(report, HAND_WRITTEN_REQUEST).map((violation) => violation.invariant)).toContain('app-internet-egress');
  });

  it('lets a group\'s declared egress replace AWS\'s allow-all default', () => {
    // Prepare
    const templates = handWrittenStack();
    const appGroup = resourceOf(templates, 'security', 'AppGroup');
    appGroup.Properties = { ...appGroup.Properties, SecurityGroupEgress: [{ IpProtocol: 'tcp', FromPort: 443, ToPort: 443, CidrIp: '0.0.0.0/0' }] };

    // Act
    const report = analyseReachability(resolveStack(templates), HAND_WRITTEN_PLAN);

    // Assess
    const fromApp = flowLines(report).filter((line) => line.startsWith('app '));
    expect(fromApp).toEqual(['app -> frontend tcp 443-443', 'app -> internet tcp 443-443']);
  });

  const unplaceable: Array<[string, (templates: ComponentTemplate[]) => void, RegExp]> = [
    [
      'a subnet the plan does not know',
      (templates) => { resourceOf(templates, 'network', 'IsolatedB').Properties = { VpcId: { Ref: 'Vpc' }, CidrBlock: '10.40.200.0/24' }; },
      /network\.IsolatedB\.CidrBlock: 10\.40\.200\.0\/24 is not a subnet of the network plan/,
    ],
    [
      'a security group that is not part of the stack',
      (templates) => { componentOf(templates, 'frontend').parameters.FrontendGroupId = { kind: 'value', value: 'sg-0123456789abcdef0' }; },
      /frontend\.LoadBalancer\.SecurityGroups\[0\]: is "sg-0123456789abcdef0", not a reference to a AWS::EC2::SecurityGroup of this stack/,
    ],
    [
      'a route to a target of the wrong type',
      (templates) => {
        resourceOf(templates, 'nat', 'PrivateDefault').Properties = {
          RouteTableId: { Ref: 'PrivateRouteTable' }, DestinationCidrBlock: '0.0.0.0/0', NatGatewayId: { Ref: 'NatAddress' },
        };
      },
      /nat\.PrivateDefault\.NatGatewayId: names nat\.NatAddress, a AWS::EC2::EIP, where a AWS::EC2::NatGateway belongs/,
    ],
  ];

  it.each(unplaceable)('refuses %s rather than guess', (_label, breakIt, message) => {
    // Prepare
    const templates = handWrittenStack();
    breakIt(templates);
    const stack = resolveStack(templates);

    // Act
    const act = () => analyseReachability(stack, HAND_WRITTEN_PLAN);

    // Assess
    expect(act).toThrow(NetworkModelError);
    expect(act).toThrow(message);
  });

  it('sums the report up in lines a person can read', () => {
    // Prepare
    const report = analyseReachability(resolveStack(handWrittenStack()), HAND_WRITTEN_PLAN);

    // Act
    const lines = summariseReachability(report);

    // Assess
    expect(lines).toEqual(expect.arrayContaining([
      'isolated subnets (2): no route off the VPC',
      'internet (0.0.0.0/0) → frontend: tcp 443',
      `internet (${OPERATORS_CIDR}) → bastion: tcp 22`,
      'app → internet: all traffic',
      'app: routes to the internet via NAT',
      'database: no route to the internet',
    ]));
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);
  });
});

describe('checkInvariants: each invariant fails on a deliberately broken template', () => {
  it('holds on the generated templates before anything is broken', () => {
    // Prepare
    const stack = realStack({ bastion: BASTION, network: { nat: 'instance' } });

    // Act
    const violations = violationsOf(stack);

    // Assess
    expect(violations).toEqual([]);
  });

  it('(a) reports a bastion open to SSH from anywhere', () => {
    // Prepare
    const stack = realStack({ bastion: BASTION });
    const rule = resourceOf(stack.templates, 'security', 'BastionIngressSsh');
    rule.Properties = { ...rule.Properties, CidrIp: '0.0.0.0/0' };

    // Act
    const violations = violationsOf(stack);

    // Assess
    expect(violations).toEqual([
      expect.objectContaining({
        invariant: 'internet-ingress',
        flow: expect.objectContaining({ source: 'internet', sourceCidr: '0.0.0.0/0', destination: 'bastion', protocol: 'tcp', fromPort: 22, toPort: 22 }),
      }),
    ]);
  });

  it('(a) reports a frontend opened to the internet on another port than 80/443', () => {
    // Prepare
    const stack = realStack({ frontend: { type: 'alb' } });
    addResource(stack.templates, 'security', 'FrontendIngressAdmin', securityGroupIngress({
      GroupId: groupId('FrontendSecurityGroup'), IpProtocol: 'tcp', FromPort: 8443, ToPort: 8443, CidrIp: '0.0.0.0/0',
    }));

    // Act
    const violations = violationsOf(stack);

    // Assess
    expect(violations).toEqual([
      expect.objectContaining({
        invariant: 'internet-ingress',
        flow: expect.objectContaining({ source: 'internet', destination: 'frontend', fromPort: 8443, toPort: 8443 }),
      }),
    ]);
  });

  it('(b) reports a database security group that opens 5432 to 0.0.0.0/0', () => {
    // Prepare
    const stack = realStack({ network: { nat: 'instance' } });
    addResource(stack.templates, 'security', 'DatabaseIngressFromAnywhere', securityGroupIngress({
      GroupId: groupId('DatabaseSecurityGroup'), IpProtocol: 'tcp', FromPort: 5432, ToPort: 5432, CidrIp: '0.0.0.0/0',
    }));

    // Act
    const violations = violationsOf(stack);

    // Assess: anything else in the VPC reaches it, and so does the NAT instance (it may send anywhere).
    expect(violations.every((violation) => violation.invariant === 'database-access')).toBe(true);
    expect(violations.map((violation) => [violation.flow?.source, violation.flow?.fromPort]).sort()).toEqual([['nat', 5432], ['vpc', 5432]]);
  });

  it('(b) reports the app reaching the database on another port than 5432', () => {
    // Prepare
    const stack = realStack({});
    addResource(stack.templates, 'security', 'DatabaseIngressSshFromApp', securityGroupIngress({
      GroupId: groupId('DatabaseSecurityGroup'), IpProtocol: 'tcp', FromPort: 22, ToPort: 22, SourceSecurityGroupId: groupId('AppSecurityGroup'),
    }));
    addResource(stack.templates, 'security', 'AppEgressSshToDatabase', securityGroupEgress({
      GroupId: groupId('AppSecurityGroup'), IpProtocol: 'tcp', FromPort: 22, ToPort: 22, DestinationSecurityGroupId: groupId('DatabaseSecurityGroup'),
    }));

    // Act
    const violations = violationsOf(stack);

    // Assess
    expect(violations).toEqual([
      expect.objectContaining({
        invariant: 'database-access',
        flow: expect.objectContaining({ source: 'app', destination: 'database', protocol: 'tcp', fromPort: 22, toPort: 22 }),
      }),
    ]);
  });

  it('(c) reports an app that reaches the internet through a NAT when nat is none', () => {
    // Prepare: a NAT gateway and a default route slipped into the network template of a nat-none stack.
    const stack = realStack({ network: { nat: 'none' } });
    addResource(stack.templates, 'network', 'StrayNatAddress', { Type: 'AWS::EC2::EIP', Properties: { Domain: 'vpc' } });
    addResource(stack.templates, 'network', 'StrayNatGateway', {
      Type: 'AWS::EC2::NatGateway',
      Properties: { AllocationId: { 'Fn::GetAtt': ['StrayNatAddress', 'AllocationId'] }, SubnetId: { Ref: 'PublicSubnet0' } },
    });
    addResource(stack.templates, 'network', 'StrayDefaultRoute', {
      Type: 'AWS::EC2::Route',
      Properties: { RouteTableId: { Ref: 'PrivateRouteTable0' }, DestinationCidrBlock: '0.0.0.0/0', NatGatewayId: { Ref: 'StrayNatGateway' } },
    });

    // Act
    const violations = violationsOf(stack);

    // Assess
    expect(violations).toEqual(expect.arrayContaining([
      expect.objectContaining({ invariant: 'app-internet-egress', flow: expect.objectContaining({ source: 'app', destination: 'internet', fromPort: 443 }) }),
      expect.objectContaining({ invariant: 'app-internet-egress', placement: 'cluster.AutoScalingGroup' }),
      expect.objectContaining({ invariant: 'isolated-stays-isolated', subnet: 'network.PrivateSubnet0' }),
    ]));
    expect(violations).toHaveLength(3);
  });

  it('(c) reports an AZ whose app subnet lost its route to the NAT', () => {
    // Prepare
    const stack = realStack({ network: { nat: 'instance', azCount: 3 } });
    delete componentOf(stack.templates, 'nat').template.Resources.PrivateDefaultRoute1;

    // Act
    const violations = violationsOf(stack);

    // Assess
    expect(violations).toEqual([
      expect.objectContaining({ invariant: 'app-internet-egress', placement: 'cluster.AutoScalingGroup', subnet: 'network.PrivateSubnet1' }),
    ]);
  });

  it('(c) reports a NAT-instance interface that keeps its source/destination check, so forwards nothing', () => {
    // Prepare
    const stack = realStack({ network: { nat: 'instance', azCount: 2 } });
    const natInterface = resourceOf(stack.templates, 'nat', 'NatNetworkInterface0');
    natInterface.Properties = { ...natInterface.Properties, SourceDestCheck: true };

    // Act
    const violations = violationsOf(stack);

    // Assess
    expect(violations.map((violation) => [violation.invariant, violation.subnet])).toEqual([
      ['app-internet-egress', 'network.PrivateSubnet0'],
      ['app-internet-egress', 'network.PrivateSubnet1'],
      ['app-internet-egress', undefined],
    ]);
  });

  it('(c) reports an app whose security group lets nothing out although there is a NAT', () => {
    // Prepare
    const stack = realStack({ network: { nat: 'gateway' } });
    delete componentOf(stack.templates, 'security').template.Resources.AppEgressHttps;

    // Act
    const violations = violationsOf(stack);

    // Assess
    expect(violations).toEqual([
      expect.objectContaining({ invariant: 'app-internet-egress', message: expect.stringMatching(/cannot open tcp 443 to the internet/) }),
    ]);
  });

  it('(d) reports a 0.0.0.0/0 → internet gateway route added to the isolated route table', () => {
    // Prepare
    const stack = realStack({ network: { azCount: 3 } });
    addResource(stack.templates, 'network', 'IsolatedDefaultRoute', {
      Type: 'AWS::EC2::Route',
      Properties: { RouteTableId: { Ref: 'IsolatedRouteTable' }, DestinationCidrBlock: '0.0.0.0/0', GatewayId: { Ref: 'InternetGateway' } },
    });

    // Act
    const violations = violationsOf(stack);

    // Assess
    expect(violations.map((violation) => [violation.invariant, violation.subnet])).toEqual([
      ['isolated-stays-isolated', 'network.IsolatedSubnet0'],
      ['isolated-stays-isolated', 'network.IsolatedSubnet1'],
      ['isolated-stays-isolated', 'network.IsolatedSubnet2'],
    ]);
  });

  it('(d) reports a private subnet routed to the internet gateway when nat is none, even with no public address on it', () => {
    // Prepare
    const stack = realStack({ network: { nat: 'none', azCount: 2 } });
    addResource(stack.templates, 'network', 'PrivateStrayRoute', {
      Type: 'AWS::EC2::Route',
      Properties: { RouteTableId: { Ref: 'PrivateRouteTable1' }, DestinationCidrBlock: '0.0.0.0/0', GatewayId: { Ref: 'InternetGateway' } },
    });

    // Act
    const report = analyse(stack);
    const violations = checkInvariants(report, stack.request);

    // Assess: the instances have no public address, so they still cannot get out — but the subnet is no longer closed.
    expect(report.internetEgress.find((entry) => entry.role === 'app')?.reachesInternet).toBe(false);
    expect(violations).toEqual([expect.objectContaining({ invariant: 'isolated-stays-isolated', subnet: 'network.PrivateSubnet1' })]);
  });
});

describe('the report of a generated stack', () => {
  it('shows the API Gateway path: internet → frontend on 443, then the VPC link → app on the container port', () => {
    // Prepare
    const stack = realStack({ frontend: { type: 'apigateway' }, compute: { containerPort: 3000 } });

    // Act
    const report = analyse(stack);

    // Assess
    const frontendFlows: ReachabilityFlow[] = report.flows.filter((flow) => flow.source === 'internet' || flow.source === 'frontend');
    expect(frontendFlows).toEqual([
      { source: 'frontend', destination: 'app', protocol: 'tcp', fromPort: 3000, toPort: 3000 },
      { source: 'internet', sourceCidr: '0.0.0.0/0', destination: 'frontend', protocol: 'tcp', fromPort: 443, toPort: 443, via: ['frontend.HttpApi'] },
    ]);
  });
});
