// The first statements of the release's single executable application (SEA), run before the
// program (the esbuild bundle of packages/cli/src/main.ts): release/scripts/make-bundle.mjs puts
// this file and the bundle into the SEA's main script. It keeps the properties the sh/JS
// executable has (packages/cli/scripts/build-executable.mjs) where a SEA could lose them.
// Must NOT load anything but Node's built-ins (a SEA's require cannot load from disk anyway), nor
// read a file, nor look anything up on PATH. It sits at the top level of the main script, whose
// strictness the program's own directive decides (the program runs in a function of its own).

// Node's own SIGUSR1 handler opens the inspector (an unauthenticated debugger on 127.0.0.1:9229,
// which a sandboxed command with network access could connect to). A JS listener replaces that
// handler for the life of the process; the program forwards SIGUSR1 to the command during a run.
// A SEA takes no Node flags, so the sh/JS executable's --inspect-port=0.0.0.1 for the few ms
// before this statement is not available; the check below refuses a run whose inspector a
// SIGUSR1 in those ms has already opened (Node opens it asynchronously: one still being opened
// is not seen; release/README.md says so).
process.on('SIGUSR1', () => {});

(() => {
  'use strict';
  const path = require('node:path');
  const refuse = (message) => {
    process.stderr.write(`codex: ${message}\n`);
    process.exit(1);
  };
  if (require('node:inspector').url() !== undefined) {
    refuse('the Node.js inspector of this process is open (a SIGUSR1 reached it before the program started); refusing to run');
  }
  if (process.platform === 'win32') {
    // codex.exe is the SEA itself: it is the front end (no launcher can run before Node here), so
    // the variables that make Node or OpenSSL run other code at start (--require and --inspect in
    // NODE_OPTIONS, an IPC channel, OpenSSL engines and providers) have already acted on this very
    // process when they are set. Fail closed: refuse and name them, rather than run a front end
    // that may not be ours. (Variables that only slow Node down, NODE_EXTRA_CA_CERTS, are let be.)
    const acting = ['NODE_OPTIONS', 'NODE_CHANNEL_FD', 'NODE_REPL_EXTERNAL_MODULE', 'OPENSSL_CONF', 'OPENSSL_CONF_INCLUDE', 'OPENSSL_ENGINES', 'OPENSSL_MODULES'].filter(
      (name) => process.env[name] !== undefined,
    );
    if (acting.length > 0) {
      refuse(`${acting.join(', ')} ${acting.length === 1 ? 'is' : 'are'} set, and on Windows codex.exe cannot keep ${acting.length === 1 ? 'it' : 'them'} from its own Node.js before it starts; unset ${acting.length === 1 ? 'it' : 'them'} to run codex sandbox (the command would not get ${acting.length === 1 ? 'it' : 'them'} either)`);
    }
    process.argv[1] = process.execPath;
    return;
  }
  // On Linux and macOS the SEA is codex-resources/codex-sea and the front end is the launcher
  // beside codex-resources, which moved the variables Node acts on at start out of the way. Started
  // any other way, those variables may already have acted on this Node: refuse.
  if (process.env.CODEX_SANDBOX_LAUNCHER !== '1') {
    refuse(`${process.execPath} is started by the codex launcher of its release bundle (it keeps NODE_OPTIONS and the other variables Node acts on at start away from this process); run ${path.join(path.dirname(path.dirname(process.execPath)), 'codex')} instead`);
  }
  // The program finds codex-resources, and protects its own files, from argv[1], the front end's
  // path (as the sh/JS executable's launcher passes it). process.execPath is the SEA's real path,
  // from the OS (/proc/self/exe, _NSGetExecutablePath), never from PATH.
  process.argv[1] = path.join(path.dirname(path.dirname(process.execPath)), 'codex');
})();
