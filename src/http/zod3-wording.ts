import type * as z4 from 'zod/v4/core';

/**
 * A zod 4 error map that words the default messages as zod 3 did ("Required", "Expected string,
 * received number", "Number must be less than or equal to 100"…), so moving a schema to zod 4 does
 * not change the 400 problem bodies clients see. Messages a schema sets itself take precedence.
 * Issues with no zod 3 counterpart keep zod 4's wording.
 */
export const inZod3Words: z4.$ZodErrorMap = (issue) => {
  switch (issue.code) {
    case 'invalid_type': {
      const got = parsedType(issue.input);
      if (got === 'undefined') return 'Required';
      if (issue.expected === 'int') return `Expected integer, received ${got === 'number' ? 'float' : got}`;
      return `Expected ${issue.expected}, received ${got}`;
    }
    case 'too_small':
      return sizeMessage(issue.origin, issue.exact ? 'exactly' : issue.inclusive ? 'at least' : 'over', issue.exact ? 'exactly equal to' : issue.inclusive ? 'greater than or equal to' : 'greater than', issue.minimum);
    case 'too_big':
      return sizeMessage(issue.origin, issue.exact ? 'exactly' : issue.inclusive ? 'at most' : 'under', issue.exact ? 'exactly' : issue.inclusive ? 'less than or equal to' : 'less than', issue.maximum);
    case 'invalid_format':
      if (issue.format === 'regex') return 'Invalid';
      if (issue.format === 'starts_with') return `Invalid input: must start with "${String(issue['prefix'])}"`;
      if (issue.format === 'ends_with') return `Invalid input: must end with "${String(issue['suffix'])}"`;
      if (issue.format === 'includes') return `Invalid input: must include "${String(issue['includes'])}"`;
      return `Invalid ${issue.format}`;
    case 'invalid_value':
      return issue.inst !== undefined && 'type' in issue.inst._zod.def && issue.inst._zod.def.type === 'literal'
        ? `Invalid literal value, expected ${JSON.stringify(issue.values[0])}`
        : `Invalid enum value. Expected ${issue.values.map((value) => (typeof value === 'string' ? `'${value}'` : String(value))).join(' | ')}, received '${String(issue.input)}'`;
    case 'not_multiple_of':
      return `Number must be a multiple of ${String(issue.divisor)}`;
    case 'invalid_union':
    case 'custom':
      return 'Invalid input';
    default:
      return undefined;
  }
};

function sizeMessage(origin: string, stringBound: string, numberBound: string, bound: number | bigint): string | undefined {
  if (origin === 'string') return `String must contain ${stringBound} ${String(bound)} character(s)`;
  if (origin === 'array') return `Array must contain ${stringBound === 'over' ? 'more than' : stringBound === 'under' ? 'less than' : stringBound} ${String(bound)} element(s)`;
  if (origin === 'number' || origin === 'int') return `Number must be ${numberBound} ${String(bound)}`;
  return undefined;
}

/** zod 3's names for what it received. */
function parsedType(input: unknown): string {
  if (input === null) return 'null';
  if (Array.isArray(input)) return 'array';
  if (typeof input === 'number') return Number.isNaN(input) ? 'nan' : 'number';
  if (input instanceof Date) return 'date';
  if (input instanceof Map) return 'map';
  if (input instanceof Set) return 'set';
  if (input instanceof Promise) return 'promise';
  return typeof input;
}
