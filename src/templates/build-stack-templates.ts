import { componentsFor, type ComponentName } from '../model/components';
import { buildBastionTemplate } from './bastion';
import { buildClusterTemplate } from './cluster';
import type { ComponentTemplate, StackTemplateInput } from './component-template';
import { buildDatabaseTemplate } from './database';
import { buildEndpointsTemplate } from './endpoints';
import { buildFrontendTemplate } from './frontend';
import { buildNatTemplate } from './nat';
import { buildNetworkTemplate } from './network';
import { buildSecretsTemplate } from './secrets';
import { buildSecurityTemplate } from './security';

const BUILDERS: Record<ComponentName, (input: StackTemplateInput) => ComponentTemplate> = {
  network: buildNetworkTemplate,
  nat: buildNatTemplate,
  security: buildSecurityTemplate,
  endpoints: buildEndpointsTemplate,
  secrets: buildSecretsTemplate,
  database: buildDatabaseTemplate,
  cluster: buildClusterTemplate,
  frontend: buildFrontendTemplate,
  bastion: buildBastionTemplate,
};

/**
 * The CloudFormation template of one component, with where its parameters come from, or
 * undefined when the request does not deploy that component. Pure: no AWS calls.
 */
export function buildComponentTemplate(input: StackTemplateInput, component: ComponentName): ComponentTemplate | undefined {
  return componentsFor(input.request).includes(component) ? BUILDERS[component](input) : undefined;
}

/**
 * The CloudFormation template of every component the request deploys, in componentsFor's
 * (dependency-respecting) order, each with where its parameters come from. Pure: no AWS calls.
 */
export function buildStackTemplates(input: StackTemplateInput): ComponentTemplate[] {
  return componentsFor(input.request).flatMap((component) => buildComponentTemplate(input, component) ?? []);
}
