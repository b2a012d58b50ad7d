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
  const bytes = Buffer.from(POOL.subarray(offset, offset + 16));
  offset += 16;
  // 48-bit milliseconds, big-endian, by arithmetic (no bigint: this runs once per ledger entry).
  let ms = Math.trunc(now);
  for (let i = 5; i >= 0; i--) {
    bytes[i] = ms % 256;
    ms = Math.floor(ms / 256);
  }
  bytes[6] = (bytes[6]! & 0x0f) | 0x70;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
