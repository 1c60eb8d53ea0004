/**
 * Lambda runtimes: every identifier Lambda's API knows, and those whose function create Lambda now
 * blocks. Dated data with its sources (local/sandbox/data/README.md, "Lambda runtimes"); the
 * sandbox's AWS::Lambda::Function check reads it (value-checks.ts), and so do the tests.
 */
export const LAMBDA_RUNTIMES_AS_OF = '2026-12-06';

/**
 * The `Runtime` enum of the Lambda API model, read from @aws-sdk/client-lambda 3.1164.0
 * (dist-es/models/enums.js) on 2026-12-06. Lambda refuses any other value: "Value nodejs12.xa at
 * 'runtime' failed to satisfy constraint: Member must satisfy enum value set: […] or be a valid ARN"
 * (serverless/serverless output quoted in the code corpus; CloudFormation wraps it as a handler message).
 */
export const LAMBDA_RUNTIMES: readonly string[] = [
  'dotnet10', 'dotnet6', 'dotnet8', 'dotnetcore1.0', 'dotnetcore2.0', 'dotnetcore2.1', 'dotnetcore3.1', 'go1.x', 'java11', 'java11.al2023',
  'java17', 'java17.al2023', 'java21', 'java25', 'java8', 'java8.al2', 'java8.al2023', 'nodejs', 'nodejs10.x', 'nodejs12.x', 'nodejs14.x',
  'nodejs16.x', 'nodejs18.x', 'nodejs20.x', 'nodejs22.x', 'nodejs24.x', 'nodejs26.x', 'nodejs4.3', 'nodejs4.3-edge', 'nodejs6.10',
  'nodejs8.10', 'provided', 'provided.al2', 'provided.al2023', 'python2.7', 'python3.10', 'python3.11', 'python3.12', 'python3.13',
  'python3.14', 'python3.15', 'python3.6', 'python3.7', 'python3.8', 'python3.9', 'ruby2.5', 'ruby2.7', 'ruby3.2', 'ruby3.3', 'ruby3.4',
  'ruby4.0',
];

export interface BlockedRuntime {
  /** From this day (UTC) Lambda refuses to create a function with the runtime. */
  createBlockedFrom: string;
  /** Where the date comes from; INFERRED where no source gives the block date itself. */
  source: string;
}

const NODEJS_PAGE = 'Lambda Developer Guide, "Building Lambda functions with Node.js", supported-runtimes table (read 2026-12-06)';
const PYTHON_PAGE = 'Lambda Developer Guide, "Building Lambda functions with Python", runtimes table (read 2026-12-06)';
const JAVA_PAGE = 'Lambda Developer Guide, "Building Lambda functions with Java", runtimes table (read 2026-12-06)';
/** tflint-ruleset-aws rules/aws_lambda_function_deprecated_runtime.go (2025-11, from the Lambda runtimes page): deprecated before 2025. */
const LONG_DEPRECATED = (deprecated: string): BlockedRuntime => ({
  createBlockedFrom: deprecated,
  source:
    `INFERRED: deprecated ${deprecated} (tflint-ruleset-aws aws_lambda_function_deprecated_runtime.go, from the Lambda runtimes page); ` +
    'every documented create block came within nine months of deprecation, so it has long passed. The date is the deprecation date.',
});

/** Runtimes whose function create Lambda blocks, with the day it began. A runtime not here is creatable. */
export const CREATE_BLOCKED_RUNTIMES: Readonly<Record<string, BlockedRuntime>> = {
  'nodejs20.x': { createBlockedFrom: '2026-08-31', source: NODEJS_PAGE },
  'nodejs18.x': { createBlockedFrom: '2025-10-01', source: NODEJS_PAGE },
  'nodejs16.x': { createBlockedFrom: '2025-02-28', source: `${NODEJS_PAGE} (amazonaws.cn copy)` },
  'nodejs14.x': { createBlockedFrom: '2024-01-09', source: 're:Post answer QUHJZRlLlHRP25Cvw46Ge8BQ: "new function creation was blocked on January 9th, 2024"' },
  'python3.11': { createBlockedFrom: '2026-07-31', source: PYTHON_PAGE },
  'python3.10': { createBlockedFrom: '2026-07-31', source: PYTHON_PAGE },
  'python3.9': { createBlockedFrom: '2026-02-03', source: PYTHON_PAGE },
  'python3.8': {
    createBlockedFrom: '2025-02-28',
    source: 'AWS notice quoted in aws-solutions/aws-control-tower-customizations#193: "Starting February 28, 2025, you will no longer be able to create new Lambda functions using the Python 3.8 runtime"',
  },
  'python3.7': { createBlockedFrom: '2023-12-04', source: 'observed: "The runtime parameter of python3.7 is no longer supported…" (aws-samples/aws-cdk-examples#1003, 2024-03-12); date INFERRED (deprecation)' },
  'python3.6': LONG_DEPRECATED('2022-07-18'),
  'python2.7': { createBlockedFrom: '2021-07-15', source: 'observed: "The runtime parameter of python2.7 is no longer supported…" (unfor19/aws-build-badges#70, 2021-11-04); date INFERRED (deprecation)' },
  'java17': { createBlockedFrom: '2026-07-31', source: JAVA_PAGE },
  'java11': { createBlockedFrom: '2026-07-31', source: JAVA_PAGE },
  'java8.al2': { createBlockedFrom: '2026-07-31', source: JAVA_PAGE },
  'java8': LONG_DEPRECATED('2024-01-08'),
  'go1.x': LONG_DEPRECATED('2024-01-08'),
  'provided': LONG_DEPRECATED('2024-01-08'),
  'nodejs12.x': LONG_DEPRECATED('2023-03-31'),
  'nodejs10.x': LONG_DEPRECATED('2021-07-30'),
  'nodejs8.10': LONG_DEPRECATED('2020-03-06'),
  'nodejs6.10': LONG_DEPRECATED('2019-08-12'),
  'nodejs4.3': LONG_DEPRECATED('2020-03-05'),
  'nodejs4.3-edge': LONG_DEPRECATED('2020-03-05'),
  'nodejs': LONG_DEPRECATED('2016-10-31'),
  'ruby2.7': LONG_DEPRECATED('2023-11-27'),
  'ruby2.5': LONG_DEPRECATED('2021-07-30'),
  'dotnet6': LONG_DEPRECATED('2024-11-12'),
  'dotnetcore3.1': LONG_DEPRECATED('2023-04-03'),
  'dotnetcore2.1': LONG_DEPRECATED('2022-01-05'),
  'dotnetcore2.0': LONG_DEPRECATED('2019-05-30'),
  'dotnetcore1.0': LONG_DEPRECATED('2019-07-27'),
};

/**
 * The runtime Lambda's refusal recommends, per runtime family: the newest of the family (Node.js 24,
 * Python 3.14, Java 25, Ruby 3.4, .NET 10: endoflife.date/aws-lambda, from the Lambda runtimes page).
 * Lambda names the newest runtime of the family ("We recommend you use the new runtime (python3.12)"
 * in 2024, "(python3.9)" in 2021); for go1.x and provided the OS-only successor is INFERRED.
 */
export const RECOMMENDED_RUNTIMES: Readonly<Record<string, string>> = {
  nodejs: 'nodejs24.x',
  python: 'python3.14',
  java: 'java25',
  ruby: 'ruby3.4',
  dotnet: 'dotnet10',
  go: 'provided.al2023',
  provided: 'provided.al2023',
};
