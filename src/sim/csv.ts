/**
 * Streaming CSV without a dependency: RFC 4180 fields (quotes, doubled quotes), one record per line.
 * The traces have no embedded newlines, so a record never spans lines.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';

/** Splits one CSV line into fields. */
export function parseCsvLine(line: string): string[] {
  if (!line.includes('"')) return line.split(',');
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"') {
        if (line[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      fields.push(field);
      field = '';
    } else field += c;
  }
  fields.push(field);
  return fields;
}

/** Records of a CSV text as objects keyed by the header (pure; for small inputs and tests). */
export function parseCsv(text: string): Record<string, string>[] {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  const header = lines[0] === undefined ? [] : parseCsvLine(lines[0]).map((h) => h.trim());
  return lines.slice(1).map((line) => toRecord(header, parseCsvLine(line)));
}

function toRecord(header: readonly string[], fields: readonly string[]): Record<string, string> {
  const record: Record<string, string> = {};
  header.forEach((name, i) => {
    record[name] = (fields[i] ?? '').trim();
  });
  return record;
}

/** Streams a CSV file's records as objects keyed by the header. Stops after `limit` records when given. */
export async function* readCsvFile(path: string, limit = Infinity): AsyncGenerator<Record<string, string>> {
  const lines = createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Infinity });
  let header: string[] | null = null;
  let count = 0;
  try {
    for await (const line of lines) {
      if (line.trim() === '') continue;
      if (header === null) {
        header = parseCsvLine(line).map((h) => h.trim());
        continue;
      }
      if (count >= limit) break;
      count++;
      yield toRecord(header, parseCsvLine(line));
    }
  } finally {
    lines.close();
  }
}

/** Reads a whole CSV file (streamed line by line) into an array. */
export async function readCsvRecords(path: string, limit = Infinity): Promise<Record<string, string>[]> {
  const out: Record<string, string>[] = [];
  for await (const record of readCsvFile(path, limit)) out.push(record);
  return out;
}
