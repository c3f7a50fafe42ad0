import type { Actor } from '@geoworks/calc-engine';
import { ForbiddenError, isGeoworksError } from '@geoworks/errors';
import type { Accounts } from '@geoworks/accounts';
import type { RequestHandler } from 'express';
import { sessionToken } from './routes.js';

export type LoginOutcome =
  { kind: 'ok'; token: string } | { kind: 'invalid' } | { kind: 'disabled' };

/** What the routes need from accounts. */
export interface Auth {
  /** `address`: the client's, for the limit on failed logins per address. */
  login(username: string, password: string, address?: string): Promise<LoginOutcome>;
  logout(token: string): Promise<void>;
  actorFor(token: string): Promise<Actor | null>;
  requestReset(email: string, baseUrl: string): Promise<void>;
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
        return { kind: 'ok', token: await accounts.createSession(user) };
      } catch (error) {
        if (isGeoworksError(error) && error.code === 'DISABLED_ACCOUNT')
          return { kind: 'disabled' };
        if (isGeoworksError(error) && (error.kind === 'unauthorized' || error.kind === 'forbidden'))
          return { kind: 'invalid' };
        throw error;
      }
    },
    async logout(token) {
      await accounts.endSession(token);
    },
    async actorFor(token) {
      const user = await accounts.userForSession(token);
      if (user === null) return null;
      if (user.isSuperuser) return { name: user.username, superuser: true };
      const visible = [user.username];
      for (const other of await accounts.listUsers()) {
        if (other.username !== user.username && (await accounts.sharesGroup(user, other)))
          visible.push(other.username);
      }
      return { name: user.username, superuser: false, visibleOwners: visible };
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
