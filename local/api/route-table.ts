/**
 * HTTP API route selection: `METHOD /path/{param}/{greedy+}` templates, the most specific match
 * winning (literal segments over parameters, a greedy parameter last), ANY matching every method.
 * As with HTTP APIs, a path that matches no template for the method is a 404.
 */
export interface RouteDefinition {
  method: string;
  path: string;
  functionName: string;
}

export interface RouteMatch {
  route: RouteDefinition;
  /** `POST /v1/accounts/{id}` as API Gateway writes it in the event's routeKey. */
  routeKey: string;
  pathParameters: Record<string, string>;
}

type Segment = { kind: 'literal'; value: string } | { kind: 'param'; name: string } | { kind: 'greedy'; name: string };

interface CompiledRoute {
  route: RouteDefinition;
  segments: Segment[];
  /** Higher is more specific. */
  rank: number[];
}

function splitPath(path: string): string[] {
  return path.split('/').slice(1);
}

function compile(route: RouteDefinition): CompiledRoute {
  const segments: Segment[] = splitPath(route.path).map((segment, index, all) => {
    const param = /^\{([A-Za-z0-9_.-]+)(\+?)\}$/.exec(segment);
    if (!param) return { kind: 'literal', value: segment };
    const name = param[1] ?? '';
    if (param[2] === '+') {
      if (index !== all.length - 1) throw new Error(`${route.path}: a greedy parameter must be the last segment`);
      return { kind: 'greedy', name };
    }
    return { kind: 'param', name };
  });
  const literals = segments.filter((s) => s.kind === 'literal').length;
  const greedy = segments.some((s) => s.kind === 'greedy') ? 0 : 1;
  return { route, segments, rank: [greedy, literals, segments.length, route.method === 'ANY' ? 0 : 1] };
}

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

function matchSegments(segments: Segment[], parts: string[]): Record<string, string> | undefined {
  const parameters: Record<string, string> = {};
  for (const [index, segment] of segments.entries()) {
    if (segment.kind === 'greedy') {
      const rest = parts.slice(index);
      if (rest.length === 0 || rest.join('/') === '') return undefined;
      parameters[segment.name] = rest.map(decode).join('/');
      return parameters;
    }
    const part = parts[index];
    if (part === undefined) return undefined;
    if (segment.kind === 'literal') {
      if (part !== segment.value) return undefined;
    } else {
      if (part === '') return undefined;
      parameters[segment.name] = decode(part);
    }
  }
  return parts.length === segments.length ? parameters : undefined;
}

function compareRank(a: number[], b: number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i += 1) {
    const difference = (b[i] ?? 0) - (a[i] ?? 0);
    if (difference !== 0) return difference;
  }
  return 0;
}

export function createRouteTable(routes: readonly RouteDefinition[]) {
  const compiled = routes.map(compile).sort((a, b) => compareRank(a.rank, b.rank));
  return {
    match(method: string, rawPath: string): RouteMatch | undefined {
      const parts = splitPath(rawPath);
      for (const candidate of compiled) {
        if (candidate.route.method !== 'ANY' && candidate.route.method !== method.toUpperCase()) continue;
        const pathParameters = matchSegments(candidate.segments, parts);
        if (pathParameters) return { route: candidate.route, routeKey: `${candidate.route.method} ${candidate.route.path}`, pathParameters };
      }
      return undefined;
    },
  };
}
