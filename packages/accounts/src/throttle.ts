import { InvalidInputError } from '@geoworks/errors';
import { TooManyLoginsError } from './errors.js';

export interface LoginThrottleOptions {
  /** Failed logins for one username within `windowMs` before it is refused. Default 5. */
  maxFailuresPerUser?: number;
  /** Failed logins from one address within `windowMs` before it is refused. Default 20. */
  maxFailuresPerAddress?: number;
  /** How long failures count, from the first one. Default 15 minutes. */
  windowMs?: number;
}

interface Counter {
  /** Failed logins in the window that started at `since`. */
  failures: number;
  since: number;
  /** Logins being checked now (scrypt takes a while): they count against the limit too. */
  pending: number;
}

type Outcome = 'failed' | 'succeeded' | 'other';

// Counters at rest are dropped once the map is this large, so guessing many usernames or
// addresses cannot grow it without end.
const PRUNE_AT = 10_000;

/**
 * Counts failed logins per username (any case) and per client address, each in a window
 * starting at its first failure; past the limit every login of that user or address is refused,
 * the right password too, until the window ends. Logins still being checked count as well, so
 * sending many guesses at once gains nothing. A successful login clears its username's count,
 * not its address's (else someone with an account could keep guessing others' passwords between
 * logins of their own). Kept in memory: a restart forgets it.
 */
export class LoginThrottle {
  readonly #perUser: number;
  readonly #perAddress: number;
  readonly #windowMs: number;
  readonly #counters = new Map<string, Counter>();

  constructor(options: LoginThrottleOptions) {
    const count = (value: number | undefined, name: string, fallback: number) => {
      const result = value ?? fallback;
      if (!Number.isSafeInteger(result) || result < 1)
        throw new InvalidInputError(`loginThrottle.${name} must be an integer from 1`);
      return result;
    };
    this.#perUser = count(options.maxFailuresPerUser, 'maxFailuresPerUser', 5);
    this.#perAddress = count(options.maxFailuresPerAddress, 'maxFailuresPerAddress', 20);
    this.#windowMs = count(options.windowMs, 'windowMs', 15 * 60_000);
  }

  /**
   * Starts a login attempt, or throws TooManyLoginsError when the username or the address has
   * used up its failures. Call the returned function once the attempt's outcome is known.
   */
  attempt(
    username: string | undefined,
    address: string | undefined,
    now: number,
  ): (outcome: Outcome, now: number) => void {
    if (this.#counters.size >= PRUNE_AT) {
      for (const key of [...this.#counters.keys()]) this.#current(key, now);
    }
    const keys = this.#keys(username, address);
    for (const [key, limit, what] of keys) {
      const counter = this.#current(key, now);
      if (counter !== undefined && counter.failures + counter.pending >= limit) {
        const until = counter.failures > 0 ? counter.since + this.#windowMs : now + this.#windowMs;
        throw new TooManyLoginsError(what, Math.ceil((until - now) / 1000));
      }
    }
    for (const [key] of keys) {
      const counter = this.#counters.get(key) ?? { failures: 0, since: now, pending: 0 };
      counter.pending++;
      this.#counters.set(key, counter);
    }
    return (outcome, later) => {
      for (const [key] of keys) {
        const counter = this.#counters.get(key);
        if (counter === undefined) continue;
        counter.pending--;
        if (outcome === 'failed') {
          if (counter.failures === 0 || later - counter.since >= this.#windowMs) {
            counter.failures = 0;
            counter.since = later;
          }
          counter.failures++;
        } else if (outcome === 'succeeded' && key.startsWith('user:')) {
          counter.failures = 0;
        }
        if (counter.failures === 0 && counter.pending === 0) this.#counters.delete(key);
      }
    };
  }

  /** A key's counter, its failures forgotten once their window has ended. */
  #current(key: string, now: number): Counter | undefined {
    const counter = this.#counters.get(key);
    if (counter === undefined || now - counter.since < this.#windowMs) return counter;
    counter.failures = 0;
    if (counter.pending > 0) return counter;
    this.#counters.delete(key);
    return undefined;
  }

  #keys(username: string | undefined, address: string | undefined) {
    const keys: [string, number, 'for this account' | 'from this address'][] = [];
    // Usernames compare without regard to case, as logins do.
    if (username !== undefined)
      keys.push([`user:${username.toLowerCase()}`, this.#perUser, 'for this account']);
    if (address !== undefined)
      keys.push([`address:${address}`, this.#perAddress, 'from this address']);
    return keys;
  }
}
