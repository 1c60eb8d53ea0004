import { buildStackTemplates } from './build-stack-templates';
import { allCombinations, serviceCombinations } from './option-combinations';
import { buildServiceTemplate } from './service';

/**
 * Every CloudFormation resource type Groundwork's template builders can emit, over every option
 * combination of a stack request and of a service on it, sorted. The access role accepts only templates made of these
 * (cloudformation:ResourceTypes) and the execution role holds exactly their handlers' permissions;
 * both are generated from this list (scripts/write-onboarding-policies.ts), never typed.
 */
export function emittedResourceTypes(): string[] {
  const types = new Set<string>();
  for (const { input } of allCombinations()) {
    for (const { template } of buildStackTemplates(input)) for (const resource of Object.values(template.Resources)) types.add(resource.Type);
  }
  for (const { input, service } of serviceCombinations()) {
    for (const resource of Object.values(buildServiceTemplate(input, service).template.Resources)) types.add(resource.Type);
  }
  return [...types].sort();
}
