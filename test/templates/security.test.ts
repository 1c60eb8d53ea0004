import type { CfnTemplate, CfnValue } from '../../src/cfn/template-types';
import { NO_EGRESS_RULE } from '../../src/templates/security-groups';
import { buildSecurityTemplate } from '../../src/templates/security';
import { CERTIFICATE_ARN, OPERATORS_CIDR, templateInput } from './fixtures';
import { props, resourcesOfType } from './template-queries';

/** Every allowed flow of a security template as "direction group peer protocol ports", sorted. */
function flows(template: CfnTemplate): string[] {
  const name = (value: CfnValue | undefined): string => {
    if (typeof value === 'string') return value;
    const getAtt = (value as { 'Fn::GetAtt'?: [string, string] } | null)?.['Fn::GetAtt'];
    if (getAtt) return getAtt[0].replace(/SecurityGroup$/, '');
    return JSON.stringify(value);
  };
  const rule = (direction: string, p: { [key: string]: CfnValue }, peer: CfnValue | undefined): string =>
    `${direction} ${name(p['GroupId'])} ${name(peer)} ${String(p['IpProtocol'])} ${p['FromPort'] === undefined ? 'all' : `${String(p['FromPort'])}-${String(p['ToPort'])}`}`;
  return [
    ...resourcesOfType(template, 'AWS::EC2::SecurityGroupIngress').map(([, r]) => rule('in', r.Properties ?? {}, r.Properties?.['SourceSecurityGroupId'] ?? r.Properties?.['CidrIp'])),
    ...resourcesOfType(template, 'AWS::EC2::SecurityGroupEgress').map(([, r]) => rule('out', r.Properties ?? {}, r.Properties?.['DestinationSecurityGroupId'] ?? r.Properties?.['CidrIp'])),
  ].sort();
}

const groupsOf = (template: CfnTemplate): string[] => resourcesOfType(template, 'AWS::EC2::SecurityGroup').map(([id]) => id).sort();

describe('security template', () => {
  it('default stack (ALB, no certificate, database): internet → ALB :80 → app :8080 → database :5432, nothing else', () => {
    // Act
    const { template } = buildSecurityTemplate(templateInput());
    // Assess
    expect(groupsOf(template)).toEqual(['AppSecurityGroup', 'DatabaseSecurityGroup', 'FrontendSecurityGroup']);
    expect(flows(template)).toEqual(
      [
        'in Frontend 0.0.0.0/0 tcp 80-80',
        'out Frontend App tcp 8080-8080',
        'in App Frontend tcp 8080-8080',
        'out App 0.0.0.0/0 tcp 443-443',
        'out App Database tcp 5432-5432',
        'in Database App tcp 5432-5432',
      ].sort(),
    );
  });

  it('opens 443 on the ALB only when a certificate is given', () => {
    const { template } = buildSecurityTemplate(templateInput({ frontend: { type: 'alb', certificateArn: CERTIFICATE_ARN } }));
    expect(flows(template).filter((f) => f.startsWith('in Frontend'))).toEqual(['in Frontend 0.0.0.0/0 tcp 443-443', 'in Frontend 0.0.0.0/0 tcp 80-80']);
  });

  it('apigateway: a VPC Link group with no ingress at all, reaching the app on the container port only', () => {
    const { template } = buildSecurityTemplate(templateInput({ frontend: { type: 'apigateway' }, compute: { containerPort: 3000 }, database: null }));
    expect(groupsOf(template)).toEqual(['AppSecurityGroup', 'VpcLinkSecurityGroup']);
    expect(flows(template)).toEqual(['in App VpcLink tcp 3000-3000', 'out App 0.0.0.0/0 tcp 443-443', 'out VpcLink App tcp 3000-3000']);
  });

  it('bastion: SSH only from the allowed CIDR, out only to the database and HTTPS; endpoints: 443 from the app and the bastion (D13)', () => {
    const { template } = buildSecurityTemplate(
      templateInput({ frontend: { type: 'none' }, bastion: { enabled: true, allowedCidr: OPERATORS_CIDR }, network: { nat: 'none' } }),
    );
    expect(groupsOf(template)).toEqual(['AppSecurityGroup', 'BastionSecurityGroup', 'DatabaseSecurityGroup', 'EndpointsSecurityGroup']);
    expect(flows(template)).toEqual(
      [
        'in Bastion 203.0.113.0/24 tcp 22-22',
        'out Bastion 0.0.0.0/0 tcp 443-443',
        'out Bastion Database tcp 5432-5432',
        'in Database Bastion tcp 5432-5432',
        'out App 0.0.0.0/0 tcp 443-443',
        'out App Database tcp 5432-5432',
        'in Database App tcp 5432-5432',
        'in Endpoints App tcp 443-443',
        'in Endpoints Bastion tcp 443-443',
      ].sort(),
    );
  });

  it('removes the default allow-all egress from every group: its only inline rule matches nothing', () => {
    const { template } = buildSecurityTemplate(templateInput({ bastion: { enabled: true, allowedCidr: OPERATORS_CIDR }, network: { endpoints: true } }));
    for (const [logicalId] of resourcesOfType(template, 'AWS::EC2::SecurityGroup')) {
      expect(props(template, logicalId)['SecurityGroupEgress']).toEqual([{ ...NO_EGRESS_RULE }]);
    }
    expect(groupsOf(template)).toHaveLength(5);
  });

  it('needs no group for a network-only stack, yet stays a deployable template', () => {
    const { template, parameters } = buildSecurityTemplate(templateInput({ compute: null, frontend: { type: 'none' }, database: null }));
    expect(groupsOf(template)).toEqual([]);
    expect(Object.keys(template.Resources)).toEqual(['NoSecurityGroupsNeeded']);
    expect(parameters).toEqual({});
  });

  it('outputs the id of each group it creates, for the components that use them', () => {
    const { template } = buildSecurityTemplate(templateInput());
    expect(Object.keys(template.Outputs ?? {}).sort()).toEqual(['AppSecurityGroupId', 'DatabaseSecurityGroupId', 'FrontendSecurityGroupId']);
  });
});
