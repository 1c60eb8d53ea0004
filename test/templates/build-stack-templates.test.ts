import { COMPONENTS } from '../../src/model/components';
import { buildComponentTemplate, buildStackTemplates } from '../../src/templates/build-stack-templates';
import { allCombinations } from './fixtures';

/**
 * The workflow deploys one component at a time and builds only that component's template: it must
 * be the very template the whole stack's build holds for it (plans, costs and checks read that one).
 */
describe('one component template', () => {
  it('is the template the whole build holds for that component, in every option combination', () => {
    // Prepare
    const mismatches: string[] = [];
    for (const { label, input } of allCombinations()) {
      const all = buildStackTemplates(input);
      for (const component of COMPONENTS) {
        // Act
        const one = buildComponentTemplate(input, component);
        // Assess
        const expected = all.find((t) => t.component === component);
        if (JSON.stringify(one) !== JSON.stringify(expected)) mismatches.push(`${label} | ${component}`);
      }
    }
    expect(mismatches).toEqual([]);
  });

  it('is absent for a component the request does not deploy', () => {
    // Prepare: the first combination without a database, compute or bastion
    const minimal = allCombinations().find(({ input }) => input.request.database === null && input.request.compute === null && !input.request.bastion.enabled);
    if (!minimal) throw new Error('no combination without database, compute and bastion');

    // Act
    const built = (['database', 'secrets', 'cluster', 'frontend', 'bastion'] as const).map((component) => buildComponentTemplate(minimal.input, component));

    // Assess
    expect(built).toEqual([undefined, undefined, undefined, undefined, undefined]);
    expect(buildComponentTemplate(minimal.input, 'network')?.component).toBe('network');
  });
});
