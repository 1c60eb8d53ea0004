/**
 * Services that authorize the tags of a create request as a second action ("tag on create"): a
 * handler that creates a resource with tags needs that action too, evaluated on the new resource,
 * with the request's tags (aws:RequestTag) and, where the service has one, a condition key naming
 * the creating action. The new resource has no tags yet, so aws:ResourceTag cannot allow it.
 *
 * Read by the generator of the execution role (scripts/onboarding-policies.ts), which grants each
 * action only at creation (by its create-action key, or else only on names Groundwork's stacks
 * give), and by the sandbox, which makes the same second check (local/iam/handler-requests.ts).
 */
/**
 * The names of the actions that add tags, in the services Groundwork's stacks use: never a way to
 * create (a tag is what makes a resource Groundwork's). The generator keeps them out of its
 * create-only-with-the-tag statements; the sandbox asks for them only as the services do.
 */
export const ADDS_TAGS_ACTION_NAME = /^(CreateTags|CreateOrUpdateTags|TagResource|AddTags|AddTagsToResource|TagLogGroup)$/;

export interface TagOnCreate {
  /** The tagging action AWS evaluates, service-prefixed. */
  action: string;
  /** The condition key whose value is the creating action's name, if the service has one. */
  createActionKey?: string;
  source: string;
}

export const TAG_ON_CREATE: Readonly<Record<string, TagOnCreate>> = {
  ec2: {
    action: 'ec2:CreateTags',
    createActionKey: 'ec2:CreateAction',
    source: 'EC2 User Guide, "Grant permission to tag Amazon EC2 resources during creation" (read 2026-12-06)',
  },
  ecs: {
    action: 'ecs:TagResource',
    createActionKey: 'ecs:CreateAction',
    source: 'https://docs.aws.amazon.com/AmazonECS/latest/developerguide/supported-iam-actions-tagging.html (read 2026-12-06)',
  },
  elasticloadbalancing: {
    action: 'elasticloadbalancing:AddTags',
    createActionKey: 'elasticloadbalancing:CreateAction',
    source: 'https://docs.aws.amazon.com/elasticloadbalancing/latest/userguide/tagging-resources-during-creation.html (read 2026-12-06)',
  },
  rds: {
    action: 'rds:AddTagsToResource',
    source: 'RDS User Guide, "Grant permission to tag Amazon RDS resources during creation" (security_iam_id-based-policy-examples-grant-permissions-tags-on-create, read 2026-12-06)',
  },
};
