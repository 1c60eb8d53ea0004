/**
 * The CPU credit mode of the burstable (T) instances Groundwork launches.
 *
 * T3, T3a and T4g instances launch in `unlimited` mode unless told otherwise: "Default: standard
 * (T2 instances) or unlimited (T3/T3a/T4g instances)" (EC2 API Reference, RunInstances,
 * CreditSpecification; read 2026-12-06 in the AWS SDK for Kotlin reference of RunInstancesRequest).
 * In `unlimited` mode CPU above the baseline, averaged over 24 hours, is billed as surplus credits
 * per vCPU-hour; in `standard` mode the instance slows to its baseline instead, so its bill is its
 * hourly price. Groundwork's instances (the NAT, the bastion, small container instances) need
 * little CPU, and a bill that cannot grow matters more to its customers than bursts.
 *
 * The property is spelled differently by the two resource types (CloudFormation Template
 * Reference, read 2026-12-06):
 * - AWS::EC2::Instance `CreditSpecification: { CPUCredits: standard | unlimited }`
 *   ("AWS::EC2::Instance CreditSpecification");
 * - AWS::EC2::LaunchTemplate `LaunchTemplateData.CreditSpecification: { CpuCredits: standard | unlimited }`
 *   ("AWS::EC2::LaunchTemplate CreditSpecification").
 * RDS has no such setting: AWS::RDS::DBInstance has no credit property (its registry schema allows
 * no other properties), and RDS T4g/T3 classes always run in Unlimited mode (see src/cost/).
 */
export type CpuCredits = 'standard' | 'unlimited';

/** The mode Groundwork sets wherever it launches a burstable instance. */
export const CPU_CREDITS: CpuCredits = 'standard';

/** `CreditSpecification` of an AWS::EC2::Instance. */
export const INSTANCE_CREDIT_SPECIFICATION = { CPUCredits: CPU_CREDITS } as const;

/** `LaunchTemplateData.CreditSpecification` of an AWS::EC2::LaunchTemplate. */
export const LAUNCH_TEMPLATE_CREDIT_SPECIFICATION = { CpuCredits: CPU_CREDITS } as const;

/** The burstable families EC2 offers credit modes for (EC2 API Reference, InstanceFamilyCreditSpecification). */
const BURSTABLE_FAMILY = /^(t2|t3|t3a|t4g)\./;

/** What EC2 launches an instance type in when the template sets no credit mode; undefined when it is not burstable. */
export function defaultCpuCredits(instanceType: string): CpuCredits | undefined {
  const family = BURSTABLE_FAMILY.exec(instanceType)?.[1];
  if (family === undefined) return undefined;
  return family === 't2' ? 'standard' : 'unlimited';
}

/**
 * What each component's template sets for its instances: `standard` (set on burstable types only:
 * other families have no credits), or `ec2-default` where the template sets no CreditSpecification
 * and EC2's default for the type applies. The cost estimate
 * states these; test/templates/credit-specification.test.ts checks them against the built
 * templates, so a template that starts or stops setting the mode must change this table too.
 */
export const TEMPLATE_CPU_CREDITS: Readonly<Record<'bastion' | 'nat' | 'cluster', CpuCredits | 'ec2-default'>> = {
  bastion: 'standard',
  nat: 'standard',
  cluster: 'standard',
};

export type InstanceComponent = keyof typeof TEMPLATE_CPU_CREDITS;

/** The credit mode a component's instances of this type run in; undefined when the type is not burstable. */
export function cpuCreditsOf(component: InstanceComponent, instanceType: string): CpuCredits | undefined {
  const fallback = defaultCpuCredits(instanceType);
  if (fallback === undefined) return undefined;
  const set = TEMPLATE_CPU_CREDITS[component];
  return set === 'ec2-default' ? fallback : set;
}
