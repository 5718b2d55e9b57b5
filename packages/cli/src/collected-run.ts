// Owns one backend run with the stdio a library caller chose: `pipe` gives the command the caller's
// input on stdin (then closes it) and collects stdout and stderr until the sandboxed process tree
// has closed them. Must NOT plan, resolve the command or choose the network (the request says).
import type { BackendRequest, SandboxBackend } from './backend.js';

export interface CollectedRun {
  exitCode: number;
  /** macOS --log-denials: the denial report. */
  denialReport?: string;
  /** With stdio 'pipe' only. */
  stdout?: Buffer;
  stderr?: Buffer;
}

export async function runCollecting(
  backend: SandboxBackend,
  request: Omit<BackendRequest, 'stdio' | 'onSpawn'>,
  stdio: 'inherit' | 'ignore' | 'pipe',
  input: string | Buffer | undefined,
): Promise<CollectedRun> {
  if (stdio !== 'pipe') return backend.run({ ...request, stdio });
  let collected: Promise<[Buffer, Buffer]> = Promise.resolve([Buffer.alloc(0), Buffer.alloc(0)]);
  const result = await backend.run({
    ...request,
    stdio,
    onSpawn(child) {
      // A command may exit, or close its stdin, before it has read all of its input (`head -c 5`,
      // `true`): the write then fails with EPIPE. That is the command's choice, as in a shell
      // pipeline, not a failure of the run; unhandled, the error event would crash the host program.
      child.stdin?.on('error', () => {});
      child.stdin?.end(input ?? '');
      collected = Promise.all([collect(child.stdout), collect(child.stderr)]);
    },
  });
  const [stdout, stderr] = await collected;
  return { ...result, stdout, stderr };
}

/** Reads a stream to its end; output streams close when the sandboxed process tree exits. */
function collect(stream: NodeJS.ReadableStream | null): Promise<Buffer> {
  if (stream === null) return Promise.resolve(Buffer.alloc(0));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer | string) => chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });
}
