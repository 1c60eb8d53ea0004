// zod/mini, as a namespace: the tree-shakable zod 4 (docs/decisions/0008).
import * as z from 'zod/mini';

/** The region of a stack request that names none, and what a new account allows when it names none. */
export const DEFAULT_REGION = 'us-east-1';

export const regionSchema = z.string().check(z.regex(/^[a-z]{2}(-gov)?-[a-z]+-\d$/, 'must be an AWS region such as us-east-1'));

/** At most this many regions per account: the list goes whole into the access role's policy and the quick-create link. */
export const MAX_ACCOUNT_REGIONS = 40;

/**
 * The regions an account lets Groundwork deploy to (the onboarding stack's AllowedRegions): a
 * non-empty list without repeats.
 */
export const accountRegionsSchema = z.array(regionSchema).check(
  z.minLength(1, 'must name at least one region'),
  z.maxLength(MAX_ACCOUNT_REGIONS, `must name at most ${MAX_ACCOUNT_REGIONS} regions`),
  z.refine((regions) => new Set(regions).size === regions.length, 'must not name a region twice'),
);
