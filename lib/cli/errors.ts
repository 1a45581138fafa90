import * as fs from 'node:fs';

/** A failure with a specific exit code (the message is printed as one sentence by bin/recomart.cjs). */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

/**
 * Text for a terminal from text that may come from an input file: control characters (NUL, escape
 * sequences, C1 codes) are shown as `\xNN` instead of being written raw, so a binary file's bytes are
 * never sent to the terminal. Line breaks and tabs stay.
 */
export function printable(text: string): string {
  return text.replace(
    // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
    /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g,
    (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`,
  );
}

/** Where a file stops being text: the offset of its first NUL byte in the first 64 KiB, or -1. */
export function firstNulByte(file: string): number {
  const fd = fs.openSync(file, 'r');
  try {
    const head = Buffer.alloc(64 * 1024);
    const n = fs.readSync(fd, head, 0, head.length, 0);
    return head.subarray(0, n).indexOf(0);
  } finally {
    fs.closeSync(fd);
  }
}
