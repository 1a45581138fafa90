import * as readline from 'node:readline';
import { Readable } from 'node:stream';

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

/**
 * Bytes in memory as a stream of 1 MiB chunks, for the line and CSV readers: one chunk of a whole
 * object would be decoded as one string, which V8 refuses past 512 MiB.
 */
export function bytesStream(bytes: Uint8Array): Readable {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return Readable.from(
    (function* () {
      for (let at = 0; at < buffer.byteLength; at += 1 << 20) yield buffer.subarray(at, at + (1 << 20));
    })(),
  );
}
