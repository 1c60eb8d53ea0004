import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AwsResponse } from '../contracts';
import type { EdgeRoute } from '../edge/edge-server';
import { REPOSITORY_ROOT } from '../runtime/service-definition';

/**
 * GET /_groundwork/templates/onboarding-role.yaml on the edge: what ONBOARDING_TEMPLATE_URL
 * points at locally (in AWS, the template bucket), so the sandbox account's CreateStack with a
 * TemplateURL, and a person with curl, fetch the real cfn/onboarding-role.yaml.
 */
export const TEMPLATES_PREFIX = '/_groundwork/templates/';

export function onboardingTemplateRoute(root = REPOSITORY_ROOT): EdgeRoute {
  const templates: Record<string, string> = { 'onboarding-role.yaml': join(root, 'cfn', 'onboarding-role.yaml') };
  return {
    prefix: TEMPLATES_PREFIX,
    handle: async (request): Promise<AwsResponse> => {
      const file = templates[request.path.slice(TEMPLATES_PREFIX.length)];
      if (!file) return { status: 404, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ message: `No template ${request.path}` }) };
      if (request.method !== 'GET' && request.method !== 'HEAD') return { status: 405, headers: { allow: 'GET, HEAD' }, body: '' };
      // Read on every request, so an edited template is what the next customer launches.
      return { status: 200, headers: { 'content-type': 'text/yaml; charset=utf-8' }, body: request.method === 'HEAD' ? '' : readFileSync(file, 'utf8') };
    },
  };
}
