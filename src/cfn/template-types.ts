/** CloudFormation templates as typed data (the JSON form; YAML short tags are read into it). */
export type CfnValue = string | number | boolean | null | CfnValue[] | { [key: string]: CfnValue };

export interface CfnParameter {
  Type: string;
  Description?: string;
  Default?: string | number;
  AllowedValues?: Array<string | number>;
  AllowedPattern?: string;
  ConstraintDescription?: string;
  MinLength?: number;
  MaxLength?: number;
  MinValue?: number;
  MaxValue?: number;
  NoEcho?: boolean;
}

export interface CfnResource {
  Type: string;
  Properties?: { [key: string]: CfnValue };
  DependsOn?: string | string[];
  Condition?: string;
  DeletionPolicy?: 'Delete' | 'Retain' | 'Snapshot' | 'RetainExceptOnCreate';
  UpdateReplacePolicy?: 'Delete' | 'Retain' | 'Snapshot';
  Metadata?: { [key: string]: CfnValue };
  CreationPolicy?: { [key: string]: CfnValue };
  UpdatePolicy?: { [key: string]: CfnValue };
  /** Custom resources only. */
  Version?: string | number;
}

export interface CfnOutput {
  Value: CfnValue;
  Description?: string;
  Condition?: string;
  Export?: { Name: CfnValue };
}

export interface CfnTemplate {
  AWSTemplateFormatVersion?: '2010-09-09';
  Description?: string;
  Metadata?: { [key: string]: CfnValue };
  Parameters?: { [name: string]: CfnParameter };
  Mappings?: { [name: string]: { [key: string]: { [key: string]: CfnValue } } };
  Conditions?: { [name: string]: CfnValue };
  Transform?: string | string[];
  Resources: { [logicalId: string]: CfnResource };
  Outputs?: { [name: string]: CfnOutput };
  Rules?: { [name: string]: CfnValue };
}
