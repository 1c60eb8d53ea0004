import type { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import type { TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';

/** One item of a TransactWriteItems call. */
export type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/** A transaction item named after what it guards, so a cancellation is read by name, not by position. */
export interface NamedItem<Name extends string> {
  name: Name;
  item: TransactItem;
}

/** The named items whose condition failed: DynamoDB gives one reason per item, in the items' order. */
export function failedConditions<Name extends string>(items: ReadonlyArray<{ name: Name }>, error: TransactionCanceledException): Set<Name> {
  return new Set(items.filter((_, index) => error.CancellationReasons?.[index]?.Code === 'ConditionalCheckFailed').map((item) => item.name));
}

/** Another transaction touched the same items at the same time: the caller re-reads and retries. */
export function conflicted(error: TransactionCanceledException): boolean {
  return (error.CancellationReasons ?? []).some((reason) => reason.Code === 'TransactionConflict');
}
