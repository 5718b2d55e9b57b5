// Finding descriptors a child would inherit (real /proc/self/fdinfo, real descriptors through
// fcntl) and hiding them for the duration of a spawn only.
import * as fs from 'node:fs';
import { fdinfoSaysCloseOnExec, inheritableDescriptors, loadCloseOnExecControl, withDescriptorsHidden } from '../src/inherited-descriptors.js';

test.each([
  ['pos:\t0\nflags:\t02100000\nmnt_id:\t1\n', true],
  ['pos:\t0\nflags:\t0100002\nmnt_id:\t1\n', false],
  ['pos:\t0\n', undefined],
])('fdinfoSaysCloseOnExec(%j) is %s', (text, expected) => {
  expect(fdinfoSaysCloseOnExec(text)).toBe(expected);
});

test("Node's own descriptors are close-on-exec; one without it is found, hidden for the spawn only, then restored", () => {
  const fcntl = loadCloseOnExecControl();
  const fd = fs.openSync('/dev/null', 'r');
  try {
    expect(inheritableDescriptors()).not.toContain(fd);
    fcntl.set(fd, 0);
    expect(inheritableDescriptors()).toContain(fd);
    const during = withDescriptorsHidden([fd], fcntl, () => inheritableDescriptors());
    expect(during).not.toContain(fd);
    expect(inheritableDescriptors()).toContain(fd);
    expect(() => withDescriptorsHidden([fd], fcntl, () => {
      throw new Error('spawn failed');
    })).toThrow('spawn failed');
    expect(fcntl.get(fd)).toBe(0);
  } finally {
    fs.closeSync(fd);
  }
});
