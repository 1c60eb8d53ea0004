import type { CfnResource, CfnTemplate, CfnValue } from '../../src/cfn/template-types';
import type { ComponentName } from '../../src/model/components';
import type { ComponentTemplate } from '../../src/templates/component-template';

/** Small readers over built templates, so tests say what they look for. */

export function componentTemplate(templates: ComponentTemplate[], component: ComponentName): ComponentTemplate {
  const found = templates.find((t) => t.component === component);
  if (!found) throw new Error(`no ${component} template among ${templates.map((t) => t.component).join(', ')}`);
  return found;
}

export function resourcesOfType(template: CfnTemplate, type: string): Array<[string, CfnResource]> {
  return Object.entries(template.Resources).filter(([, resource]) => resource.Type === type);
}

export function resource(template: CfnTemplate, logicalId: string): CfnResource {
  const found = template.Resources[logicalId];
  if (!found) throw new Error(`no resource ${logicalId}; have ${Object.keys(template.Resources).join(', ')}`);
  return found;
}

export function props(template: CfnTemplate, logicalId: string): { [key: string]: CfnValue } {
  return resource(template, logicalId).Properties ?? {};
}

/** Every [path, value] pair under a value, depth first. */
export function* walk(value: CfnValue | undefined, path = ''): Generator<[string, CfnValue]> {
  if (value === undefined) return;
  yield [path, value];
  if (Array.isArray(value)) {
    for (const [index, element] of value.entries()) yield* walk(element, `${path}[${index}]`);
  } else if (value !== null && typeof value === 'object') {
    for (const [key, element] of Object.entries(value)) yield* walk(element, path === '' ? key : `${path}.${key}`);
  }
}

/** The text of an Fn::Sub, or the plain string. */
export function subText(value: CfnValue | undefined): string {
  if (typeof value === 'string') return value;
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const argument = value['Fn::Sub'];
    if (typeof argument === 'string') return argument;
    if (Array.isArray(argument) && typeof argument[0] === 'string') return argument[0];
    const inner = value['Fn::Base64'];
    if (inner !== undefined) return subText(inner);
  }
  throw new Error(`not a string or Fn::Sub: ${JSON.stringify(value)}`);
}
