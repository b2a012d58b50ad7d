/** Time-ordered ids (UUIDv7, RFC 9562): rows sort by creation, and ids reveal nothing but a timestamp. */
import { randomFillSync } from 'node:crypto';

// Random bytes are drawn 4 KiB at a time: one system call per 256 ids rather than one per id (the ledger makes tens
// of thousands of ids a second). The bytes are as random as randomBytes(16) would give; each is used once.
const POOL = Buffer.alloc(4096);
let offset = POOL.length;

export function uuidv7(now: number = Date.now()): string {
  if (offset + 16 > POOL.length) {
    randomFillSync(POOL);
    offset = 0;
  }
  const o = offset;
  offset += 16;
  // 48-bit milliseconds, big-endian, by arithmetic (no bigint: this runs once per ledger entry), then the random
  // bytes with the version and variant bits, written as hex straight from the pool (no buffer per id).
  let ms = Math.trunc(now);
  let time = '';
  for (let i = 5; i >= 0; i--) {
    time = HEX[ms % 256]! + time;
    ms = Math.floor(ms / 256);
  }
  const version = HEX[(POOL[o + 6]! & 0x0f) | 0x70]! + byte(o + 7);
  const variant = HEX[(POOL[o + 8]! & 0x3f) | 0x80]! + byte(o + 9);
  let node = '';
  for (let i = 10; i < 16; i++) node += byte(o + i);
  return `${time.slice(0, 8)}-${time.slice(8)}-${version}-${variant}-${node}`;
}

const byte = (at: number): string => HEX[POOL[at]!]!;
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
