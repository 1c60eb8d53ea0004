import { parse, YAMLParseError, type ScalarTag, type CollectionTag } from 'yaml';
import { indentQuotedContinuations } from './quoted-continuations';
import type { CfnTemplate } from './template-types';

/** The short-form intrinsic tags (`!Ref`, `!GetAtt`, `!Sub` …) read into their long JSON form. */
const intrinsics = [
  'Base64', 'Cidr', 'FindInMap', 'GetAZs', 'ImportValue', 'Join', 'Select', 'Split', 'Sub', 'Transform',
  'And', 'Equals', 'If', 'Not', 'Or', 'Condition', 'Length', 'ToJsonString',
];

function tagsFor(name: string): Array<ScalarTag | CollectionTag> {
  const key = name === 'Condition' ? 'Condition' : `Fn::${name}`;
  return [
    { tag: `!${name}`, resolve: (value: unknown) => ({ [key]: value }) } as ScalarTag,
    { tag: `!${name}`, collection: 'seq', resolve: (seq: { toJSON(): unknown }) => ({ [key]: seq.toJSON() }) } as CollectionTag,
    { tag: `!${name}`, collection: 'map', resolve: (map: { toJSON(): unknown }) => ({ [key]: map.toJSON() }) } as CollectionTag,
  ];
}

const customTags: Array<ScalarTag | CollectionTag> = [
  { tag: '!Ref', resolve: (value: string) => ({ Ref: value }) } as ScalarTag,
  {
    tag: '!GetAtt',
    resolve: (value: string) => {
      const dot = value.indexOf('.');
      return { 'Fn::GetAtt': [value.slice(0, dot), value.slice(dot + 1)] };
    },
  } as ScalarTag,
  { tag: '!GetAtt', collection: 'seq', resolve: (seq: { toJSON(): unknown }) => ({ 'Fn::GetAtt': seq.toJSON() }) } as CollectionTag,
  ...intrinsics.flatMap(tagsFor),
];

/**
 * Reads a CloudFormation template written in YAML (short or long intrinsic forms) or JSON. A text
 * the `yaml` package refuses is read again with the quoted continuations CloudFormation accepts
 * re-indented (quoted-continuations.ts); if that fails too, the first error stands.
 */
export function readTemplate(text: string): CfnTemplate {
  try {
    return parse(text, { customTags, uniqueKeys: true }) as CfnTemplate;
  } catch (error) {
    if (!(error instanceof YAMLParseError)) throw error;
    const reindented = indentQuotedContinuations(text);
    if (reindented === text) throw error;
    try {
      return parse(reindented, { customTags, uniqueKeys: true }) as CfnTemplate;
    } catch {
      throw error;
    }
  }
}
