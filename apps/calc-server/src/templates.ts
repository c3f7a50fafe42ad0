// The password-reset pages: small enough to live here rather than in a template engine. Titles
// and bodies are fixed text, never anything a client sent.

/** A whole HTML page with one heading. */
function page(title: string, body: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>${title}</title></head><body><h1>${title}</h1>${body}</body></html>`;
}

export const RESET_REQUEST_FORM = page(
  'Reset your password',
  '<form method="post"><label>Email <input type="email" name="email" required></label> <button>Send me a reset link</button></form>',
);

export const RESET_LINK_SENT = page(
  'Check your email',
  '<p>If this address belongs to an account, a link to set a new password is on its way.</p>',
);

export const NEW_PASSWORD_FORM = page(
  'Set a new password',
  '<form method="post"><label>New password <input type="password" name="password" minlength="8" required></label> <button>Set it</button></form>',
);

export const PASSWORD_CHANGED = page(
  'Password changed',
  '<p>Your password is set. You can log in with it now.</p>',
);
