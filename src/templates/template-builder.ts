import type { CfnOutput, CfnParameter, CfnResource, CfnTemplate, CfnValue } from '../cfn/template-types';
import { COMPONENT_DEPENDENCIES, componentStackName, type ComponentName } from '../model/components';
import type { ComponentTemplate, DeployContextKey, ParameterSource, StackTemplateInput } from './component-template';
import { ref } from './intrinsics';
import { withGroundworkTags, type TagContext } from './tags';

/**
 * Collects one component's template. A parameter is declared together with where its value comes
 * from, so the template and its ParameterSources cannot drift apart; a parameter fed by another
 * component's output is refused unless that component is one this one depends on
 * (COMPONENT_DEPENDENCIES), so the workflow always has the output before it deploys this stack.
 */
export class TemplateBuilder {
  private readonly parameters: { [name: string]: CfnParameter } = {};
  private readonly sources: Record<string, ParameterSource> = {};
  private readonly resources: { [logicalId: string]: CfnResource } = {};
  private readonly outputs: { [name: string]: CfnOutput } = {};
  readonly tagContext: TagContext;

  constructor(
    readonly component: ComponentName,
    readonly input: StackTemplateInput,
    private readonly description: string,
  ) {
    this.tagContext = { tenantId: input.tenantId, stackId: input.stackId, component };
  }

  /** groundwork-<stackId>-<component>, also a readable prefix for Name tags. */
  get stackName(): string {
    return componentStackName(this.input.stackId, this.component);
  }

  /** A parameter fed by an output of a component this one depends on; returns its Ref. */
  fromOutput(component: ComponentName, output: string, type: string, description?: string): CfnValue {
    if (!COMPONENT_DEPENDENCIES[this.component].includes(component)) {
      throw new Error(`${this.component} does not depend on ${component}, so it cannot take its output ${output}`);
    }
    return this.parameter(output, { Type: type, ...(description ? { Description: description } : {}) }, { kind: 'output', component, output });
  }

  /** A parameter fed by a value known only in the customer account (recorded at onboarding). */
  fromContext(name: string, key: DeployContextKey, description: string): CfnValue {
    return this.parameter(name, { Type: 'String', Description: description }, { kind: 'context', key });
  }

  /**
   * The name of the stack's AZ of that index (never `Fn::GetAZs`: what it returns depends on the
   * account's default subnets, and an index it lacks fails the stack). CloudFormation checks the
   * value is an AZ of the region (an AWS-specific parameter type).
   */
  fromZone(azIndex: number): CfnValue {
    return this.parameter(
      `AvailabilityZone${azIndex}`,
      { Type: 'AWS::EC2::AvailabilityZone::Name', Description: `The stack's AZ ${azIndex}, chosen when the stack was created` },
      { kind: 'zone', azIndex },
    );
  }

  /** A parameter with a literal value, for values CloudFormation itself resolves (SSM parameter types). */
  fromValue(name: string, type: string, value: string, description: string): CfnValue {
    return this.parameter(name, { Type: type, Default: value, Description: description }, { kind: 'value', value });
  }

  private parameter(name: string, definition: CfnParameter, source: ParameterSource): CfnValue {
    const known = this.sources[name];
    if (known !== undefined && JSON.stringify(known) !== JSON.stringify(source)) {
      throw new Error(`parameter ${name} of ${this.component} is declared twice with different sources`);
    }
    this.parameters[name] = definition;
    this.sources[name] = source;
    return ref(name);
  }

  /** Adds a resource (tagged on build) and returns its Ref. */
  resource(logicalId: string, resource: CfnResource): CfnValue {
    if (this.resources[logicalId] !== undefined) throw new Error(`resource ${logicalId} of ${this.component} is declared twice`);
    this.resources[logicalId] = resource;
    return ref(logicalId);
  }

  output(name: string, value: CfnValue, description: string): void {
    this.outputs[name] = { Value: value, Description: description };
  }

  build(): ComponentTemplate {
    const template: CfnTemplate = {
      AWSTemplateFormatVersion: '2010-09-09',
      Description: `Groundwork ${this.component} of stack ${this.input.stackId}: ${this.description}`,
      ...(Object.keys(this.parameters).length > 0 ? { Parameters: this.parameters } : {}),
      Resources: Object.fromEntries(
        Object.entries(this.resources).map(([logicalId, resource]) => [logicalId, withGroundworkTags(resource, this.tagContext)]),
      ),
      ...(Object.keys(this.outputs).length > 0 ? { Outputs: this.outputs } : {}),
    };
    return { component: this.component, stackName: this.stackName, template, parameters: { ...this.sources } };
  }
}
