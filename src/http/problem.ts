import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { GroundworkError, type FieldError } from '../errors';

/** RFC 9457 problem details, with `errors` naming each bad field. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  errors?: FieldError[];
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  500: 'Internal Server Error',
};

export function problemType(code: string): string {
  return `urn:groundwork:problem:${code}`;
}

/** A named error becomes its own problem; anything else a 500 that says nothing of internals. */
export function toProblem(error: unknown, instance?: string): Problem {
  if (error instanceof GroundworkError && error.expose) {
    return {
      type: problemType(error.code),
      title: TITLES[error.status] ?? 'Error',
      status: error.status,
      detail: error.message,
      ...(instance ? { instance } : {}),
      ...('errors' in error && Array.isArray(error.errors) ? { errors: error.errors as FieldError[] } : {}),
    };
  }
  return {
    type: problemType('internal'),
    title: TITLES[500] ?? 'Internal Server Error',
    status: 500,
    detail: 'Something went wrong on our side. It has been logged; retry later.',
    ...(instance ? { instance } : {}),
  };
}

export function problemResponse(problem: Problem, requestId?: string): APIGatewayProxyStructuredResultV2 {
  return {
    statusCode: problem.status,
    headers: { 'content-type': 'application/problem+json', ...(requestId ? { 'x-request-id': requestId } : {}) },
    body: JSON.stringify(problem),
  };
}
