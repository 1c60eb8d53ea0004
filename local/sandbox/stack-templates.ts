import { readTemplate } from '../../src/cfn/read-template';
import { dependencyGraph } from '../../src/cfn/resource-graph';
import type { CfnTemplate, CfnValue } from '../../src/cfn/template-types';
import type { AccountRegistry } from './account-registry';
import { TemplateResolutionError } from './errors';
import type { ResourceRecord, StackRecord } from './sandbox-state';
import { TemplateEvaluator } from './template-evaluator';

/**
 * Each stack's template as the engine reads it: parsed once (the state keeps only the body, so a
 * restarted sandbox parses it again), its dependency graph, and an evaluator over what the stack's
 * resources and the account's exports hold now.
 */
export class StackTemplates {
  private readonly templates = new Map<string, CfnTemplate>();
  private readonly graphs = new Map<string, Map<string, string[]>>();

  constructor(private readonly accounts: AccountRegistry) {}

  /** Keeps what CreateStack already parsed and checked. */
  remember(stackId: string, template: CfnTemplate, graph: Map<string, string[]>): void {
    this.templates.set(stackId, template);
    this.graphs.set(stackId, graph);
  }

  template(stack: StackRecord): CfnTemplate {
    let template = this.templates.get(stack.stackId);
    if (!template) {
      template = readTemplate(stack.templateBody);
      this.templates.set(stack.stackId, template);
    }
    return template;
  }

  /** Each resource's logical id and the ids it waits for. */
  graph(stack: StackRecord): Map<string, string[]> {
    let graph = this.graphs.get(stack.stackId);
    if (!graph) {
      graph = dependencyGraph(this.template(stack), stack.resources.map((resource) => resource.logicalId));
      this.graphs.set(stack.stackId, graph);
    }
    return graph;
  }

  /** The export names the stack imports (Fn::ImportValue) in its resources and outputs; one that cannot be worked out yet is left out. */
  importedNames(stack: StackRecord): string[] {
    const template = this.template(stack);
    const evaluator = this.evaluator(stack);
    const values = [...stack.resources.map((resource) => template.Resources[resource.logicalId]?.Properties), ...Object.values(template.Outputs ?? {}).map((output) => output.Value)];
    return values.flatMap(importArguments).flatMap((argument) => {
      try {
        return [String(evaluator.value(argument))];
      } catch (error) {
        if (error instanceof TemplateResolutionError) return [];
        throw error;
      }
    });
  }

  evaluator(stack: StackRecord): TemplateEvaluator {
    return new TemplateEvaluator(
      this.template(stack),
      { stackId: stack.stackId, stackName: stack.stackName, account: stack.account, region: stack.region, parameters: { ...stack.parameters, ...stack.resolvedParameters } },
      {
        physicalId: (logicalId) => resourceOf(stack, logicalId)?.physicalId,
        customAttribute: (logicalId, attribute) => resourceOf(stack, logicalId)?.data?.[attribute],
        exportValue: (name) => this.accounts.exportValue(stack, name),
      },
    );
  }
}

/** Every `Fn::ImportValue` argument in a value, as written. */
function importArguments(value: unknown): CfnValue[] {
  if (Array.isArray(value)) return value.flatMap(importArguments);
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([key, inner]) => (key === 'Fn::ImportValue' ? [inner as CfnValue] : importArguments(inner)));
}

export function resourceOf(stack: StackRecord, logicalId: string): ResourceRecord | undefined {
  return stack.resources.find((resource) => resource.logicalId === logicalId);
}
