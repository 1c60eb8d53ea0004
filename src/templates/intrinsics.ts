import type { CfnValue } from '../cfn/template-types';

/** CloudFormation intrinsic functions as typed helpers, so templates read like the JSON they become. */

export const ref = (name: string): CfnValue => ({ Ref: name });

export const getAtt = (logicalId: string, attribute: string): CfnValue => ({ 'Fn::GetAtt': [logicalId, attribute] });

/** `Fn::Sub`; a `${Name}` in the text names a parameter, resource or pseudo parameter, `${!x}` is a literal `${x}`. */
export const sub = (text: string, variables?: { [name: string]: CfnValue }): CfnValue =>
  variables === undefined ? { 'Fn::Sub': text } : { 'Fn::Sub': [text, variables] };

export const join = (separator: string, values: CfnValue[]): CfnValue => ({ 'Fn::Join': [separator, values] });

export const select = (index: number, list: CfnValue): CfnValue => ({ 'Fn::Select': [index, list] });

export const base64 = (value: CfnValue): CfnValue => ({ 'Fn::Base64': value });
