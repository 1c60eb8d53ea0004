/**
 * CloudFormation reads a multi-line single-quoted scalar whose continuation lines are indented no
 * further than its key (one of AWS's own sample templates has one); PyYAML and cfn-lint read it too.
 * The `yaml` package refuses it ("Missing closing 'quote", YAML 1.2 wants continuation lines indented
 * past the key) and has no option to relax that. This pass indents such continuation lines one
 * column past the key: inside a flow scalar, a continuation line's leading spaces are folded away,
 * so the value read is the one PyYAML reads. Block scalars (`|`, `>`) and comments are left alone.
 */

/** `key: 'text…`, `- 'text…` or `key: !Sub 'text…`: where the quote opens a value. */
const QUOTED_VALUE = /^( *)((?:- +)*)(?:([^\s#'"-][^#]*?:) +)?(?:![A-Za-z0-9:]+ +)?'(.*)$/;
/** A line whose value is a block scalar: the following, more indented lines are its text. */
const BLOCK_SCALAR = /(?:^|: +|- +)(?:![A-Za-z0-9:]+ +)?[|>][-+0-9]*\s*(?:#.*)?$/;

export function indentQuotedContinuations(text: string): string {
  const lines = text.split('\n');
  let blockParent: number | undefined;
  for (let index = 0; index < lines.length; index += 1) {
    const line = lines[index] ?? '';
    const indent = line.length - line.trimStart().length;
    if (blockParent !== undefined) {
      if (line.trim() === '' || indent > blockParent) continue;
      blockParent = undefined;
    }
    if (line.trimStart().startsWith('#')) continue;
    if (BLOCK_SCALAR.test(line)) {
      blockParent = indent;
      continue;
    }
    const match = QUOTED_VALUE.exec(line);
    if (match === null || (match[2] === '' && match[3] === undefined) || closingQuote(match[4] ?? '') !== undefined) continue;
    // The value belongs to the key (or the sequence entry); its lines must start past that column.
    const column = (match[1] ?? '').length + (match[2] ?? '').length + 1;
    for (index += 1; index < lines.length; index += 1) {
      const continuation = lines[index] ?? '';
      const own = continuation.length - continuation.trimStart().length;
      if (continuation.trim() !== '' && own < column) lines[index] = `${' '.repeat(column - own)}${continuation}`;
      if (closingQuote(continuation) !== undefined) break;
    }
  }
  return lines.join('\n');
}

/** Where an unescaped `'` closes the scalar in this text (`''` is a quote inside it), or undefined. */
function closingQuote(text: string): number | undefined {
  for (let position = 0; position < text.length; position += 1) {
    if (text[position] !== "'") continue;
    if (text[position + 1] === "'") {
      position += 1;
      continue;
    }
    return position;
  }
  return undefined;
}
