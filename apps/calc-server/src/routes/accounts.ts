import { type Api, jsonResponse, textResponse } from '@geoworks/service-kit';
import type { Auth } from '../auth.js';
import { sessionToken } from '../auth.js';
import {
  NEW_PASSWORD_FORM,
  PASSWORD_CHANGED,
  RESET_LINK_SENT,
  RESET_REQUEST_FORM,
} from '../templates.js';
import { formBody } from './shared.js';

const HTML = { '200': { description: 'HTML page' } };

/** Logging in and out, and the password-reset pages (Django's accounts views). */
export function accountRoutes(api: Api, auth: Auth): void {
  api.route({
    method: 'post',
    path: '/accounts/ajax_login/',
    summary: 'Log in (username, password): a session cookie',
    requestBody: formBody(
      { username: { type: 'string', default: '' }, password: { type: 'string', default: '' } },
      [],
    ),
    responses: {
      '200': textResponse('Successful login'),
      '403': textResponse('Invalid login / Disabled account'),
      '429': jsonResponse('Too many failed logins for the user or from the address (Retry-After)'),
    },
    handler: async (req, res) => {
      const token = await auth.login(req.body.username, req.body.password, req.ip);
      res.cookie('sessionid', token, { httpOnly: true, sameSite: 'lax', path: '/' });
      res.type('text/plain').send('Successful login');
    },
  });

  api.route({
    method: 'post',
    path: '/accounts/ajax_logout/',
    summary: 'Log out',
    responses: { '200': textResponse('Successful logout') },
    handler: async (req, res) => {
      await auth.logout(sessionToken(req));
      res.clearCookie('sessionid', { path: '/' });
      res.type('text/plain').send('Successful logout');
    },
  });

  api.route({
    method: 'get',
    path: '/reset_password/',
    summary: 'A form asking for the email address to send a reset link to',
    responses: HTML,
    handler: (_req, res) => void res.type('text/html').send(RESET_REQUEST_FORM),
  });

  api.route({
    method: 'post',
    path: '/reset_password/',
    summary: 'Send a reset link to the email address (the same answer whether it is known or not)',
    requestBody: formBody({ email: { type: 'string', default: '' } }, []),
    responses: HTML,
    handler: async (req, res) => {
      await auth.requestReset(req.body.email);
      res.type('text/html').send(RESET_LINK_SENT);
    },
  });

  api.route({
    method: 'get',
    path: '/reset_password/:token/',
    summary: 'A form to set a new password',
    responses: HTML,
    handler: (_req, res) => void res.type('text/html').send(NEW_PASSWORD_FORM),
  });

  api.route({
    method: 'post',
    path: '/reset_password/:token/',
    summary: 'Set the new password (the token is used once)',
    requestBody: formBody({ password: { type: 'string', default: '' } }, []),
    responses: { ...HTML, '400': textResponse('Invalid or expired link, or a weak password') },
    handler: async (req, res) => {
      await auth.resetPassword(req.params.token, req.body.password);
      res.type('text/html').send(PASSWORD_CHANGED);
    },
  });
}
