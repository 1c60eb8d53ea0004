// Writes statemachines/*.asl.json from src/stacks/workflow/state-machine-definitions.ts.
import { writeFileSync } from 'node:fs';
import { STATE_MACHINE_FILES } from '../src/stacks/workflow/state-machine-definitions';

for (const [file, build] of Object.entries(STATE_MACHINE_FILES)) {
  writeFileSync(file, `${JSON.stringify(build(), null, 2)}\n`);
  console.log(`wrote ${file}`);
}
