import { TemplateResolutionError } from '../../../local/sandbox/errors';
import { TemplateEvaluator } from '../../../local/sandbox/template-evaluator';

const stack = { stackId: 'arn:aws:cloudformation:us-east-1:123456789012:stack/demo/1', stackName: 'demo', account: '123456789012', region: 'us-east-1', parameters: { VpcCidr: '10.20.0.0/16' } };

describe('the sandbox evaluator: Fn::Cidr', () => {
  it('carves the subnet a template selects from a parameter block, as CloudFormation would', () => {
    const evaluator = new TemplateEvaluator({ Parameters: { VpcCidr: { Type: 'String' } }, Resources: {} }, stack);

    const subnet = evaluator.value({ 'Fn::Select': [2, { 'Fn::Cidr': [{ Ref: 'VpcCidr' }, '6', '8'] }] });

    expect(subnet).toBe('10.20.2.0/24');
  });

  it('divides an IPv6 block', () => {
    const evaluator = new TemplateEvaluator({ Resources: {} }, stack);

    expect(evaluator.value({ 'Fn::Cidr': ['2001:db8:1234:1a00::/56', 2, 64] })).toEqual(['2001:db8:1234:1a00::/64', '2001:db8:1234:1a01::/64']);
  });

  it('fails the template with a template error when the blocks do not fit', () => {
    const evaluator = new TemplateEvaluator({ Resources: {} }, stack);

    const act = () => evaluator.value({ 'Fn::Cidr': ['10.0.0.0/24', 1, 9] });

    expect(act).toThrow(TemplateResolutionError);
    expect(act).toThrow('Template error: Fn::Cidr blocks of 9 bits do not fit in 10.0.0.0/24');
  });
});
