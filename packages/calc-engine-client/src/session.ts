import { InvalidInputError } from '@geoworks/errors';
import { readText } from './answers.js';
import { EngineNotFoundError } from './errors.js';
import type { Transport } from './http.js';
import type { CallOptions } from './types.js';

/**
 * The login of a client: the engine's Django session (its cookie and CSRF token live in the
 * transport's jar), started once before the first call when a username is configured.
 */
export class Session {
  readonly #transport: Transport;
  readonly #username: string | undefined;
  readonly #password: string | undefined;
  #current: Promise<void> | undefined;

  constructor(transport: Transport, username: string | undefined, password: string | undefined) {
    this.#transport = transport;
    this.#username = username === '' ? undefined : username;
    this.#password = password;
  }

  /** Logs in (`POST /accounts/ajax_login/`); see `CalcEngineClient.login`. */
  async login(options: CallOptions): Promise<void> {
    await this.#start(options, false);
  }

  /** Logs out (`POST /accounts/ajax_logout/`) and forgets the session. */
  async logout(options: CallOptions): Promise<void> {
    try {
      await this.#transport.request(
        { method: 'POST', path: 'accounts/ajax_logout/' },
        readText,
        options,
      );
    } finally {
      await this.#transport.forget('sessionid');
      this.#current = undefined;
    }
  }

  /** Logs in once, before the first call, when a username is configured. */
  async ensure(options: CallOptions): Promise<void> {
    if (this.#username === undefined) return;
    if (this.#current === undefined) {
      await this.#start({ signal: options.signal, timeoutMs: options.timeoutMs }, true);
      return;
    }
    await this.#current;
  }

  /**
   * Logs in. The automatic login (`lenient`) takes a 404 to mean the server has no
   * authentication (the engine only routes `/accounts/` when it is locked down) and goes on
   * without a session.
   */
  async #start(options: CallOptions, lenient: boolean): Promise<void> {
    const username = this.#username;
    if (username === undefined) {
      throw new InvalidInputError('login() needs a username (pass username and password)');
    }
    const password = this.#password ?? '';
    const session = this.#transport
      .request(
        {
          method: 'POST',
          path: 'accounts/ajax_login/',
          body: () => new URLSearchParams({ username, password }),
        },
        readText,
        options,
      )
      .then(
        () => undefined,
        (error: unknown) => {
          if (lenient && error instanceof EngineNotFoundError) return undefined;
          throw error;
        },
      );
    this.#current = session;
    try {
      await session;
    } catch (error) {
      if (this.#current === session) this.#current = undefined;
      throw error;
    }
  }
}
