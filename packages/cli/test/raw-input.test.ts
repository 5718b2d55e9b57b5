// The pure checks behind refusing input Node would alter: raw argument and environment bytes, and
// strings with lone surrogates handed to the library API.
import { checkRawArguments, checkRawEnvironment, escapeBytes, requireWellFormed } from '../src/raw-input.js';
import { InvalidTextError } from '../src/errors.js';

const bytes = (...parts: Array<string | number[]>): Buffer => Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p))));

test('escapeBytes shows printable ASCII and escapes the rest', () => {
  expect(escapeBytes(bytes('keep', [0xff]))).toBe("'keep\\xff'");
  expect(escapeBytes(bytes("a'b\\", [0x0a]))).toBe("'a\\x27b\\x5c\\x0a'");
});

test('arguments: the first invalid one is named by its process.argv number; valid UTF-8 passes', () => {
  expect(() => checkRawArguments([bytes('/x/codex'), bytes('sandbox'), bytes('café')])).not.toThrow();
  expect(() => checkRawArguments([bytes('/x/codex'), bytes('sandbox'), bytes('rm'), bytes('keep', [0xff])])).toThrow(
    /^argument 3 'keep\\xff' is not valid UTF-8; /,
  );
  expect(() => checkRawArguments([bytes('/x/', [0xc0, 0xaf])])).toThrow(/^the path of this executable/);
  try {
    checkRawArguments([bytes('/x'), bytes([0xfe])]);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidTextError);
    expect((error as InvalidTextError).exitCode).toBe(2);
  }
});

test('environment: names the variable (the original name for a launcher stash), never the value', () => {
  expect(() => checkRawEnvironment([bytes('A=é'), bytes('B=')])).not.toThrow();
  expect(() => checkRawEnvironment([bytes('TOKEN=s3cr', [0xff])])).toThrow(/^the value of environment variable TOKEN is not valid UTF-8; /);
  expect(() => checkRawEnvironment([bytes('CODEX_SANDBOX_STASHED_NODE_OPTIONS=', [0xff])])).toThrow(/variable NODE_OPTIONS /);
  expect(() => checkRawEnvironment([bytes('TOKEN=s3cr', [0xff])])).not.toThrow(/s3cr/);
});

test('library strings: lone surrogates are refused, pairs pass', () => {
  expect(() => requireWellFormed('the command', 'ok 😀')).not.toThrow();
  expect(() => requireWellFormed('argument 1 of the command', 'keep\uD800')).toThrow(/^argument 1 of the command "keep\\ud800" contains a lone UTF-16 surrogate/);
  expect(() => requireWellFormed('the value of environment variable X', '\uDC00', { showValue: false })).toThrow(/^the value of environment variable X contains/);
});
