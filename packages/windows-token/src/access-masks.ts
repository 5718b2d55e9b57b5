// The Win32 access masks and ACE flags the ACL plan and the token use, named once (values from the
// Windows SDK headers). Constants only: must NOT hold decisions.

export const FILE_READ_DATA = 0x0001;
export const FILE_WRITE_DATA = 0x0002;
export const FILE_APPEND_DATA = 0x0004;
export const FILE_READ_EA = 0x0008;
export const FILE_WRITE_EA = 0x0010;
export const FILE_EXECUTE = 0x0020;
export const FILE_DELETE_CHILD = 0x0040;
export const FILE_READ_ATTRIBUTES = 0x0080;
export const FILE_WRITE_ATTRIBUTES = 0x0100;
export const DELETE = 0x0001_0000;
export const READ_CONTROL = 0x0002_0000;
export const WRITE_DAC = 0x0004_0000;
export const WRITE_OWNER = 0x0008_0000;
export const SYNCHRONIZE = 0x0010_0000;
export const GENERIC_ALL = 0x1000_0000;

export const FILE_GENERIC_READ = READ_CONTROL | FILE_READ_DATA | FILE_READ_ATTRIBUTES | FILE_READ_EA | SYNCHRONIZE;
export const FILE_GENERIC_WRITE = READ_CONTROL | FILE_WRITE_DATA | FILE_WRITE_ATTRIBUTES | FILE_WRITE_EA | FILE_APPEND_DATA | SYNCHRONIZE;
export const FILE_GENERIC_EXECUTE = READ_CONTROL | FILE_READ_ATTRIBUTES | FILE_EXECUTE | SYNCHRONIZE;

/**
 * Allow-write on a writable root: read, write, execute and delete of what is under it, but not
 * FILE_DELETE_CHILD, so removing a child needs DELETE on the child itself, which a deny-write
 * carve-out withholds (it cannot be renamed or removed through its parent's grant).
 */
export const ALLOW_WRITE_MASK = FILE_GENERIC_READ | FILE_GENERIC_WRITE | FILE_GENERIC_EXECUTE | DELETE;

/** Deny-write on a read-only carve-out: every way of changing it, its contents, or its ACL. */
export const DENY_WRITE_MASK =
  FILE_WRITE_DATA | FILE_APPEND_DATA | FILE_WRITE_EA | FILE_WRITE_ATTRIBUTES | FILE_DELETE_CHILD | DELETE | WRITE_DAC | WRITE_OWNER;

/** Read and execute, for the `NUL` device. */
export const READ_EXECUTE_MASK = FILE_GENERIC_READ | FILE_GENERIC_EXECUTE;

/** ACE inheritance: objects and containers below inherit it. */
export const OBJECT_INHERIT_ACE = 0x1;
export const CONTAINER_INHERIT_ACE = 0x2;
export const SUBTREE_INHERIT = OBJECT_INHERIT_ACE | CONTAINER_INHERIT_ACE;
/** Set on ACEs a DACL holds by inheritance (explicit ones come first in a canonical DACL). */
export const INHERITED_ACE = 0x10;

/** CreateRestrictedToken flags (W3). */
export const DISABLE_MAX_PRIVILEGE = 0x1;
export const LUA_TOKEN = 0x4;
export const WRITE_RESTRICTED = 0x8;
export const RESTRICTED_TOKEN_FLAGS = DISABLE_MAX_PRIVILEGE | LUA_TOKEN | WRITE_RESTRICTED;
