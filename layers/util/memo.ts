/** Wrap a parser so repeated calls with the same value (several checks on one field) parse once. */
export function memoLast<T>(fn: (value: string) => T): (value: string) => T {
  let lastIn: string | undefined;
  let lastOut: T;
  return (value: string) => {
    if (value !== lastIn) {
      lastIn = value;
      lastOut = fn(value);
    }
    return lastOut;
  };
}
