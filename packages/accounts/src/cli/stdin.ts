import { InvalidInputError } from '@geoworks/errors';

/**
 * The password from standard input: everything up to the end or the first line break, so
 * both `printf %s "$PW" |` and `echo "$PW" |` work. An empty password is refused here, with
 * a clearer message than the length rule would give.
 */
export async function readPassword(
  stdin: NodeJS.ReadableStream & { isTTY?: boolean },
  stderr: { write(text: string): unknown },
): Promise<string> {
  if (stdin.isTTY === true) stderr.write('Password (then Enter and Ctrl-D): ');
  const chunks: Buffer[] = [];
  for await (const chunk of stdin) {
    chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  const password = text.split(/\r?\n/, 1)[0] ?? '';
  if (password === '') {
    throw new InvalidInputError('No password on standard input', { code: 'NO_PASSWORD' });
  }
  return password;
}
