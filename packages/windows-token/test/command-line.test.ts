// W6: CreateProcess command lines follow the Windows argv rules (CommandLineToArgvW / the C
// runtime): a table of known cases, and a round trip through a parser of those rules written here.
import fc from 'fast-check';
import { environmentBlock, quoteWindowsArgument, windowsCommandLine } from '../src/command-line.js';
import { CommandLineError } from '../src/index.js';

/** The C runtime's split of a command line (arguments after the program name). */
function parseArguments(line: string): string[] {
  const args: string[] = [];
  let i = 0;
  while (i < line.length) {
    while (line[i] === ' ' || line[i] === '\t') i += 1;
    if (i >= line.length) break;
    let arg = '';
    let quoted = false;
    for (; i < line.length; i += 1) {
      const ch = line[i] as string;
      if (!quoted && (ch === ' ' || ch === '\t')) break;
      if (ch === '\\') {
        let n = 0;
        while (line[i] === '\\') {
          n += 1;
          i += 1;
        }
        if (line[i] === '"') {
          arg += '\\'.repeat(Math.floor(n / 2));
          if (n % 2 === 1) arg += '"';
          else quoted = !quoted;
        } else {
          arg += '\\'.repeat(n);
          i -= 1;
        }
        continue;
      }
      if (ch === '"') {
        // `""` inside quotes is a literal quote in the modern runtime; we never emit it.
        quoted = !quoted;
        continue;
      }
      arg += ch;
    }
    args.push(arg);
  }
  return args;
}

describe('W6: quoting one argument', () => {
  test.each([
    ['plain', 'plain'],
    ['', '""'],
    ['a b', '"a b"'],
    ['tab\there', '"tab\there"'],
    ['say "hi"', '"say \\"hi\\""'],
    ['C:\\dir\\', 'C:\\dir\\'],
    ['C:\\my dir\\', '"C:\\my dir\\\\"'],
    ['a\\"b', '"a\\\\\\"b"'],
    ['\\\\server\\share', '\\\\server\\share'],
    ['a"b', '"a\\"b"'],
  ])('%j -> %s', (arg, quoted) => {
    expect(quoteWindowsArgument(arg)).toBe(quoted);
    expect(parseArguments(quoted)).toEqual([arg]);
  });

  test('any argv round-trips through the C runtime rules', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: fc.constantFrom('a', ' ', '\t', '"', '\\', 'é', 'x') }), { minLength: 1, maxLength: 6 }), (argv) => {
        expect(parseArguments(argv.map(quoteWindowsArgument).join(' '))).toEqual(argv);
      }),
    );
  });

  test('a NUL character is refused', () => {
    expect(() => quoteWindowsArgument('a\0b')).toThrow(CommandLineError);
  });
});

describe('W6: batch files run through cmd.exe', () => {
  test.each(['%PATH%', 'a&b', 'a|b', '>out', '"q"', '(x)', '^', '!v!', 'two\nlines'])('an argument with %j is refused', (arg) => {
    expect(() => windowsCommandLine(['C:\\tools\\run.CMD', arg])).toThrow(/contains a character cmd\.exe interprets/);
  });

  test('plain arguments pass, and other programs may take any text', () => {
    expect(windowsCommandLine(['C:\\tools\\run.bat', 'a', 'b c'])).toBe('C:\\tools\\run.bat a "b c"');
    expect(windowsCommandLine(['C:\\bin\\tool.exe', '%PATH%&'])).toBe('C:\\bin\\tool.exe %PATH%&');
  });
});

describe('W6: the environment block', () => {
  test('sorted case-insensitively, NUL-terminated entries, one more NUL', () => {
    expect(environmentBlock({ b: '2', A: '1', Path: 'x' }).toString('utf16le')).toBe('A=1\0b=2\0Path=x\0\0');
    expect(environmentBlock({}).toString('utf16le')).toBe('\0\0');
  });

  test.each([['', 'v'], ['A=B', 'v'], ['A', 'v\0']])('name %j value %j is refused', (name, value) => {
    expect(() => environmentBlock({ [name]: value })).toThrow(CommandLineError);
  });
});
