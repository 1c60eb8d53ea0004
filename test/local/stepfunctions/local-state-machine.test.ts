import { runLocalStateMachine, type LocalRunEvent } from '../../../local/stepfunctions/local-state-machine';

/** What runLocalStateMachine adds for the local Step Functions: time scaling, a complete event log. */
async function run(definition: object, input: unknown, options: Parameters<typeof runLocalStateMachine>[2]) {
  const started = Date.now();
  const execution = runLocalStateMachine(definition, input, options);
  const events: LocalRunEvent[] = [];
  const collected = (async () => {
    for await (const event of execution.eventLogs) events.push(event);
  })();
  const outcome: { output?: unknown; error?: Error & { cause?: Error } } = await execution.result.then(
    (output) => ({ output }),
    (error: unknown) => ({ error: error as Error & { cause?: Error } }),
  );
  await collected;
  return { ...outcome, events, tookMs: Date.now() - started };
}

const entered = (events: LocalRunEvent[]) => events.flatMap((event) => (event.type === 'StateEntered' ? [`${event.state.type}:${event.state.name}`] : []));

describe('runLocalStateMachine', () => {
  it('scales Seconds and Timestamp waits, and shows them as the Wait states they are', async () => {
    const definition = {
      StartAt: 'Fixed',
      States: {
        Fixed: { Type: 'Wait', Seconds: 50, Next: 'Until' },
        Until: { Type: 'Wait', TimestampPath: '$.until', OutputPath: '$.keep', End: true },
      },
    };

    const { output, events, tookMs } = await run(definition, { until: new Date(Date.now() + 50_000).toISOString(), keep: { a: 1 } }, { functions: {}, timeScale: 0.01 });

    expect(output).toEqual({ a: 1 });
    // Unscaled, the two waits take 100 s; upper bounds stay far from that so a busy machine passes.
    // Measured on the wall clock on purpose: it proves the Wait timers really wait, scaled by
    // timeScale (the injected clock), rather than being skipped; a timer never fires early.
    expect(tookMs).toBeGreaterThanOrEqual(900);
    expect(tookMs).toBeLessThan(30_000);
    expect(entered(events)).toEqual(['Wait:Fixed', 'Wait:Until']);
  });

  it('fails a run whose SecondsPath is not a whole number of seconds, as Step Functions does', async () => {
    const definition = { StartAt: 'Pause', States: { Pause: { Type: 'Wait', SecondsPath: '$.s', End: true } } };

    const { error } = await run(definition, { s: -3 }, { functions: {}, timeScale: 0.01 });

    expect(error?.cause?.name).toBe('States.Runtime');
  });

  it('keeps waitMs as it was: a fixed time for every Wait, over any scale', async () => {
    const definition = { StartAt: 'Pause', States: { Pause: { Type: 'Wait', Seconds: 100_000, End: true } } };

    const { output, tookMs } = await run(definition, { ok: true }, { functions: {}, waitMs: 0, timeScale: 1 });

    expect(output).toEqual({ ok: true });
    expect(tookMs).toBeLessThan(30_000); // the state says 100 000 s
  });

  it('reports every transition of nested Parallels, and an uncaught branch error unchanged', async () => {
    const fn = 'arn:aws:lambda:us-east-1:000000000000:function:f';
    const leaf = (name: string) => ({ StartAt: name, States: { [name]: { Type: 'Task', Resource: fn, End: true } } });
    const definition = {
      StartAt: 'Outer',
      States: {
        Outer: {
          Type: 'Parallel',
          End: true,
          Branches: [leaf('A'), { StartAt: 'Inner', States: { Inner: { Type: 'Parallel', End: true, Branches: [leaf('B'), leaf('C')] } } }],
        },
      },
    };
    const calls: string[] = [];

    const ok = await run(definition, {}, { functions: { [fn]: async () => 'done' } });
    const failed = await run(definition, {}, {
      functions: {
        [fn]: async () => {
          calls.push('called');
          if (calls.length === 3) throw Object.assign(new Error('third call'), { name: 'ThirdError' });
          return 'done';
        },
      },
    });

    expect(ok.output).toEqual(['done', ['done', 'done']]);
    expect(entered(ok.events).sort()).toEqual(['Parallel:Inner', 'Parallel:Outer', 'Task:A', 'Task:B', 'Task:C']);
    expect(ok.events.filter((event) => event.type === 'StateExited')).toHaveLength(5);
    expect(ok.events.some((event) => 'state' in event && event.state.name.includes('#'))).toBe(false);
    expect(failed.error?.cause).toMatchObject({ name: 'ThirdError', message: 'third call' });
    expect(entered(failed.events).sort()).toEqual(['Parallel:Inner', 'Parallel:Outer', 'Task:A', 'Task:B', 'Task:C']);
  });

  it('reports every iteration of a Map', async () => {
    const fn = 'arn:aws:lambda:us-east-1:000000000000:function:f';
    const definition = {
      StartAt: 'Each',
      States: { Each: { Type: 'Map', ItemsPath: '$.items', End: true, ItemProcessor: { StartAt: 'Double', States: { Double: { Type: 'Task', Resource: fn, End: true } } } } },
    };

    const { output, events } = await run(definition, { items: [1, 2, 3] }, { functions: { [fn]: async (n) => (n as number) * 2 } });

    expect(output).toEqual([2, 4, 6]);
    expect(entered(events)).toEqual(['Map:Each', 'Task:Double', 'Task:Double', 'Task:Double']);
    expect(events.filter((event) => event.type === 'MapIterationSucceeded')).toHaveLength(3);
  });
});
