// W3, W7: the bytes the runner hands Win32 and reads back (SIDs, ACLs, structures), built and
// parsed here without Windows; tables use the layouts of the Windows SDK headers.
import { ALLOW_WRITE_MASK, DENY_WRITE_MASK, INHERITED_ACE, SUBTREE_INHERIT } from '../src/access-masks.js';
import { aceBytes, buildAcl, mergedAcl, parseAcl } from '../src/acl-bytes.js';
import { sidFromBytes, sidToBytes } from '../src/sid-bytes.js';
import { readSidAndAttributes, startupInfo, killOnCloseLimits, enabledPrivilege, requireSixtyFourBit } from '../src/win32-structs.js';

describe('SIDs as bytes', () => {
  test.each([
    ['S-1-1-0', '010100000000000100000000'],
    ['S-1-5-5-0-12345', '0103000000000005050000000000000039300000'],
    ['S-1-5-21-1-2-3-1001', '010500000000000515000000010000000200000003000000e9030000'],
  ])('%s', (sid, hex) => {
    expect(sidToBytes(sid).toString('hex')).toBe(hex);
    expect(sidFromBytes(Buffer.from(hex, 'hex'))).toEqual({ sid, length: hex.length / 2 });
  });

  test.each(['S-1', 'X-1-5', 'S-2-5-1', 'S-1-5-x', 'S-1-281474976710656-1', 'S-1-5-4294967296'])('%s is refused', (sid) => {
    expect(() => sidToBytes(sid)).toThrow(/SID/);
  });
});

describe('ACLs as bytes', () => {
  const deny = { type: 'deny' as const, sid: 'S-1-5-21-9-9-9-1', mask: DENY_WRITE_MASK, flags: SUBTREE_INHERIT };
  const allow = { type: 'allow' as const, sid: 'S-1-5-21-9-9-9-2', mask: ALLOW_WRITE_MASK, flags: SUBTREE_INHERIT };

  test('an ACE: type, flags, size, mask, SID', () => {
    expect(aceBytes(allow).toString('hex')).toBe(`00032400bf011300${sidToBytes(allow.sid).toString('hex')}`);
  });

  test('build and parse round-trip; header carries revision, size and count', () => {
    const acl = buildAcl([aceBytes(deny), aceBytes(allow)]);
    expect(acl[0]).toBe(2);
    expect(acl.readUInt16LE(2)).toBe(acl.length);
    expect(acl.readUInt16LE(4)).toBe(2);
    expect(parseAcl(acl).aces.map(({ type, sid, mask, flags }) => ({ type, sid, mask, flags }))).toEqual([deny, allow]);
  });

  test('merged: planned denies, existing explicit denies, planned allows, other explicit ACEs; inherited ones dropped', () => {
    const existingDeny = { type: 'deny' as const, sid: 'S-1-5-21-1-1-1-1', mask: 0x2, flags: 0 };
    const existingAllow = { type: 'allow' as const, sid: 'S-1-5-21-1-1-1-2', mask: 0x1f01ff, flags: SUBTREE_INHERIT };
    const inherited = { type: 'allow' as const, sid: 'S-1-5-21-1-1-1-3', mask: 0x1f01ff, flags: INHERITED_ACE };
    const existing = parseAcl(buildAcl([aceBytes(existingDeny), aceBytes(existingAllow), aceBytes(inherited)]));
    const merged = parseAcl(mergedAcl(existing, [allow, deny])).aces.map((a) => a.sid);
    expect(merged).toEqual([deny.sid, existingDeny.sid, allow.sid, existingAllow.sid]);
  });

  test.each([
    ['short header', Buffer.alloc(4)],
    ['size beyond the data', Buffer.from('0200ff0000000000', 'hex')],
    ['ACE beyond the ACL', Buffer.from('020010000100000000003000', 'hex')],
  ])('a malformed ACL (%s) throws instead of being misread', (_name, bytes) => {
    expect(() => parseAcl(bytes)).toThrow(/malformed ACL/);
  });
});

describe('structures (64-bit layouts)', () => {
  test('STARTUPINFOW: cb, STARTF_USESTDHANDLES, the three handles at 80/88/96', () => {
    const b = startupInfo(0x10n, 0x20n, 0x30n);
    expect(b.length).toBe(104);
    expect(b.readUInt32LE(0)).toBe(104);
    expect(b.readUInt32LE(60)).toBe(0x100);
    expect([b.readBigUInt64LE(80), b.readBigUInt64LE(88), b.readBigUInt64LE(96)]).toEqual([0x10n, 0x20n, 0x30n]);
  });

  test('JOBOBJECT_EXTENDED_LIMIT_INFORMATION: 144 bytes, kill-on-close in LimitFlags at 16', () => {
    const b = killOnCloseLimits();
    expect(b.length).toBe(144);
    expect(b.readUInt32LE(16)).toBe(0x2000);
  });

  test('TOKEN_PRIVILEGES: one LUID enabled', () => {
    expect(enabledPrivilege(Buffer.from('1700000000000000', 'hex')).toString('hex')).toBe('01000000170000000000000002000000');
  });

  test('TOKEN_GROUPS read back: SID pointers resolved inside the buffer', () => {
    const sids = ['S-1-5-21-9-9-9-1', 'S-1-1-0'].map(sidToBytes);
    const base = 0x7000n;
    const b = Buffer.alloc(8 + 32 + sids[0]!.length + sids[1]!.length);
    b.writeUInt32LE(2, 0);
    let offset = 40;
    sids.forEach((sid, i) => {
      b.writeBigUInt64LE(base + BigInt(offset), 8 + 16 * i);
      b.writeUInt32LE(i === 0 ? 0xc0000007 : 7, 16 + 16 * i);
      sid.copy(b, offset);
      offset += sid.length;
    });
    expect(readSidAndAttributes(b, base, true)).toEqual([
      { sid: 'S-1-5-21-9-9-9-1', attributes: 0xc0000007 },
      { sid: 'S-1-1-0', attributes: 7 },
    ]);
    expect(() => readSidAndAttributes(b, base + 0x1000n, true)).toThrow(/outside its buffer/);
  });

  test('only 64-bit Windows', () => {
    expect(() => requireSixtyFourBit('ia32')).toThrow('the Windows sandbox supports 64-bit Windows only (this Node is ia32); refusing to run unsandboxed');
    expect(() => requireSixtyFourBit('x64')).not.toThrow();
  });
});
