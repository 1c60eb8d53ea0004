import { accessDenial } from '../../../local/iam/access-denied';
import { evaluatePolicies, simulateRequest } from '../../../local/iam/evaluate-policies';
import { handlerRequests } from '../../../local/iam/handler-requests';

/** AWS's evaluation logic (IAM User Guide, "Policy evaluation logic"), as the sandbox and tests rely on it. */
const allowEc2 = { name: 'ec2', document: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'ec2:*', Resource: '*' }] } };
const denyNat = { name: 'deny', document: { Version: '2012-10-17', Statement: [{ Effect: 'Deny', Action: 'ec2:CreateNatGateway', Resource: '*' }] } };
const request = { principal: 'arn:aws:sts::111122223333:assumed-role/R/s', action: 'ec2:CreateNatGateway', resource: 'arn:aws:ec2:us-east-1:111122223333:natgateway/*', account: '111122223333' };

describe('evaluatePolicies', () => {
  it('allows what an identity policy allows, denies what none allows, and lets an explicit deny win', () => {
    expect(evaluatePolicies({ identity: [allowEc2] }, request)).toBe('Allowed');
    expect(evaluatePolicies({ identity: [] }, request)).toBe('ImplicitlyDenied');
    expect(evaluatePolicies({ identity: [allowEc2, denyNat] }, request)).toBe('ExplicitlyDenied');
  });

  it('caps the identity policies with the permissions boundary', () => {
    const boundary = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'ec2:Describe*', Resource: '*' }] };
    expect(evaluatePolicies({ identity: [allowEc2], boundary }, request)).toBe('ImplicitlyDenied');
    expect(accessDenial({ identity: [allowEc2], boundary }, request)).toBe(`User: ${request.principal} is not authorized to perform: ec2:CreateNatGateway on resource: ${request.resource} because no permissions boundary allows the ec2:CreateNatGateway action`);
  });

  it('refuses, in the validated form, an action AWS does not have', async () => {
    await expect(simulateRequest({ identity: [allowEc2] }, { ...request, action: 'ec2:CreateNatGatewayz' })).rejects.toThrow(/iam-simulate refused/);
  });
});

describe('handlerRequests', () => {
  it('evaluates a create on the new resource with its tags as request tags, and Describe calls on *', () => {
    const requests = handlerRequests({ type: 'AWS::EC2::NatGateway', physicalId: 'nat-0abc', region: 'us-east-1', account: '111122223333', tags: { 'groundwork:stack': 'stk' } }, 'create', request.principal);
    expect(requests.find((r) => r.action === 'ec2:CreateNatGateway')).toMatchObject({ resource: 'arn:aws:ec2:us-east-1:111122223333:natgateway/*', context: { 'aws:RequestTag/groundwork:stack': 'stk' } });
    expect(requests.find((r) => r.action === 'ec2:DescribeNatGateways')?.resource).toBe('*');
    const deletes = handlerRequests({ type: 'AWS::EC2::NatGateway', physicalId: 'nat-0abc', region: 'us-east-1', account: '111122223333', tags: { 'groundwork:stack': 'stk' } }, 'delete', request.principal);
    expect(deletes.find((r) => r.action === 'ec2:DeleteNatGateway')).toMatchObject({ resource: 'arn:aws:ec2:us-east-1:111122223333:natgateway/nat-0abc', context: { 'aws:ResourceTag/groundwork:stack': 'stk' } });
  });
});
