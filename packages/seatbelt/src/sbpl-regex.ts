// Owns the regular expressions the Seatbelt policy contains: escaping a path as a regex literal,
// the glob -> regex translation of deny globs (M8), and the metadata-name guards (M7). These are
// the only places a path reaches the policy text (sandbox-exec cannot build a regex from a
// parameter), so every character that is not a plain path character is escaped here. Pure string
// functions: must NOT touch the filesystem or decide which globs apply.
import { SeatbeltPolicyError } from './errors.js';

/** Characters with a meaning in Seatbelt's (POSIX extended) regexes, and `"` (the literal's delimiter). */
const REGEX_SPECIAL = new Set(['\\', '.', '^', '$', '|', '(', ')', '[', ']', '{', '}', '*', '+', '?', '"']);

/** Refuses text a regex literal cannot carry safely: control characters (newline, NUL...). */
function requirePrintable(text: string, what: string): void {
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(text)) {
    throw new SeatbeltPolicyError(`${what} ${JSON.stringify(text)} contains a control character, which a Seatbelt regex cannot express; refusing to build the policy`);
  }
}

/** One character as a regex literal. */
function escapeChar(c: string): string {
  return REGEX_SPECIAL.has(c) ? `\\${c}` : c;
}

/** `text` matched literally. */
export function escapeRegexLiteral(text: string): string {
  requirePrintable(text, 'path');
  let out = '';
  for (const c of text) out += escapeChar(c);
  return out;
}

/** M7: `^<root>/<name>(/.*)?$`, the metadata name directly under a writable root and its subtree. */
export function metadataNameRegex(root: string, name: string): string {
  const base = root === '/' ? '' : escapeRegexLiteral(root);
  return `^${base}/${escapeRegexLiteral(name)}(/.*)?$`;
}

/** Index of the `]` closing the class opened at `open`, or -1 (an unclosed `[` is literal). */
function classEnd(pattern: string, open: number): number {
  let i = open + 1;
  if (pattern[i] === '!' || pattern[i] === '^') i += 1;
  // A `]` first in the class is a member, not the end.
  if (pattern[i] === ']') i += 1;
  for (; i < pattern.length; i += 1) if (pattern[i] === ']') return i;
  return -1;
}

/**
 * A closed `[...]` as a regex class that never matches `/` (git-style; `!` negates). Members that
 * mean something else inside a bracket expression in one regex dialect or another (backslash,
 * quote, brackets, `^`) and out-of-order ranges are refused rather than guessed at.
 */
function translateClass(body: string): string {
  const negated = body.startsWith('!');
  const members = negated ? body.slice(1) : body;
  if (members === '' || /[\\"[\]^]/.test(members)) {
    throw new SeatbeltPolicyError(`deny glob class [${body}] uses a character Seatbelt cannot match reliably inside a class (\\ " [ ] ^); refusing to build the policy`);
  }
  const chars = [...members];
  chars.forEach((c, i) => {
    const end = chars[i + 2];
    if (chars[i + 1] === '-' && end !== undefined && (end.codePointAt(0) ?? 0) < (c.codePointAt(0) ?? 0)) {
      throw new SeatbeltPolicyError(`deny glob class [${body}] has the range ${c}-${end}, which is out of order; refusing to build the policy`);
    }
  });
  return negated ? `[^/${members}]` : `[${members}]`;
}

export interface GlobRegexOptions {
  /** `exact`: the pattern's own matches only; otherwise a match and everything below it. */
  exact?: boolean;
}

// M8: a git-style glob as an anchored regex. A star is any run of non-slash characters, a double
// star followed by a slash is zero or more whole directories, another double star is anything,
// `?` one non-slash character, a backslash makes the next character literal, `{a,b}` is `(a|b)`
// (an unclosed group is closed at the end), a closed `[...]` a class that never matches a slash
// (`!` negates), an unclosed `[` and a stray `]` are literal; everything else is literal. Not
// exact: `(/.*)?` is appended (a matching directory is denied with its subtree, P24.2).
export function globToRegex(pattern: string, options: GlobRegexOptions = {}): string {
  requirePrintable(pattern, 'deny glob');
  let out = '';
  let openGroups = 0;
  for (let i = 0; i < pattern.length; i += 1) {
    const c = pattern[i] as string;
    if (c === '*') {
      if (pattern[i + 1] === '*') {
        if (pattern[i + 2] === '/') {
          out += '(.*/)?';
          i += 2;
        } else {
          out += '.*';
          i += 1;
        }
      } else {
        out += '[^/]*';
      }
    } else if (c === '?') {
      out += '[^/]';
    } else if (c === '\\') {
      const next = pattern[i + 1];
      if (next === undefined) out += '\\\\';
      else {
        out += escapeChar(next);
        i += 1;
      }
    } else if (c === '{') {
      out += '(';
      openGroups += 1;
    } else if (c === '}' && openGroups > 0) {
      out += ')';
      openGroups -= 1;
    } else if (c === ',' && openGroups > 0) {
      out += '|';
    } else if (c === '[') {
      const end = classEnd(pattern, i);
      if (end < 0) out += '\\[';
      else {
        out += translateClass(pattern.slice(i + 1, end));
        i = end;
      }
    } else {
      out += escapeChar(c);
    }
  }
  out += ')'.repeat(openGroups);
  return `^${out}${options.exact === true ? '' : '(/.*)?'}$`;
}

/**
 * The ancestors of a glob pattern, shallowest first, as glob prefixes cut at each `/` (not `/`
 * itself, not the pattern). A prefix cut inside `{...}` keeps the alternatives it has (the group is
 * closed by globToRegex), so an ancestor that exists only in one alternative is still covered.
 */
export function globAncestors(pattern: string): string[] {
  const out: string[] = [];
  let depth = 0;
  for (let i = 1; i < pattern.length; i += 1) {
    const c = pattern[i];
    if (c === '\\') {
      i += 1;
      continue;
    }
    if (c === '{') depth += 1;
    else if (c === '}' && depth > 0) depth -= 1;
    else if (c === '/') out.push(pattern.slice(0, i));
  }
  return [...new Set(out.filter((p) => p !== '' && p !== '/'))];
}
