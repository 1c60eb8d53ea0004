import type { CfnValue } from '../../src/cfn/template-types';
import { buildStackTemplates } from '../../src/templates/build-stack-templates';
import {
  cpuCreditsOf,
  defaultCpuCredits,
  INSTANCE_CREDIT_SPECIFICATION,
  LAUNCH_TEMPLATE_CREDIT_SPECIFICATION,
  TEMPLATE_CPU_CREDITS,
  type InstanceComponent,
} from '../../src/templates/credit-specification';
import { OPERATORS_CIDR, templateInput } from './fixtures';
import { resourcesOfType } from './template-queries';

/** Every EC2 launch in a built stack: the component, the instance type and the credit property it sets. */
function launches(compute: string) {
  const templates = buildStackTemplates(
    templateInput({ network: { nat: 'instance' }, compute: { instanceType: compute }, bastion: { enabled: true, allowedCidr: OPERATORS_CIDR } }),
  );
  return templates.flatMap(({ component, template }) => [
    ...resourcesOfType(template, 'AWS::EC2::Instance').map(([, r]) => ({ component, properties: r.Properties ?? {}, key: 'CPUCredits' })),
    ...resourcesOfType(template, 'AWS::EC2::LaunchTemplate').map(([, r]) => ({
      component,
      properties: ((r.Properties ?? {})['LaunchTemplateData'] ?? {}) as { [key: string]: CfnValue },
      key: 'CpuCredits',
    })),
  ]);
}

describe('CPU credit modes', () => {
  it('follows EC2: T3, T3a and T4g default to unlimited, T2 to standard, other families have none', () => {
    expect(['t4g.nano', 't3.micro', 't3a.large', 't2.micro', 'm7g.large', 'c7gn.xlarge'].map(defaultCpuCredits)).toEqual([
      'unlimited',
      'unlimited',
      'unlimited',
      'standard',
      undefined,
      undefined,
    ]);
    expect(INSTANCE_CREDIT_SPECIFICATION).toEqual({ CPUCredits: 'standard' });
    expect(LAUNCH_TEMPLATE_CREDIT_SPECIFICATION).toEqual({ CpuCredits: 'standard' });
  });

  it.each(['t4g.small', 'm7i.large'])('says of every template that launches instances what it really sets (cluster on %s)', (compute) => {
    const found = launches(compute);
    expect(new Set(found.map((launch) => launch.component))).toEqual(new Set(['nat', 'cluster', 'bastion']));
    for (const { component, properties, key } of found) {
      const declared = TEMPLATE_CPU_CREDITS[component as InstanceComponent];
      const burstable = defaultCpuCredits(properties['InstanceType'] as string) !== undefined;
      const set = properties['CreditSpecification'] as { [key: string]: CfnValue } | undefined;
      // The table the estimate reads must match the template: `standard` set on a burstable type, or nothing set.
      expect({ component, set }).toEqual({ component, set: declared === 'standard' && burstable ? { [key]: 'standard' } : undefined });
    }
  });

  it('gives the mode an instance runs in: the template\'s, else EC2\'s default, and none for a type without credits', () => {
    expect(cpuCreditsOf('bastion', 't4g.nano')).toBe('standard');
    expect(cpuCreditsOf('cluster', 'm7g.large')).toBeUndefined();
    const leftToEc2 = (Object.keys(TEMPLATE_CPU_CREDITS) as InstanceComponent[]).filter((component) => TEMPLATE_CPU_CREDITS[component] === 'ec2-default');
    for (const component of leftToEc2) {
      expect(cpuCreditsOf(component, 't4g.small')).toBe('unlimited');
      expect(cpuCreditsOf(component, 't2.micro')).toBe('standard');
    }
  });
});
