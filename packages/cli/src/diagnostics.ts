// Owns how the front end talks to the user on stderr: one format for errors and warnings
// (`<program>: warning: ...`), each distinct warning printed once. Must NOT decide what is a warning
// or an error; callers pass the text.

export interface DiagnosticSink {
  warn(message: string): void;
  error(message: string): void;
}

export type Write = (text: string) => void;

/** Multi-line messages keep their extra lines, indented, under the one prefixed line. */
function format(prefix: string, message: string): string {
  const [first, ...rest] = message.trimEnd().split('\n');
  return [`${prefix}${first ?? ''}`, ...rest.map((line) => (line === '' ? '' : `  ${line}`))].join('\n') + '\n';
}

export function createDiagnosticSink(program: string, write: Write): DiagnosticSink {
  const seen = new Set<string>();
  return {
    warn(message: string): void {
      const key = message.trim();
      if (key === '' || seen.has(key)) return;
      seen.add(key);
      write(format(`${program}: warning: `, key));
    },
    error(message: string): void {
      write(format(`${program}: `, message));
    },
  };
}
