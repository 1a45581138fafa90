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

/**
 * The lines of bytes in memory that hold anything but a carriage return (the JSON Lines records the
 * lake's manifests count, ../lake/manifest.ts countLines), as bytes, without their line break.
 */
export function* recordLines(bytes: Uint8Array): Generator<Buffer> {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let at = 0; at < buffer.byteLength; ) {
    const end = buffer.indexOf(10, at);
    const stop = end === -1 ? buffer.byteLength : end;
    let last = stop;
    while (last > at && buffer[last - 1] === 13) last--;
    const line = buffer.subarray(at, last);
    if (line.some((b) => b !== 13)) yield line;
    at = stop + 1;
  }
}
