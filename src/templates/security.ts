import type { CfnValue } from '../cfn/template-types';
import { componentsFor } from '../model/components';
import type { ComponentTemplate, StackTemplateInput } from './component-template';
import { getAtt } from './intrinsics';
import { NetworkOutputs } from './network';
import { egressRule, ingressRule, securityGroup } from './security-groups';
import { TemplateBuilder } from './template-builder';

/**
 * The security component: one security group per role, only for the roles the request deploys,
 * and only these flows (everything else is denied, including egress — see security-groups.ts):
 *
 *   internet  → frontend (ALB)   80, and 443 with a certificate
 *   frontend  → app              the container port (ALB, or the API Gateway VPC Link)
 *   app       → database         5432
 *   app       → anywhere         443 (AWS APIs, image pulls: through the NAT or the endpoints)
 *   app       → endpoints        443
 *   allowed CIDR → bastion       22
 *   bastion   → database         5432
 *   bastion   → anywhere         443 (Systems Manager, package updates)
 *
 * An API Gateway VPC Link only opens connections, so its group has no ingress at all.
 */
export const POSTGRES_PORT = 5432;
const HTTP_PORT = 80;
const HTTPS_PORT = 443;
const SSH_PORT = 22;
const ANYWHERE = '0.0.0.0/0';

export const SecurityOutputs = {
  FrontendSecurityGroupId: 'FrontendSecurityGroupId',
  VpcLinkSecurityGroupId: 'VpcLinkSecurityGroupId',
  AppSecurityGroupId: 'AppSecurityGroupId',
  DatabaseSecurityGroupId: 'DatabaseSecurityGroupId',
  BastionSecurityGroupId: 'BastionSecurityGroupId',
  EndpointsSecurityGroupId: 'EndpointsSecurityGroupId',
} as const;

type Role = 'Frontend' | 'VpcLink' | 'App' | 'Database' | 'Bastion' | 'Endpoints';

export function buildSecurityTemplate(input: StackTemplateInput): ComponentTemplate {
  const { request } = input;
  const b = new TemplateBuilder('security', input, 'security groups and the flows between them');
  const deployed = new Set(componentsFor(request));

  let groupCount = 0;
  const group = (role: Role, description: string): CfnValue => {
    const vpcId = b.fromOutput('network', NetworkOutputs.VpcId, 'AWS::EC2::VPC::Id');
    b.resource(`${role}SecurityGroup`, securityGroup(description, vpcId, `${b.stackName}-${role.toLowerCase()}`));
    groupCount += 1;
    const id = getAtt(`${role}SecurityGroup`, 'GroupId');
    b.output(SecurityOutputs[`${role}SecurityGroupId`], id, `Security group: ${description}`);
    return id;
  };

  const app = deployed.has('cluster') && request.compute ? group('App', 'the ECS instances and tasks') : undefined;
  const database = deployed.has('database') ? group('Database', 'the PostgreSQL instance') : undefined;
  const bastion = deployed.has('bastion') ? group('Bastion', 'the bastion host') : undefined;
  const endpoints = deployed.has('endpoints') ? group('Endpoints', 'the interface VPC endpoints') : undefined;

  if (app !== undefined && request.compute) {
    const containerPort = request.compute.containerPort;
    if (deployed.has('frontend') && request.frontend.type === 'alb') {
      const frontend = group('Frontend', 'the public load balancer');
      b.resource('FrontendIngressHttp', ingressRule(frontend, { cidr: ANYWHERE }, HTTP_PORT, 'HTTP from the internet'));
      if (request.frontend.certificateArn !== undefined) {
        b.resource('FrontendIngressHttps', ingressRule(frontend, { cidr: ANYWHERE }, HTTPS_PORT, 'HTTPS from the internet'));
      }
      b.resource('FrontendEgressToApp', egressRule(frontend, { group: app }, containerPort, 'Requests and health checks to the app'));
      b.resource('AppIngressFromFrontend', ingressRule(app, { group: frontend }, containerPort, 'Requests from the load balancer'));
    }
    if (deployed.has('frontend') && request.frontend.type === 'apigateway') {
      const vpcLink = group('VpcLink', 'the API Gateway VPC Link');
      b.resource('VpcLinkEgressToApp', egressRule(vpcLink, { group: app }, containerPort, 'Requests to the app'));
      b.resource('AppIngressFromVpcLink', ingressRule(app, { group: vpcLink }, containerPort, 'Requests from API Gateway'));
    }
    b.resource('AppEgressHttps', egressRule(app, { cidr: ANYWHERE }, HTTPS_PORT, 'AWS APIs and image pulls (through the NAT or the endpoints)'));
    if (database !== undefined) {
      b.resource('AppEgressToDatabase', egressRule(app, { group: database }, POSTGRES_PORT, 'PostgreSQL'));
      b.resource('DatabaseIngressFromApp', ingressRule(database, { group: app }, POSTGRES_PORT, 'PostgreSQL from the app'));
    }
    if (endpoints !== undefined) {
      b.resource('EndpointsIngressFromApp', ingressRule(endpoints, { group: app }, HTTPS_PORT, 'AWS APIs from the app'));
    }
  }

  if (bastion !== undefined && request.bastion.allowedCidr !== undefined) {
    b.resource('BastionIngressSsh', ingressRule(bastion, { cidr: request.bastion.allowedCidr }, SSH_PORT, 'SSH from the operators\' network only'));
    b.resource('BastionEgressHttps', egressRule(bastion, { cidr: ANYWHERE }, HTTPS_PORT, 'Systems Manager and package updates'));
    if (database !== undefined) {
      b.resource('BastionEgressToDatabase', egressRule(bastion, { group: database }, POSTGRES_PORT, 'PostgreSQL'));
      b.resource('DatabaseIngressFromBastion', ingressRule(database, { group: bastion }, POSTGRES_PORT, 'PostgreSQL from the bastion'));
    }
    if (endpoints !== undefined) {
      // An interface endpoint's private DNS answers for the whole VPC: the bastion's Systems Manager
      // and AWS CLI calls resolve to the endpoints' addresses too, and would time out if refused.
      b.resource('EndpointsIngressFromBastion', ingressRule(endpoints, { group: bastion }, HTTPS_PORT, 'AWS APIs from the bastion'));
    }
  }

  if (groupCount === 0) {
    // A stack with only a network needs no group, but the component always exists (others depend
    // on it) and a template needs a resource: this one creates nothing in the account.
    b.resource('NoSecurityGroupsNeeded', { Type: 'AWS::CloudFormation::WaitConditionHandle' });
  }
  return b.build();
}
