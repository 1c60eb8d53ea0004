/**
 * esbuild plugins for the Lambda bundles (serverless.yml, custom.esbuild.plugins).
 *
 * inline-sdk-schema-keys: AWS SDK v3 clients describe every operation and shape of their service in
 * one module (`dist-es/schemas/schemas_0.js`: EC2's is 1.3 MB). esbuild drops the shapes a bundle does
 * not use only if their initialisers are pure, and an object literal with a computed key
 * (`{ [_xN]: _PEA }`, where `const _xN = "xmlName"` is a string constant of the same module) is not
 * known to be pure: the key could be an object whose toString runs code. So every shape was kept, and
 * the EC2 client alone put 550 KB into the plan and stack functions. This plugin rewrites such a key
 * to the string it names (`{ "xmlName": _PEA }`), which is the same object by the language's rules,
 * only for identifiers declared in that module as `const _name = "string literal";`.
 * test/architecture/sdk-schema-keys.test.ts bundles the EC2 and RDS clients both ways and checks
 * that they send the same requests and read the same answers.
 */
const { readFile } = require('node:fs/promises');

const SCHEMA_MODULE = /@aws-sdk[\\/]client-[^\\/]+[\\/]dist-es[\\/]schemas[\\/]schemas_\d+\.js$/;

/**
 * The module's text with each computed key naming a module-level string constant written as that string.
 * Refuses (throws) what the rewrite could change the meaning of, so that an SDK release written
 * otherwise fails the build instead of the bundle: a `[_x]:` not in key position (after `{` or `,`:
 * a conditional's `? [_x] : y` would turn an array into a string), or a constant `"__proto__"` (as a
 * literal key it sets the prototype; as a computed key it is an own property).
 */
function inlineSchemaKeys(text, path = 'schema module') {
  const constants = new Map();
  for (const match of text.matchAll(/^const (_\w+) = ("(?:[^"\\\n]|\\.)*");$/gm)) constants.set(match[1], match[2]);
  return text.replace(/\[(_\w+)\]:/g, (whole, name, offset) => {
    if (!constants.has(name)) return whole;
    let at = offset - 1;
    while (at >= 0 && /\s/.test(text[at])) at -= 1;
    const before = text[at];
    if (before !== '{' && before !== ',') throw new Error(`${path}: [${name}]: at ${offset} is not an object key (after "${before}"); inline-sdk-schema-keys cannot rewrite it safely`);
    const key = constants.get(name);
    if (JSON.parse(key) === '__proto__') throw new Error(`${path}: ${name} is "__proto__"; inline-sdk-schema-keys cannot rewrite it safely`);
    return `${key}:`;
  });
}

const inlineSdkSchemaKeys = {
  name: 'inline-sdk-schema-keys',
  setup(build) {
    build.onLoad({ filter: SCHEMA_MODULE }, async (args) => ({ contents: inlineSchemaKeys(await readFile(args.path, 'utf8'), args.path), loader: 'js' }));
  },
};

module.exports = [inlineSdkSchemaKeys];
module.exports.inlineSchemaKeys = inlineSchemaKeys;
module.exports.SCHEMA_MODULE = SCHEMA_MODULE;
