// Starts support/proxy-child.ts (bundled) as a process of its own and reads the one JSON line it
// prints once its proxy listens. The caller kills it (kill() waits for the exit).
import { spawn } from 'node:child_process';

export interface ProxyChildInfo {
  socketDir: string;
  http: { unixSocketPath: string };
  cluster: string[];
}

export interface ProxyChild {
  readonly pid: number;
  readonly info: ProxyChildInfo;
  kill(): Promise<void>;
}

/** `argv`: the command line that runs the bundled entry (node, or setpriv ... node), its options last. */
export async function startProxyChild(argv: readonly string[]): Promise<ProxyChild> {
  const child = spawn(argv[0] ?? '', argv.slice(1), { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const kill = async (): Promise<void> => {
    child.kill('SIGKILL');
    await exited;
  };
  try {
    const line = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (c: Buffer) => {
        out += c.toString();
        if (out.includes('\n')) resolve(out);
      });
      child.once('exit', (code) => reject(new Error(`proxy child exited ${code}`)));
    });
    return { pid: child.pid ?? 0, info: JSON.parse(line) as ProxyChildInfo, kill };
  } catch (error) {
    await kill();
    throw error;
  }
}
