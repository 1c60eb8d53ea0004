import type { CfnTemplate } from '../../src/cfn/template-types';
import { ValidationError } from './errors';

/**
 * Fn::Length and Fn::ToJsonString exist only in templates that declare the AWS::LanguageExtensions
 * transform ("To use this intrinsic function, you must add the AWS::LanguageExtensions transform to
 * your template": Template Reference, Fn::Length,
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/intrinsic-function-reference-length.html,
 * and Fn::ToJsonString; read 2026-12-06). Without it CloudFormation refuses the template as one
 * using an unsupported function. AWS does not document that message; this is its wording for an
 * unsupported function as public reports quote it (not found in a stored source).
 */

const EXTENSION_FUNCTIONS = new Set(['Fn::Length', 'Fn::ToJsonString']);
const SUPPORTED = 'Fn::Base64, Fn::GetAtt, Fn::GetAZs, Fn::ImportValue, Fn::Join, Fn::Split, Fn::FindInMap, Fn::Select, Ref, Fn::Equals, Fn::If, Fn::Not, Condition, Fn::And, Fn::Or, Fn::Contains, Fn::EachMemberEquals, Fn::EachMemberIn, Fn::ValueOf, Fn::ValueOfAll, Fn::RefAll, Fn::Sub, Fn::Cidr';

export function checkLanguageExtensions(template: CfnTemplate): void {
  if ([template.Transform ?? []].flat().includes('AWS::LanguageExtensions')) return;
  const found = firstExtensionFunction(template);
  if (found !== undefined) throw new ValidationError(`Template error: Encountered unsupported function: ${found} Supported functions are: [${SUPPORTED}]`);
}

function firstExtensionFunction(value: unknown): string | undefined {
  if (Array.isArray(value)) {
    for (const element of value) {
      const found = firstExtensionFunction(element);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  for (const [key, inner] of Object.entries(value)) {
    if (EXTENSION_FUNCTIONS.has(key)) return key;
    const found = firstExtensionFunction(inner);
    if (found !== undefined) return found;
  }
  return undefined;
}
