/**
 * Reading a job's log, whole or its tail.
 */
import { open } from 'node:fs/promises';

/** The log's text; a job that has written nothing yet has an empty log. */
export async function readLog(path: string, tailBytes?: number): Promise<string> {
  let file;
  try {
    file = await open(path, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw error;
  }
  try {
    const { size } = await file.stat();
    const length = tailBytes === undefined ? size : Math.max(0, Math.min(size, Math.floor(tailBytes)));
    const buffer = Buffer.alloc(length);
    const { bytesRead } = await file.read(buffer, 0, length, size - length);
    let start = 0;
    // A tail may begin inside a UTF-8 character: skip its continuation bytes rather than show U+FFFD.
    if (length < size) while (start < bytesRead && ((buffer[start] ?? 0) & 0xc0) === 0x80) start++;
    return buffer.subarray(start, bytesRead).toString('utf8');
  } finally {
    await file.close();
  }
}
