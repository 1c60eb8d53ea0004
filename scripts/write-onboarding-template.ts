// Rewrites the generated blocks of cfn/onboarding-role.yaml (scripts/onboarding-policies.ts).
import { readFileSync, writeFileSync } from 'node:fs';
import { generateOnboardingTemplate } from './onboarding-policies';

const file = 'cfn/onboarding-role.yaml';
writeFileSync(file, await generateOnboardingTemplate(readFileSync(file, 'utf8')));
console.log(`wrote ${file}`);
