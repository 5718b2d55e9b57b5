import { isWsl1 } from '../src/wsl.js';

describe('isWsl1', () => {
  const cases: Array<[string, boolean]> = [
    ['Linux version 4.4.0-22621-Microsoft (Microsoft@Microsoft.com) (gcc version 5.4.0) #2506-Microsoft', true],
    ['Linux version 5.15.0-microsoft-standard-WSL1 (gcc)', true],
    ['Linux version 5.15.153.1-microsoft-standard-WSL2 (root@1ff3d3d2d4b7) (gcc (GCC) 11.2.0) #1 SMP', false],
    ['Linux version 4.19.104-microsoft-standard (oe-user@oe-host) (gcc version 8.2.0 (GCC)) #1 SMP', false],
    ['Linux version 6.1.0-microsoft-standard-WSL3 #1 SMP', false],
    ['Linux version 6.1.0-18-amd64 (debian-kernel@lists.debian.org) (gcc-12 (Debian 12.2.0-14) 12.2.0) #1 SMP', false],
    ['', false],
    // A `wsl` without digits does not decide; the later `WSL2` marker does.
    ['Linux version 5.15-microsoft-standard-wsl-build WSL2', false],
    ['Linux version 4.4.0-Microsoft wslfoo', true],
    ['LINUX VERSION 5.10-MICROSOFT-STANDARD-WSL1', true],
    ['Linux version 5.15-WSL10', false],
  ];
  it.each(cases)('%s -> %s', (text, expected) => {
    expect(isWsl1(text)).toBe(expected);
  });
});
