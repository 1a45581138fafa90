import * as readline from 'node:readline';
import type { Readable } from 'node:stream';

/** The non-empty lines of a stream (LF or CRLF), read lazily. */
export async function* nonEmptyLines(input: Readable): AsyncGenerator<string> {
  for await (const line of readline.createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY })) {
    if (line.trim() !== '') yield line;
  }
}

/** The JSON values of a JSON Lines stream. */
export async function* jsonLines<T>(input: Readable): AsyncGenerator<T> {
  for await (const line of nonEmptyLines(input)) yield JSON.parse(line) as T;
}
