/**
 * A template making one role CloudFormation may use as a stack's role, allowed everything but one
 * action (`NotAction`), with its ARN as output `RoleArn`: how a test shows a resource failing for the
 * want of exactly that action.
 */
export function allButOneRoleTemplate(roleName: string, deniedAction: string): string {
  return JSON.stringify({
    Resources: {
      Role: {
        Type: 'AWS::IAM::Role',
        Properties: {
          RoleName: roleName,
          AssumeRolePolicyDocument: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'cloudformation.amazonaws.com' }, Action: 'sts:AssumeRole' }] },
          Policies: [{ PolicyName: `all-but-${deniedAction.replace(':', '-')}`, PolicyDocument: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', NotAction: deniedAction, Resource: '*' }] } }],
        },
      },
    },
    Outputs: { RoleArn: { Value: { 'Fn::GetAtt': ['Role', 'Arn'] } } },
  });
}
