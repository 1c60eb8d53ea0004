import type { CfnOutput, CfnParameter, CfnResource, CfnTemplate, CfnValue } from '../cfn/template-types';
import { COMPONENT_DEPENDENCIES, componentStackName, SERVICE_DEPENDENCIES, serviceStackName, serviceTagComponent, type ComponentName } from '../model/components';
import type { ComponentTemplate, DeployContextKey, ParameterSource, StackTemplateInput } from './component-template';
import { ref } from './intrinsics';
import { withGroundworkTags, type TagContext } from './tags';

/**
 * Collects one component's template. A parameter is declared together with where its value comes
 * from, so the template and its ParameterSources cannot drift apart; a parameter fed by another
 * component's output is refused unless that component is one this one depends on
 * (COMPONENT_DEPENDENCIES), so the workflow always has the output before it deploys this stack.
 */
/** Whose template is built: a component of the stack, or one of its services (issue 13). */
export type TemplateOwner = ComponentName | { service: string };

export class TemplateBuilder {
  private readonly parameters: { [name: string]: CfnParameter } = {};
  private readonly sources: Record<string, ParameterSource> = {};
  private readonly resources: { [logicalId: string]: CfnResource } = {};
  private readonly outputs: { [name: string]: CfnOutput } = {};
  readonly tagContext: TagContext;

  constructor(
    readonly owner: TemplateOwner,
    readonly input: StackTemplateInput,
    private readonly description: string,
  ) {
    this.tagContext = { tenantId: input.tenantId, stackId: input.stackId, component: typeof owner === 'string' ? owner : serviceTagComponent(owner.service) };
  }

  /** The component whose template this is (a service's builder has none). */
  get component(): ComponentName {
    if (typeof this.owner !== 'string') throw new Error(`the template of service ${this.owner.service} belongs to no component`);
    return this.owner;
  }

  /** groundwork-<stackId>-<component> (or -svc-<name>), also a readable prefix for Name tags. */
  get stackName(): string {
    return typeof this.owner === 'string' ? componentStackName(this.input.stackId, this.owner) : serviceStackName(this.input.stackId, this.owner.service);
  }

  private get label(): string {
    return this.tagContext.component;
  }

  /** A parameter fed by an output of a component this one depends on; returns its Ref. */
  fromOutput(component: ComponentName, output: string, type: string, description?: string): CfnValue {
    const dependencies = typeof this.owner === 'string' ? COMPONENT_DEPENDENCIES[this.owner] : SERVICE_DEPENDENCIES;
    if (!dependencies.includes(component)) {
      throw new Error(`${this.label} does not depend on ${component}, so it cannot take its output ${output}`);
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
      throw new Error(`parameter ${name} of ${this.label} is declared twice with different sources`);
    }
    this.parameters[name] = definition;
    this.sources[name] = source;
    return ref(name);
  }

  /** Adds a resource (tagged on build) and returns its Ref. */
  resource(logicalId: string, resource: CfnResource): CfnValue {
    if (this.resources[logicalId] !== undefined) throw new Error(`resource ${logicalId} of ${this.label} is declared twice`);
    this.resources[logicalId] = resource;
    return ref(logicalId);
  }

  output(name: string, value: CfnValue, description: string): void {
    this.outputs[name] = { Value: value, Description: description };
  }

  build(): ComponentTemplate {
    return { component: this.component, stackName: this.stackName, ...this.buildTemplate() };
  }

  /** The template and its parameters' sources, for any owner. */
  buildTemplate(): Pick<ComponentTemplate, 'template' | 'parameters'> {
    const what = typeof this.owner === 'string' ? this.owner : `service ${this.owner.service}`;
    const template: CfnTemplate = {
      AWSTemplateFormatVersion: '2010-09-09',
      Description: `Groundwork ${what} of stack ${this.input.stackId}: ${this.description}`,
      ...(Object.keys(this.parameters).length > 0 ? { Parameters: this.parameters } : {}),
      Resources: Object.fromEntries(
        Object.entries(this.resources).map(([logicalId, resource]) => [logicalId, withGroundworkTags(resource, this.tagContext)]),
      ),
      ...(Object.keys(this.outputs).length > 0 ? { Outputs: this.outputs } : {}),
    };
    return { template, parameters: { ...this.sources } };
  }
}
