import type { Accounts } from '@geoworks/accounts';
import type { Actor } from '@geoworks/calc-engine';
import { ForbiddenError, isGeoworksError } from '@geoworks/errors';
import type { Request, RequestHandler } from 'express';
import { LoginRefusedError } from './errors.js';

/** What the routes need from accounts. */
export interface Auth {
  /**
   * A session token for the user, or `LoginRefusedError`. `address`: the client's, for the
   * limit on failed logins per address (`TooManyLoginsError` past it).
   */
  login(username: string, password: string, address?: string): Promise<string>;
  /** Ends the session, if there is one. */
  logout(token: string | null): Promise<void>;
  actorFor(token: string): Promise<Actor | null>;
  requestReset(email: string): Promise<void>;
  resetPassword(token: string, password: string): Promise<void>;
}

/** Auth over @geoworks/accounts: a user sees the jobs of everyone in their groups. */
export function accountsAuth(accounts: Accounts): Auth {
  return {
    async login(username, password, address) {
      try {
        const user = await accounts.authenticate(
          username,
          password,
          address === undefined ? {} : { address },
        );
        return await accounts.createSession(user);
      } catch (error) {
        if (isGeoworksError(error) && error.code === 'DISABLED_ACCOUNT')
          throw new LoginRefusedError('disabled');
        if (isGeoworksError(error) && (error.kind === 'unauthorized' || error.kind === 'forbidden'))
          throw new LoginRefusedError('invalid');
        throw error;
      }
    },
    async logout(token) {
      if (token !== null) await accounts.endSession(token);
    },
    async actorFor(token) {
      const user = await accounts.userForSession(token);
      if (user === null) return null;
      if (user.isSuperuser) return { name: user.username, superuser: true };
      return {
        name: user.username,
        superuser: false,
        visibleOwners: await accounts.visibleOwners(user),
      };
    },
    async requestReset(email) {
      await accounts.requestPasswordReset(email);
    },
    async resetPassword(token, password) {
      await accounts.resetPassword(token, password);
    },
  };
}

/**
 * The request's actor: with lockdown, the session's user (anonymous /v1 requests get 403, as
 * OpenQuake answers them); without, nobody in particular (no access rules apply).
 */
export function resolveActor(auth: Auth, lockdown: boolean): RequestHandler {
  return (req, _res, next) => {
    if (!lockdown) {
      next();
      return;
    }
    const token = sessionToken(req);
    void (token === null ? Promise.resolve(null) : auth.actorFor(token)).then(
      (actor) => {
        if (actor !== null) (req as typeof req & { actor?: Actor }).actor = actor;
        if (actor === null && req.path.startsWith('/v1/')) {
          next(
            new ForbiddenError('Authentication required: log in at /accounts/ajax_login/', {
              code: 'LOGIN_REQUIRED',
            }),
          );
          return;
        }
        next();
      },
      (error: unknown) => next(error),
    );
  };
}

/** The session token from the `sessionid` cookie; null when there is none that can be read. */
export function sessionToken(req: Pick<Request, 'headers'>): string | null {
  const header = req.headers.cookie;
  if (header === undefined) return null;
  for (const part of header.split(';')) {
    const [name, ...value] = part.trim().split('=');
    if (name !== 'sessionid') continue;
    try {
      return decodeURIComponent(value.join('='));
    } catch {
      // Not percent-encoding (`%ZZ`): no session, as for any other token that is not ours.
      return null;
    }
  }
  return null;
}
