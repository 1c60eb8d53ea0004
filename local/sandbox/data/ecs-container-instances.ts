/**
 * What an EC2 instance offers ECS when it registers as a container instance: CPU units (1,024 per
 * vCPU), memory (MiB) and how many network interfaces it can attach (its primary one included), for
 * the types Groundwork prices (src/cost/price-table.ts) and the other sizes of their families.
 * Sources and dates: local/sandbox/data/README.md, "ECS container instances".
 *
 * ECS counts 1,024 CPU units per vCPU ("You can determine the number of CPU units that are available
 * per EC2 instance type by multiplying the vCPUs listed for that instance type … by 1,024", ECS API
 * Reference, ContainerDefinition `cpu`). Memory is the type's installed memory; the agent registers
 * less ("Because of platform memory overhead and memory occupied by the system kernel, this number is
 * different than the installed memory amount", ECS Developer Guide, "Reserving Amazon ECS Linux
 * container instance memory"), by an amount AWS does not give per type, so a task sized to the last
 * MiB may be placed here where AWS would refuse it. The network interfaces are EC2's "maximum network
 * interfaces" per type; an awsvpc task takes one, the instance's primary interface is its own, and none of these
 * families is counted with ENI trunking (t4g and t3 are not eligible; aws/containers-roadmap#1094).
 */
export const ECS_CONTAINER_INSTANCES_AS_OF = '2026-12-06';

export interface ContainerInstanceCapacity {
  cpu: number;
  memory: number;
  networkInterfaces: number;
}

/** [vCPUs, memory GiB, maximum network interfaces], by instance type. */
const TYPES: Readonly<Record<string, readonly [number, number, number]>> = {
  't4g.nano': [2, 0.5, 2],
  't4g.micro': [2, 1, 2],
  't4g.small': [2, 2, 3],
  't4g.medium': [2, 4, 3],
  't4g.large': [2, 8, 3],
  't4g.xlarge': [4, 16, 4],
  't4g.2xlarge': [8, 32, 4],
  't3.nano': [2, 0.5, 2],
  't3.micro': [2, 1, 2],
  't3.small': [2, 2, 3],
  't3.medium': [2, 4, 3],
  't3.large': [2, 8, 3],
  't3.xlarge': [4, 16, 4],
  't3.2xlarge': [8, 32, 4],
  'm6g.medium': [1, 4, 2],
  'm6g.large': [2, 8, 3],
  'm6g.xlarge': [4, 16, 4],
  'm6g.2xlarge': [8, 32, 4],
  'm6g.4xlarge': [16, 64, 8],
  'm7g.medium': [1, 4, 2],
  'm7g.large': [2, 8, 3],
  'm7g.xlarge': [4, 16, 4],
  'm7g.2xlarge': [8, 32, 4],
  'm7g.4xlarge': [16, 64, 8],
  'c7g.medium': [1, 2, 2],
  'c7g.large': [2, 4, 3],
  'c7g.xlarge': [4, 8, 4],
  'c7g.2xlarge': [8, 16, 4],
  'c7g.4xlarge': [16, 32, 8],
};

/** What an instance of this type registers with ECS; undefined for a type outside the data. */
export function containerInstanceCapacity(instanceType: string): ContainerInstanceCapacity | undefined {
  const entry = TYPES[instanceType];
  if (entry === undefined) return undefined;
  const [vcpus, gib, networkInterfaces] = entry;
  return { cpu: vcpus * 1024, memory: gib * 1024, networkInterfaces };
}
