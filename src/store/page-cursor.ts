import { ValidationError } from '../errors';

/**
 * `nextToken`: where a listing stopped, as opaque base64url. It carries only the sort key and
 * id; the partition key is always rebuilt from the caller's own scope, so a token cannot be
 * pointed at another tenant's items.
 */
export interface PageCursor {
  s: string;
  id: string;
}

export function encodeCursor(cursor: PageCursor): string {
  return Buffer.from(JSON.stringify(cursor)).toString('base64url');
}

export function decodeCursor(token: string): PageCursor {
  try {
    const value = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { s?: unknown; id?: unknown };
    if (typeof value.s === 'string' && typeof value.id === 'string') return { s: value.s, id: value.id };
  } catch {
    // not ours
  }
  throw new ValidationError([{ field: 'nextToken', message: 'is not a token this API issued' }]);
}
