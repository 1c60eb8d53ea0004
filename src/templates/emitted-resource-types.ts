import { buildStackTemplates } from './build-stack-templates';
import { allCombinations } from './option-combinations';

/**
 * Every CloudFormation resource type Groundwork's template builders can emit, over every option
 * combination of a stack request, sorted. The access role accepts only templates made of these
 * (cloudformation:ResourceTypes) and the execution role holds exactly their handlers' permissions;
 * both are generated from this list (scripts/write-onboarding-policies.ts), never typed.
 */
export function emittedResourceTypes(): string[] {
  const types = new Set<string>();
  for (const { input } of allCombinations()) {
    for (const { template } of buildStackTemplates(input)) for (const resource of Object.values(template.Resources)) types.add(resource.Type);
  }
  return [...types].sort();
}
