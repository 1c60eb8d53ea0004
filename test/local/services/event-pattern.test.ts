import { assertValidPattern, InvalidEventPatternError, matchesPattern } from '../../../local/services/event-pattern';

const stackEvent = {
  version: '0',
  id: 'e-1',
  'detail-type': 'CloudFormation Stack Status Change',
  source: 'aws.cloudformation',
  account: '123456789012',
  time: '2025-01-01T00:00:00Z',
  region: 'us-east-1',
  resources: ['arn:aws:cloudformation:us-east-1:123456789012:stack/groundwork-s1-network/abc'],
  detail: {
    'stack-id': 'arn:aws:cloudformation:us-east-1:123456789012:stack/groundwork-s1-network/abc',
    'status-details': { status: 'CREATE_COMPLETE', 'status-reason': '' },
    attempts: 3,
    tags: ['a', 'b'],
    resources: [{ type: 'AWS::EC2::VPC', ip: '10.0.1.5' }, { type: 'AWS::EC2::Subnet' }],
    nothing: null,
  },
};

describe('matchesPattern (EventBridge event patterns)', () => {
  it.each<[string, object, boolean]>([
    ['exact values on top-level fields', { source: ['aws.cloudformation'], 'detail-type': ['CloudFormation Stack Status Change'] }, true],
    ['any of several values', { source: ['aws.ec2', 'aws.cloudformation'] }, true],
    ['a value that differs', { source: ['aws.ec2'] }, false],
    ['nested fields', { detail: { 'status-details': { status: ['CREATE_COMPLETE'] } } }, true],
    ['a nested field that differs', { detail: { 'status-details': { status: ['CREATE_FAILED'] } } }, false],
    ['a field the event lacks', { detail: { missing: ['x'] } }, false],
    ['an event array: any element', { detail: { tags: ['b'] } }, true],
    ['an event array: no element', { detail: { tags: ['c'] } }, false],
    ['a list of objects: any object', { detail: { resources: { type: ['AWS::EC2::Subnet'] } } }, true],
    ['numbers exactly', { detail: { attempts: [3] } }, true],
    ['a string is not the number', { detail: { attempts: ['3'] } }, false],
    ['null', { detail: { nothing: [null] } }, true],
    ['prefix', { resources: [{ prefix: 'arn:aws:cloudformation:us-east-1:123456789012:stack/groundwork-' }] }, true],
    ['prefix that does not start it', { resources: [{ prefix: 'arn:aws:s3' }] }, false],
    ['prefix ignoring case', { source: [{ prefix: { 'equals-ignore-case': 'AWS.CLOUD' } }] }, true],
    ['suffix', { 'detail-type': [{ suffix: 'Status Change' }] }, true],
    ['equals-ignore-case', { 'detail-type': [{ 'equals-ignore-case': 'cloudformation stack status change' }] }, true],
    ['wildcard', { detail: { 'stack-id': [{ wildcard: '*:stack/groundwork-*-network/*' }] } }, true],
    ['anything-but a value', { detail: { 'status-details': { status: [{ 'anything-but': 'CREATE_FAILED' }] } } }, true],
    ['anything-but the value itself', { detail: { 'status-details': { status: [{ 'anything-but': ['CREATE_COMPLETE', 'DELETE_COMPLETE'] }] } } }, false],
    ['anything-but a prefix', { source: [{ 'anything-but': { prefix: 'aws.' } }] }, false],
    ['anything-but on a missing field', { detail: { missing: [{ 'anything-but': 'x' }] } }, false],
    ['exists: true on a present field', { detail: { attempts: [{ exists: true }] } }, true],
    ['exists: true on a missing field', { detail: { missing: [{ exists: true }] } }, false],
    ['exists: false on a missing field', { detail: { missing: [{ exists: false }] } }, true],
    ['exists: false under a missing object', { nowhere: { deeper: [{ exists: false }] } }, true],
    ['exists: false on a present field', { detail: { attempts: [{ exists: false }] } }, false],
    ['numeric range', { detail: { attempts: [{ numeric: ['>', 0, '<=', 3] }] } }, true],
    ['numeric out of range', { detail: { attempts: [{ numeric: ['>=', 4] }] } }, false],
    ['numeric on a string', { source: [{ numeric: ['>', 0] }] }, false],
    ['cidr', { detail: { resources: { ip: [{ cidr: '10.0.0.0/16' }] } } }, true],
    ['cidr elsewhere', { detail: { resources: { ip: [{ cidr: '10.1.0.0/16' }] } } }, false],
    ['$or: one alternative holds', { $or: [{ source: ['aws.ec2'] }, { detail: { attempts: [3] } }] }, true],
    ['$or: none holds', { $or: [{ source: ['aws.ec2'] }, { detail: { attempts: [4] } }] }, false],
    ['every field must match', { source: ['aws.cloudformation'], detail: { attempts: [4] } }, false],
    ['an empty pattern', {}, true],
  ])('%s', (_name, pattern, expected) => {
    expect(matchesPattern(pattern, stackEvent)).toBe(expected);
  });

  it.each<[string, unknown]>([
    ['a leaf that is not a list', { source: 'aws.cloudformation' }],
    ['an unknown operator', { source: [{ regex: '.*' }] }],
    ['numeric with a bad operator', { detail: { n: [{ numeric: ['!=', 1] }] } }],
    ['exists with a string', { source: [{ exists: 'yes' }] }],
    ['$or with one alternative', { $or: [{ source: ['a'] }] }],
    ['a pattern that is not an object', ['aws.cloudformation']],
  ])('refuses %s', (_name, pattern) => {
    expect(() => assertValidPattern(pattern)).toThrow(InvalidEventPatternError);
  });
});
