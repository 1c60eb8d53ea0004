import { CreateStackCommand, DescribeStacksCommand, ValidateTemplateCommand, type CloudFormationClient } from '@aws-sdk/client-cloudformation';
import type { CfnTemplate } from '../../../src/cfn/template-types';
import { startSandboxEdge, type SandboxEdge } from './sandbox-http';
import { rejectionOf, waitForStack } from './stack-waits';

/**
 * CloudFormation's stack semantics in the sandbox account, each as AWS has it: Rules assertions,
 * wait conditions, exports in use, retained resources, stack policies, termination protection,
 * ListStacks' filter, the stack role, and Fn::Length outside its transform.
 */

const ACCOUNT = '131313131313';

let edge: SandboxEdge;
let cfn: CloudFormationClient;
beforeAll(async () => {
  edge = await startSandboxEdge({ speed: 0.001 });
  cfn = edge.cloudFormation(ACCOUNT);
});
afterAll(async () => edge.close());

const body = (template: CfnTemplate) => JSON.stringify(template);

async function stackExists(name: string): Promise<boolean> {
  const found = await cfn.send(new DescribeStacksCommand({ StackName: name })).then(
    () => true,
    () => false,
  );
  return found;
}

describe('Rules: assertions are evaluated at CreateStack', () => {
  const template: CfnTemplate = {
    Parameters: { Env: { Type: 'String' }, Size: { Type: 'String', Default: 'small' }, Zones: { Type: 'CommaDelimitedList', Default: 'a,b' } },
    Rules: {
      ProdOnly: { Assertions: [{ Assert: { 'Fn::Equals': [{ Ref: 'Env' }, 'prod'] }, AssertDescription: 'Env must be prod' }] },
      BigInProd: {
        RuleCondition: { 'Fn::Equals': [{ Ref: 'Env' }, 'prod'] },
        Assertions: [{ Assert: { 'Fn::Contains': [['large', 'xlarge'], { Ref: 'Size' }] }, AssertDescription: 'In prod, Size must be large or xlarge' }],
      },
      KnownZones: { Assertions: [{ Assert: { 'Fn::EachMemberIn': [{ Ref: 'Zones' }, ['a', 'b', 'c']] }, AssertDescription: 'Zones must be among a, b, c' }] },
    },
    Resources: { Topic: { Type: 'AWS::SNS::Topic' } },
  } as CfnTemplate;
  const create = (name: string, parameters: Record<string, string>) =>
    cfn.send(new CreateStackCommand({ StackName: name, TemplateBody: body(template), Parameters: Object.entries(parameters).map(([ParameterKey, ParameterValue]) => ({ ParameterKey, ParameterValue })) }));

  it('refuses a stack whose assertion fails, with its AssertDescription, and creates nothing', async () => {
    const refused = await rejectionOf(create('rules-dev', { Env: 'dev' }));
    expect(refused).toMatchObject({ name: 'ValidationError', message: 'Env must be prod' });
    expect(await stackExists('rules-dev')).toBe(false);
  });

  it('checks a rule only when its RuleCondition holds, and list parameters member by member', async () => {
    expect(await rejectionOf(create('rules-small', { Env: 'prod' }))).toMatchObject({ message: 'In prod, Size must be large or xlarge' });
    expect(await rejectionOf(create('rules-zones', { Env: 'prod', Size: 'large', Zones: 'a,d' }))).toMatchObject({ message: 'Zones must be among a, b, c' });
    await create('rules-ok', { Env: 'prod', Size: 'large' });
    expect((await waitForStack(cfn, 'rules-ok')).StackStatus).toBe('CREATE_COMPLETE');
  });

  it('has ValidateTemplate check only the shape: assertions pass unevaluated, other functions are refused', async () => {
    await cfn.send(new ValidateTemplateCommand({ TemplateBody: body(template) }));
    const bad = { Parameters: { Env: { Type: 'String' } }, Rules: { Bad: { Assertions: [{ Assert: { 'Fn::Join': ['', [{ Ref: 'Env' }]] } }] } }, Resources: template.Resources } as CfnTemplate;
    expect(await rejectionOf(cfn.send(new ValidateTemplateCommand({ TemplateBody: body(bad) })))).toMatchObject({ name: 'ValidationError', message: expect.stringMatching(/^Template format error: Rule Bad: Fn::Join is not a rule function/) });
  });
});
