/**
 * Exits with `code` once everything written to stdout and stderr has reached the OS.
 * Writes to a pipe are asynchronous in Node, and `process.exit()` drops what is still
 * queued; an empty write's callback runs after every earlier write on that stream.
 */
export function exitWhenFlushed(
  code: number,
  streams: readonly NodeJS.WriteStream[] = [process.stdout, process.stderr],
  exit: (code: number) => void = (c) => process.exit(c),
): void {
  process.exitCode = code;
  let pending = streams.length;
  const done = (): void => {
    pending -= 1;
    if (pending === 0) exit(code);
  };
  if (pending === 0) exit(code);
  for (const stream of streams) stream.write('', done);
}
