import { stackRequestSchema } from '../../src/model/stack-request';

describe('stack request schema', () => {
  it('fills the product defaults: 3 AZs, NAT instance, ALB, PostgreSQL, no bastion', () => {
    const request = stackRequestSchema.parse({ name: 'shop', accountId: 'acc_abcdefghij0123456789' });
    expect(request.network).toEqual({ azCount: 3, nat: 'instance' });
    expect(request.frontend.type).toBe('alb');
    expect(request.database?.engine).toBe('postgres');
    expect(request.bastion.enabled).toBe(false);
    expect(request.compute?.containerPort).toBe(8080);
  });

  it('refuses impossible combinations field by field', () => {
    const result = stackRequestSchema.safeParse({
      name: 'shop',
      accountId: 'acc_abcdefghij0123456789',
      compute: null,
      frontend: { type: 'alb' },
      bastion: { enabled: true, allowedCidr: '0.0.0.0/0' },
      network: { nat: 'none', endpoints: false, surprise: 1 },
    });
    expect(result.success).toBe(false);
    const paths = result.error?.issues.map((i) => i.path.join('.')).sort();
    expect(paths).toEqual(['bastion.allowedCidr', 'network', 'network.endpoints', 'frontend.type'].sort());
  });

  it('refuses a key name that would be a CloudFormation dynamic reference', () => {
    const result = stackRequestSchema.safeParse({
      name: 'shop',
      accountId: 'acc_abcdefghij0123456789',
      bastion: { enabled: true, allowedCidr: '203.0.113.0/24', keyName: '{{resolve:secretsmanager:prod/db:SecretString:password}}' },
    });
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => i.path.join('.'))).toEqual(['bastion.keyName']);
    expect(stackRequestSchema.safeParse({ name: 'shop', accountId: 'acc_abcdefghij0123456789', bastion: { enabled: true, allowedCidr: '203.0.113.0/24', keyName: 'ops key-1' } }).success).toBe(true);
  });
});
