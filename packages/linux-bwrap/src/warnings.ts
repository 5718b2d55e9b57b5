// Owns the text of the startup warnings the OS layer returns (as data; the CLI prints them).
// Must NOT print anything or decide when a warning applies.
import { BUBBLEWRAP_INSTALL_HINT as INSTALL_HINT } from '@codex-sandbox/bundled-bwrap';

const PRODUCT_NAME = 'codex sandbox';

export const NO_SYSTEM_BWRAP_WARNING =
  `${PRODUCT_NAME} could not find bubblewrap on PATH. ${INSTALL_HINT} ` +
  `${PRODUCT_NAME} will use the bundled bubblewrap in the meantime.`;

export function unusableSystemBwrapWarning(binary: string, missingOptions: readonly string[]): string {
  return (
    `${PRODUCT_NAME} found bubblewrap at ${binary}, but it cannot be used: its --help does not list ` +
    `${missingOptions.join(', ')} (bubblewrap 0.8.0 or newer is needed). ${INSTALL_HINT} ` +
    `${PRODUCT_NAME} will use the bundled bubblewrap in the meantime.`
  );
}

export const USER_NAMESPACE_WARNING =
  `${PRODUCT_NAME} uses bubblewrap and needs access to create user namespaces. Sandboxed commands will fail ` +
  'until the host allows it (check kernel.unprivileged_userns_clone, user.max_user_namespaces, and AppArmor ' +
  'rules for bwrap). Where the profile allows it, features.use_legacy_landlock = true (in config.toml, or ' +
  '-c features.use_legacy_landlock=true) confines commands with Landlock instead, which needs no namespaces.';

/** stderr fragments of the known "cannot create user namespaces" failures. */
const USER_NAMESPACE_FAILURE_MARKERS = [
  'loopback: Failed RTM_NEWADDR',
  'loopback: Failed RTM_NEWLINK',
  'setting up uid map: Permission denied',
  'No permissions to create a new namespace',
  // Debian's bubblewrap words it without the article.
  'No permissions to create new namespace',
  // Inside a sandbox that forbids further user namespaces (bwrap --disable-userns, a container
  // whose max_user_namespaces is 0).
  'Creating new namespace failed',
] as const;

/** Pure: does this stderr of a failed probe show one of the known user-namespace failures? */
export function isUserNamespaceFailure(stderr: string): boolean {
  return USER_NAMESPACE_FAILURE_MARKERS.some((marker) => stderr.includes(marker));
}
