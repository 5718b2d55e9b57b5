// closeInheritedDescriptors({ ownsProcess: true }), the executable's start: the descriptors inherited
// without close-on-exec are closed, and later spawns trust the process instead of looking at /proc
// again. Its own file: the setting lasts for the process (here, this test file's module registry).
import * as fs from 'node:fs';
import { closeInheritedDescriptors, inheritableDescriptors, loadCloseOnExecControl, spawnWithoutInheritedDescriptors } from '../src/inherited-descriptors.js';

const FD_CLOEXEC = 1;

test('ownsProcess: inherited descriptors are closed, and a spawn after it no longer looks for new ones', async () => {
  const fcntl = loadCloseOnExecControl();
  // The test runner's own inheritable descriptors (an IPC channel, say) are not this test's to close:
  // close-on-exec for the test's duration keeps them out of the close.
  const runners = inheritableDescriptors().map((fd) => ({ fd, flags: fcntl.get(fd) }));
  for (const { fd, flags } of runners) fcntl.set(fd, flags | FD_CLOEXEC);
  const inherited = fs.openSync('/dev/null', 'r');
  let after: number | undefined;
  try {
    fcntl.set(inherited, 0);
    expect(closeInheritedDescriptors({ ownsProcess: true })).toEqual([inherited]);
    expect(() => fcntl.get(inherited)).toThrow('F_GETFD');
    // Only native code could make one now (Node opens everything close-on-exec); the spawn takes the
    // process at its word, where without ownsProcess it would mark this one close-on-exec first.
    after = fs.openSync('/dev/null', 'r');
    fcntl.set(after, 0);
    const flagsDuringSpawn = await spawnWithoutInheritedDescriptors(() => fcntl.get(after as number));
    expect(flagsDuringSpawn & FD_CLOEXEC).toBe(0);
  } finally {
    if (after !== undefined) fs.closeSync(after);
    for (const { fd, flags } of runners) fcntl.set(fd, flags);
  }
});
