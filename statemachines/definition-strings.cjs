// serverless.yml reads the ASL files through this as strings (DefinitionString): loaded as YAML
// objects instead, serverless drops every `"ResultPath": null`, which changes what the
// state machines do. The `${...}` placeholders are left for DefinitionSubstitutions.
const { readFileSync } = require('node:fs');
const { join } = require('node:path');

const read = (file) => JSON.stringify(JSON.parse(readFileSync(join(__dirname, file), 'utf8')));

module.exports = {
  provisionStack: read('provision-stack.asl.json'),
  deleteStack: read('delete-stack.asl.json'),
};
