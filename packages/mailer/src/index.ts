export { createMailer } from './mailer.js';
export type { CreateMailerOptions, Mailer, MailerLogger, SendOptions } from './mailer.js';
export type { SmtpOptions } from './smtp.js';
export type { Attachment, MailMessage, SendResult } from './message.js';
export { isValidAddress, parseAddress } from './address.js';
export type { AddressInput, MailAddress } from './address.js';
export { escapeHtml, renderHtmlTemplate, renderTemplate, templateFields } from './template.js';
export type { RenderOptions, TemplateValues } from './template.js';
export { readOutbox } from './outbox.js';
export type { OutboxMessage } from './outbox.js';
export { parseMessage } from './parse.js';
export type { ParsedAttachment, ParsedMessage } from './parse.js';
export {
  InvalidAddressError,
  InvalidMessageError,
  InvalidTemplateValueError,
  MailerConfigError,
  mailFailureIsPermanent,
  MissingTemplateValueError,
  SmtpError,
  TemplateSyntaxError,
} from './errors.js';
export type { SmtpErrorCode, SmtpErrorFacts } from './errors.js';
