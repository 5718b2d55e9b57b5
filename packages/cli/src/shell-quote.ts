// Owns quoting argv for display so a printed command line can be pasted back into a POSIX shell.
// Pure. Must NOT be used to build a command that is actually run (we always spawn argv arrays).

const SAFE_WORD = /^[A-Za-z0-9_@%+=:,./-]+$/;

export function shellQuote(word: string): string {
  if (word !== '' && SAFE_WORD.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

export function shellQuoteArgv(argv: readonly string[]): string {
  return argv.map(shellQuote).join(' ');
}
