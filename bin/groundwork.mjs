#!/usr/bin/env node
// `groundwork` (package bin, `npx groundwork …` in this checkout): runs src/cli/main.ts through
// tsx in this process, so the CLI is the TypeScript source, never a stale build.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
