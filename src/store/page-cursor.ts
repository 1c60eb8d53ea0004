import { ValidationError } from '../errors';

/**
 * `nextToken`: where a listing stopped, as opaque base64url. It carries the listing it belongs to
 * (`o`, the caller's own partition), the sort key and the id. The partition queried is always
 * rebuilt from the caller's own scope, so a token cannot reach another tenant's items; and a token
 * that is not exactly what this listing would have issued — another listing's, another tenant's,
 * truncated, edited — is refused as a 400 before DynamoDB sees it (security review L2: DynamoDB
 * rejects a malformed ExclusiveStartKey, which used to surface as a 500).
 */
export interface PageCursor {
  s: string;
  id: string;
}

/** The listing a cursor belongs to, and what its keys must look like there. */
export interface CursorScope {
  owner: string;
  accepts(cursor: PageCursor): boolean;
}

export function encodeCursor(cursor: PageCursor, scope: Pick<CursorScope, 'owner'>): string {
  return Buffer.from(JSON.stringify({ o: scope.owner, s: cursor.s, id: cursor.id })).toString('base64url');
}

export function decodeCursor(token: string, scope: CursorScope): PageCursor {
  try {
    const value = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { o?: unknown; s?: unknown; id?: unknown };
    if (value.o === scope.owner && typeof value.s === 'string' && typeof value.id === 'string') {
      const cursor = { s: value.s, id: value.id };
      if (scope.accepts(cursor)) return cursor;
    }
  } catch {
    // not ours
  }
  throw new ValidationError([{ field: 'nextToken', message: 'is not a token this API issued for this listing' }]);
}
