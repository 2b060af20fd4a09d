/**
 * Splits a POSIX shell command into the simple commands the allowlist checks (`a && b | c; d` → a, b, c, d), each
 * an argv. It is deliberately a recogniser, not a shell: anything whose meaning depends on the shell running it
 * (command substitution, redirection, subshells, compound commands, environment assignments, comments) makes the
 * command unanalysable, and an unanalysable command is an allowlist miss, never a match (fail closed). Words the
 * shell would expand (`$VAR`, globs, `~`) are kept but marked non-literal: their argv is not what will run.
 */
export type ShellWord = { text: string; literal: boolean };
export type ParsedCommand = { ok: true; segments: ShellWord[][] } | { ok: false; reason: string };

const RESERVED_WORDS = new Set([
  '!',
  '{',
  '}',
  '[[',
  ']]',
  'case',
  'coproc',
  'do',
  'done',
  'elif',
  'else',
  'esac',
  'fi',
  'for',
  'function',
  'if',
  'in',
  'select',
  'then',
  'time',
  'until',
  'while',
]);
const ASSIGNMENT = /^[A-Za-z_][A-Za-z0-9_]*(\[[^\]]*\])?\+?=/;
/** What may follow `$` to make an expansion: a name, a digit, a special parameter, `{`. */
const EXPANSION_START = /[A-Za-z0-9_{@*#?$!-]/;

class Unanalysable extends Error {}

function refuse(reason: string): never {
  throw new Unanalysable(reason);
}

export function parseShellCommand(command: string): ParsedCommand {
  try {
    return { ok: true, segments: split(command) };
  } catch (error) {
    if (error instanceof Unanalysable) return { ok: false, reason: error.message };
    throw error;
  }
}

function split(command: string): ShellWord[][] {
  const segments: ShellWord[][] = [];
  let words: ShellWord[] = [];
  let text = '';
  let literal = true;
  /** A word is open (even an empty one, `''`), so whitespace ends it. */
  let open = false;

  const endWord = () => {
    if (!open) return;
    words.push({ text, literal });
    text = '';
    literal = true;
    open = false;
  };
  const endSegment = (operator: string) => {
    endWord();
    if (words.length === 0) refuse(`empty command before ${operator}`);
    segments.push(checkSegment(words));
    words = [];
  };

  for (let i = 0; i < command.length; i++) {
    const char = command[i];
    const next = command[i + 1];
    if (char === ' ' || char === '\t') {
      endWord();
      continue;
    }
    if (char === '\n' || char === ';') {
      if (char === ';' && next === ';') refuse('case syntax');
      endSegment(char === ';' ? ';' : 'a newline');
      continue;
    }
    if (char === '&' || char === '|') {
      if (char === '|' && next === '&') refuse('|& redirects stderr');
      if (next === char) i++;
      endSegment(next === char ? char + char : char);
      continue;
    }
    if (char === '<' || char === '>') refuse('redirection');
    if (char === '(' || char === ')') refuse('subshell or grouping');
    if (char === '`') refuse('command substitution');
    if (char === '#' && !open) refuse('comment');
    if (char === '\\') {
      if (next === undefined) refuse('trailing backslash');
      i++;
      if (next !== '\n') {
        text += next;
        open = true;
      }
      continue;
    }
    if (char === "'") {
      const end = command.indexOf("'", i + 1);
      if (end < 0) refuse('unterminated single quote');
      text += command.slice(i + 1, end);
      open = true;
      i = end;
      continue;
    }
    if (char === '"') {
      i = readDoubleQuoted(command, i + 1, (part, isLiteral) => {
        text += part;
        if (!isLiteral) literal = false;
      });
      open = true;
      continue;
    }
    if (char === '$') {
      if (next === '(') refuse('command substitution');
      if (next !== undefined && EXPANSION_START.test(next)) literal = false;
      if (next === "'" || next === '"') refuse('$-quoted string');
      text += char;
      open = true;
      continue;
    }
    if (char === '*' || char === '?' || char === '[' || char === '{' || char === '}') literal = false;
    if (char === '~' && !open) literal = false;
    text += char;
    open = true;
  }
  endWord();
  if (words.length > 0) segments.push(checkSegment(words));
  else if (segments.length > 0) refuse('command ends with an operator');
  if (segments.length === 0) refuse('empty command');
  return segments;
}

/** Reads a double-quoted string from `start` (after the quote); returns the index of the closing quote. */
function readDoubleQuoted(
  command: string,
  start: number,
  emit: (part: string, literal: boolean) => void,
): number {
  for (let i = start; i < command.length; i++) {
    const char = command[i];
    const next = command[i + 1];
    if (char === '"') return i;
    if (char === '`') refuse('command substitution');
    if (char === '\\' && next !== undefined && '$`"\\\n'.includes(next)) {
      if (next !== '\n') emit(next, true);
      i++;
      continue;
    }
    if (char === '$') {
      if (next === '(') refuse('command substitution');
      emit(char, !(next !== undefined && EXPANSION_START.test(next)));
      continue;
    }
    emit(char, true);
  }
  refuse('unterminated double quote');
}

function checkSegment(words: ShellWord[]): ShellWord[] {
  const [first] = words;
  if (RESERVED_WORDS.has(first.text)) refuse(`shell keyword ${first.text}`);
  if (ASSIGNMENT.test(first.text)) refuse('environment assignment before the command');
  return words;
}
