import { parseLinuxHelperArgs } from '../src/linux-helper-args.js';
import { UsageError } from '../src/errors.js';

const PROFILE = '{"type":"disabled"}';

describe('parseLinuxHelperArgs', () => {
  test('full form', () => {
    expect(
      parseLinuxHelperArgs([
        '--sandbox-policy-cwd', '/w', '--command-cwd', '/w/sub', '--permission-profile', PROFILE, '--no-proc', '--', 'ls', '-l',
      ]),
    ).toEqual({ sandboxPolicyCwd: '/w', commandCwd: '/w/sub', permissionProfileJson: PROFILE, mountProc: false, legacyLandlock: false, command: ['ls', '-l'] });
  });
  test('--flag=value form, no --, defaults', () => {
    expect(parseLinuxHelperArgs(['--sandbox-policy-cwd=/w', `--permission-profile=${PROFILE}`, 'true', '--x'])).toEqual({
      sandboxPolicyCwd: '/w',
      commandCwd: undefined,
      permissionProfileJson: PROFILE,
      mountProc: true,
      legacyLandlock: false,
      command: ['true', '--x'],
    });
  });
  test('--use-legacy-landlock selects the Landlock backend (LL1)', () => {
    expect(parseLinuxHelperArgs(['--sandbox-policy-cwd', '/w', '--permission-profile', PROFILE, '--use-legacy-landlock', '--', 'true']).legacyLandlock).toBe(true);
  });
  test('options after -- belong to the command', () => {
    expect(parseLinuxHelperArgs(['--sandbox-policy-cwd', '/w', '--permission-profile', PROFILE, '--', '--no-proc']).command).toEqual([
      '--no-proc',
    ]);
  });
  test.each([
    [['--permission-profile', PROFILE, '--', 'true'], /--sandbox-policy-cwd is required/],
    [['--sandbox-policy-cwd', '/w', '--', 'true'], /missing permission profile configuration/],
    [['--sandbox-policy-cwd', '/w', '--permission-profile', PROFILE, '--'], /No command specified to execute/],
    [['--sandbox-policy-cwd'], /--sandbox-policy-cwd requires a value/],
    [['--sandbox-policy-cwd', '/a', '--sandbox-policy-cwd', '/b'], /given more than once/],
    [['--bogus', 'x'], /unknown option --bogus; allowed: /],
    [['--no-proc=1'], /--no-proc takes no value/],
    [['--apply-seccomp-then-exec'], /--apply-seccomp-then-exec is not supported: there is no inner helper stage/],
    [['--use-legacy-landlock=yes'], /--use-legacy-landlock takes no value/],
    [['--allow-network-for-proxy'], /not supported: managed network proxy/],
    [['--managed-network', '{}'], /--managed-network is not supported/],
    [['--proxy-route-spec=x'], /--proxy-route-spec is not supported/],
    [['--verify-fd-mount', '3:/x'], /--verify-fd-mount is not supported/],
    [['--inherit-pid-namespace'], /--inherit-pid-namespace is not supported/],
  ])('%j is rejected', (argv, message) => {
    expect(() => parseLinuxHelperArgs(argv)).toThrow(UsageError);
    expect(() => parseLinuxHelperArgs(argv)).toThrow(message);
  });
});
