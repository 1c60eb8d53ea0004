import { CreateStackCommand } from '@aws-sdk/client-cloudformation';
import { nameClaim } from '../../../local/sandbox/resource-names';
import { sandboxForFile } from './sandbox-http';
import { stackEvents, waitForStack } from './stack-waits';

/**
 * An EC2 route is identified by its destination within its route table: a table holds an IPv4 and an
 * IPv6 default route side by side (widdix vpc-2azs.yaml does), and EC2 refuses only a second route to
 * the same destination ("RouteAlreadyExists: The route identified by 0.0.0.0/0 already exists",
 * CreateRoute, as quoted in getmoto/moto#6305 and hashicorp/terraform-provider-aws#23866).
 */

const ACCOUNT = '555566667777';

const sandbox = sandboxForFile(ACCOUNT);

/** A dual-stack VPC with an internet gateway and one route table holding the given routes (destination properties). */
function routesTemplate(destinations: Array<Record<string, string>>): string {
  const routes = Object.fromEntries(
    destinations.map((destination, index) => [
      `Route${index}`,
      { Type: 'AWS::EC2::Route', DependsOn: ['Attachment', 'Ipv6Block'], Properties: { RouteTableId: { Ref: 'Table' }, GatewayId: { Ref: 'Gateway' }, ...destination } },
    ]),
  );
  return JSON.stringify({
    Resources: {
      Vpc: { Type: 'AWS::EC2::VPC', Properties: { CidrBlock: '10.0.0.0/16' } },
      Ipv6Block: { Type: 'AWS::EC2::VPCCidrBlock', Properties: { VpcId: { Ref: 'Vpc' }, AmazonProvidedIpv6CidrBlock: true } },
      Gateway: { Type: 'AWS::EC2::InternetGateway' },
      Attachment: { Type: 'AWS::EC2::VPCGatewayAttachment', Properties: { VpcId: { Ref: 'Vpc' }, InternetGatewayId: { Ref: 'Gateway' } } },
      Table: { Type: 'AWS::EC2::RouteTable', Properties: { VpcId: { Ref: 'Vpc' } } },
      ...routes,
    },
  });
}

async function deploy(stackName: string, destinations: Array<Record<string, string>>): Promise<{ status: string | undefined; failures: string[] }> {
  await sandbox.cfn.send(new CreateStackCommand({ StackName: stackName, TemplateBody: routesTemplate(destinations) }));
  const stack = await waitForStack(sandbox.cfn, stackName);
  const failures = (await stackEvents(sandbox.cfn, stackName)).filter((event) => event.ResourceStatus === 'CREATE_FAILED').map((event) => `${event.LogicalResourceId}: ${event.ResourceStatusReason ?? ''}`);
  return { status: stack.StackStatus, failures };
}

describe('EC2 routes: one per destination within a route table', () => {
  test('an IPv4 and an IPv6 default route in the same table both create', async () => {
    expect(await deploy('routes-dual-stack', [{ DestinationCidrBlock: '0.0.0.0/0' }, { DestinationIpv6CidrBlock: '::/0' }])).toEqual({ status: 'CREATE_COMPLETE', failures: [] });
  });

  test('a second route to the same destination in the same table is refused', async () => {
    const result = await deploy('routes-twice', [{ DestinationCidrBlock: '0.0.0.0/0' }, { DestinationCidrBlock: '0.0.0.0/0' }]);
    expect(result.status).toBe('ROLLBACK_COMPLETE');
    expect(result.failures).toEqual(expect.arrayContaining([expect.stringMatching(/^Route[01]: Resource of type 'AWS::EC2::Route' with identifier '0\.0\.0\.0\/0' already exists\.$/)]));
  });

  test('the claim is the destination, scoped to the route table', () => {
    const where = { account: ACCOUNT, region: 'us-east-1' };
    const claim = (properties: Record<string, string>) => nameClaim({ type: 'AWS::EC2::Route', physicalId: properties['RouteTableId'] ?? '', properties }, where);
    expect(claim({ RouteTableId: 'rtb-1', DestinationIpv6CidrBlock: '::/0' })).toMatchObject({ key: '::/0', scope: `AWS::EC2::Route ${ACCOUNT}/us-east-1/RouteTableId=rtb-1` });
    expect(claim({ RouteTableId: 'rtb-2', DestinationCidrBlock: '0.0.0.0/0' })?.scope).not.toBe(claim({ RouteTableId: 'rtb-1', DestinationCidrBlock: '0.0.0.0/0' })?.scope);
  });
});
