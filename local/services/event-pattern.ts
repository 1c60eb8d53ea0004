import { isIPv4 } from 'node:net';
import { InvalidEventPatternError } from './errors';

export { InvalidEventPatternError } from './errors';

/**
 * EventBridge event pattern matching, as documented for rules
 * (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns.html):
 * every field the pattern names must match; a leaf is a list of alternatives (exact values,
 * `prefix`, `suffix`, `equals-ignore-case`, `wildcard`, `anything-but`, `exists`, `numeric`,
 * `cidr`); an array in the event matches when any element does; `$or` takes alternative
 * sub-patterns. Not covered: lists inside `anything-but`'s operators (`{"anything-but": {"prefix": [..]}}`),
 * IPv6 `cidr`.
 */
export type EventPattern = Record<string, unknown>;

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const isScalar = (value: unknown): boolean => value === null || ['string', 'number', 'boolean'].includes(typeof value);

export function matchesPattern(pattern: object, event: object): boolean {
  assertValidPattern(pattern);
  return matchFields(pattern as EventPattern, event);
}

function matchFields(pattern: EventPattern, value: unknown): boolean {
  for (const [key, rule] of Object.entries(pattern)) {
    if (key === '$or') {
      if (!(rule as EventPattern[]).some((alternative) => matchFields(alternative, value))) return false;
      continue;
    }
    const field = isObject(value) ? value[key] : undefined;
    if (Array.isArray(rule)) {
      if (!matchLeaf(rule, field)) return false;
    } else if (Array.isArray(field) && field.some(isObject)) {
      // A list of objects matches when one of them does.
      if (!field.some((element) => matchFields(rule as EventPattern, element))) return false;
    } else if (!matchFields(rule as EventPattern, field)) {
      return false;
    }
  }
  return true;
}

function matchLeaf(matchers: unknown[], field: unknown): boolean {
  const values: unknown[] = field === undefined ? [] : Array.isArray(field) ? field : [field];
  return matchers.some((matcher) => {
    if (!isObject(matcher)) return values.some((value) => value === matcher);
    if ('exists' in matcher) return matcher['exists'] === true ? field !== undefined && !isObject(field) : field === undefined;
    return values.some((value) => matchOperator(matcher, value));
  });
}

function matchOperator(matcher: Record<string, unknown>, value: unknown): boolean {
  const [operator, argument] = Object.entries(matcher)[0] ?? [];
  switch (operator) {
    case 'prefix':
    case 'suffix': {
      if (typeof value !== 'string') return false;
      const ignoreCase = isObject(argument);
      const wanted = String(ignoreCase ? argument['equals-ignore-case'] : argument);
      const subject = ignoreCase ? value.toLowerCase() : value;
      const target = ignoreCase ? wanted.toLowerCase() : wanted;
      return operator === 'prefix' ? subject.startsWith(target) : subject.endsWith(target);
    }
    case 'equals-ignore-case':
      return typeof value === 'string' && value.toLowerCase() === String(argument).toLowerCase();
    case 'wildcard':
      return typeof value === 'string' && wildcardRegExp(String(argument)).test(value);
    case 'anything-but':
      if (value === undefined) return false;
      if (Array.isArray(argument)) return !argument.includes(value);
      if (isObject(argument)) return !matchOperator(argument, value);
      return value !== argument;
    case 'numeric':
      return typeof value === 'number' && numericHolds(argument as unknown[], value);
    case 'cidr':
      return typeof value === 'string' && inCidr(value, String(argument));
    default:
      return false;
  }
}

function numericHolds(conditions: unknown[], value: number): boolean {
  for (let i = 0; i < conditions.length; i += 2) {
    const bound = conditions[i + 1] as number;
    const holds = { '=': value === bound, '>': value > bound, '>=': value >= bound, '<': value < bound, '<=': value <= bound }[conditions[i] as '=' | '>' | '>=' | '<' | '<='];
    if (!holds) return false;
  }
  return true;
}

function wildcardRegExp(glob: string): RegExp {
  const escaped = glob.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
  return new RegExp(`^${escaped}$`, 's');
}

function inCidr(address: string, cidr: string): boolean {
  const [network = '', bits = '32'] = cidr.split('/');
  if (!isIPv4(address) || !isIPv4(network)) return false;
  const toNumber = (ip: string) => ip.split('.').reduce((sum, octet) => sum * 256 + Number(octet), 0);
  const size = 2 ** (32 - Number(bits));
  return Math.floor(toNumber(address) / size) === Math.floor(toNumber(network) / size);
}

const STRING_OPERATORS = new Set(['prefix', 'suffix', 'equals-ignore-case', 'wildcard']);
const NUMERIC_OPERATORS = new Set(['=', '>', '>=', '<', '<=']);

/** Refuses what EventBridge's PutRule would refuse as InvalidEventPatternException (the common cases). */
export function assertValidPattern(pattern: unknown, path = 'pattern'): void {
  if (!isObject(pattern)) throw new InvalidEventPatternError(`${path} must be a JSON object`);
  for (const [key, rule] of Object.entries(pattern)) {
    const at = `${path}.${key}`;
    if (key === '$or') {
      if (!Array.isArray(rule) || rule.length < 2) throw new InvalidEventPatternError(`${at} must list at least two alternatives`);
      rule.forEach((alternative, index) => assertValidPattern(alternative, `${at}[${index}]`));
    } else if (Array.isArray(rule)) {
      rule.forEach((matcher, index) => assertValidMatcher(matcher, `${at}[${index}]`));
    } else if (isObject(rule)) {
      assertValidPattern(rule, at);
    } else {
      throw new InvalidEventPatternError(`${at} must be an array of values or a nested pattern, not ${JSON.stringify(rule)}`);
    }
  }
}

function assertValidMatcher(matcher: unknown, at: string): void {
  if (isScalar(matcher)) return;
  if (!isObject(matcher) || Object.keys(matcher).length !== 1) throw new InvalidEventPatternError(`${at} must be a value or one operator object`);
  const [operator, argument] = Object.entries(matcher)[0] as [string, unknown];
  const fail = (why: string) => {
    throw new InvalidEventPatternError(`${at}: ${operator} ${why}`);
  };
  if (operator === 'exists') {
    if (typeof argument !== 'boolean') fail('takes true or false');
  } else if (operator === 'prefix' || operator === 'suffix') {
    const ignoreCase = isObject(argument) && Object.keys(argument).length === 1 && typeof argument['equals-ignore-case'] === 'string';
    if (typeof argument !== 'string' && !ignoreCase) fail('takes a string or {"equals-ignore-case": string}');
  } else if (STRING_OPERATORS.has(operator)) {
    if (typeof argument !== 'string') fail('takes a string');
  } else if (operator === 'anything-but') {
    if (Array.isArray(argument)) {
      if (argument.length === 0 || !argument.every(isScalar)) fail('takes a non-empty list of values');
    } else if (isObject(argument)) {
      const [inner] = Object.keys(argument);
      if (Object.keys(argument).length !== 1 || !inner || !STRING_OPERATORS.has(inner)) fail('takes a value, a list, or one of prefix, suffix, equals-ignore-case, wildcard');
      assertValidMatcher(argument, `${at}.anything-but`);
    } else if (!isScalar(argument)) {
      fail('takes a value or a list');
    }
  } else if (operator === 'numeric') {
    const valid =
      Array.isArray(argument) &&
      (argument.length === 2 || argument.length === 4) &&
      argument.every((item, index) => (index % 2 === 0 ? NUMERIC_OPERATORS.has(item as string) : typeof item === 'number'));
    if (!valid) fail('takes [op, number] or [op, number, op, number] with op one of = > >= < <=');
  } else if (operator === 'cidr') {
    if (typeof argument !== 'string' || !/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/.test(argument)) fail('takes an IPv4 CIDR block');
  } else {
    fail('is not an EventBridge pattern operator');
  }
}
