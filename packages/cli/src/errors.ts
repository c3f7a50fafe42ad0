import { InvalidInputError, isGeoworksError, type ErrorKind } from '@geoworks/errors';

/**
 * A mistake in how a command was called (an unknown option, a missing argument, a value that
 * does not parse): exit status 2, the message and the usage. Commands throw it for their own
 * checks; the kit throws it for what the declaration says.
 */
export class UsageError extends InvalidInputError {
  constructor(message: string) {
    super(message, { code: 'BAD_USAGE' });
  }
}

/** The exit statuses every geoworks command uses. */
export const EXIT_CODES = {
  /** Done. */
  ok: 0,
  /** The command failed. */
  failed: 1,
  /** Bad usage or invalid input: the call, not the world, has to change. */
  usage: 2,
  /** Cancelled: Ctrl-C, or an aborted job or download (128 + SIGINT, as a shell reports it). */
  interrupted: 130,
} as const;

/** A command's own exit statuses for some error kinds, replacing the defaults. */
export type ExitCodeByKind = Partial<Readonly<Record<ErrorKind, number>>>;

/**
 * The exit status for an error: 2 for a `UsageError` and for `invalid-input`, 130 for
 * `aborted` (and a platform `AbortError`), 1 for anything else; `byKind` changes a kind's.
 */
export function exitCodeFor(error: unknown, byKind: ExitCodeByKind = {}): number {
  if (error instanceof UsageError) return EXIT_CODES.usage;
  if (isGeoworksError(error)) {
    const chosen = byKind[error.kind];
    if (chosen !== undefined) return chosen;
    if (error.kind === 'invalid-input') return EXIT_CODES.usage;
    if (error.kind === 'aborted') return EXIT_CODES.interrupted;
    return EXIT_CODES.failed;
  }
  if (error instanceof Error && error.name === 'AbortError') return EXIT_CODES.interrupted;
  return EXIT_CODES.failed;
}

/** What to print for an error: its message (never a stack: these are for the person at the terminal). */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
