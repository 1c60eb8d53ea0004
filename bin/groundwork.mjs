#!/usr/bin/env node
// `groundwork` (package bin, `npx groundwork …` in this checkout): runs local/cli/groundwork.ts, the
// CLI of cli/ given the local signing key, through tsx in this process, so the CLI is the
// TypeScript source, never a stale build.
import { register } from 'tsx/esm/api';

register();
const { groundwork } = await import('../local/cli/groundwork.ts');
process.exitCode = await groundwork(process.argv.slice(2));
