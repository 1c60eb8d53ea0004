// zod 4 as zod/mini, imported as a namespace: it tree-shakes (~12 KB; `import { z }` pulls in every locale).
import * as z from 'zod/mini';
import type { Logger } from '../log/logger';
import type { Reconciled, StackReconciler } from './stack-reconciler';

/** The part of a "Step Functions Execution Status Change" event the reconciler reads. */
const executionStatusChangeSchema = z.object({
  source: z.literal('aws.states'),
  'detail-type': z.literal('Step Functions Execution Status Change'),
  detail: z.object({
    name: z.string(),
    status: z.enum(['FAILED', 'TIMED_OUT', 'ABORTED']),
    input: z.nullish(z.string()),
    error: z.nullish(z.string()),
  }),
});

/** EventBridge → the reconciler. A malformed event is logged and dropped (a retry would not mend it). */
export function executionEndedHandler(reconciler: Pick<StackReconciler, 'executionEnded'>, logger: Logger) {
  return async (event: unknown): Promise<Reconciled> => {
    const parsed = executionStatusChangeSchema.safeParse(event);
    if (!parsed.success) {
      logger.warn('not an execution status change this function handles; dropped', { issues: parsed.error.issues.map((i) => `${i.path.map(String).join('.')}: ${i.message}`) });
      return 'ignored';
    }
    const { name, status, input, error } = parsed.data.detail;
    return reconciler.executionEnded({ executionName: name, status, input: input ?? '', ...(error ? { error } : {}) });
  };
}
