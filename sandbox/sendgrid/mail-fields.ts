import { isEmail } from '../validate';
import type { SendGridError } from './errors';

export interface MailAddress {
  email: string;
  name?: string;
}

export interface MailPersonalization {
  to: MailAddress[];
  subject?: string;
  customArgs: Record<string, string>;
}

/** A /v3/mail/send body as the sandbox understood it. */
export interface MailFields {
  personalizations: MailPersonalization[];
  from: MailAddress;
  replyTo?: MailAddress;
  subject?: string;
  content: { type: string; value: string }[];
  customArgs: Record<string, string>;
  categories: string[];
}

const MAX_PERSONALIZATIONS = 1000;
const MAX_RECIPIENTS = 1000;
const MAX_CATEGORIES = 10;
const MAX_CUSTOM_ARGS_BYTES = 10_000;

export type ParsedMail = { ok: true; fields: MailFields } | { ok: false; errors: SendGridError[] };

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Validates a mail/send body the way SendGrid does, reporting every problem at once. */
export function parseMail(body: unknown): ParsedMail {
  if (!isRecord(body)) return { ok: false, errors: [{ field: null, message: 'Bad Request' }] };
  const problems: SendGridError[] = [];
  const problem = (field: string | null, message: string) => problems.push({ field, message });

  const address = (value: unknown, field: string): MailAddress | undefined => {
    if (!isRecord(value) || typeof value.email !== 'string' || !isEmail(value.email.trim())) {
      problem(`${field}.email`, 'Does not contain a valid address.');
      return undefined;
    }
    if (value.name !== undefined && typeof value.name !== 'string') problem(`${field}.name`, 'The name must be a string.');
    return { email: value.email.trim(), ...(typeof value.name === 'string' && { name: value.name }) };
  };
  const customArgs = (value: unknown, field: string): Record<string, string> => {
    if (value === undefined) return {};
    if (!isRecord(value) || !Object.values(value).every((v) => typeof v === 'string')) {
      problem(field, 'Custom args must be an object whose values are strings.');
      return {};
    }
    return value as Record<string, string>;
  };

  const personalizations: MailPersonalization[] = [];
  if (!Array.isArray(body.personalizations) || body.personalizations.length === 0) {
    problem('personalizations', 'The personalizations field is required and must have at least one personalization.');
  } else if (body.personalizations.length > MAX_PERSONALIZATIONS) {
    problem('personalizations', `You may not have more than ${MAX_PERSONALIZATIONS} personalizations per API request.`);
  } else {
    body.personalizations.forEach((p: unknown, i) => {
      const at = `personalizations.${i}`;
      if (!isRecord(p) || !Array.isArray(p.to) || p.to.length === 0) {
        problem(`${at}.to`, 'The to array is required for all personalization objects, and must have at least one email object with a valid email address.');
        return;
      }
      if (p.to.length > MAX_RECIPIENTS) problem(`${at}.to`, `The to array may not have more than ${MAX_RECIPIENTS} email objects.`);
      const to = p.to.map((t: unknown, j) => address(t, `${at}.to.${j}`)).filter((a): a is MailAddress => a !== undefined);
      if (p.subject !== undefined && (typeof p.subject !== 'string' || p.subject === '')) problem(`${at}.subject`, 'The subject must be a non-empty string.');
      personalizations.push({ to, subject: typeof p.subject === 'string' ? p.subject : undefined, customArgs: customArgs(p.custom_args, `${at}.custom_args`) });
    });
  }

  const from = body.from === undefined ? (problem('from.email', 'The from email does not contain a valid address.'), undefined) : address(body.from, 'from');
  const replyTo = body.reply_to === undefined ? undefined : address(body.reply_to, 'reply_to');

  const subject = typeof body.subject === 'string' && body.subject !== '' ? body.subject : undefined;
  if (body.subject !== undefined && subject === undefined) problem('subject', 'The subject must be a non-empty string.');
  if (subject === undefined && personalizations.some((p) => p.subject === undefined)) {
    problem('subject', 'The subject is required. You can get around this requirement if you use a template with a subject defined or if every personalization has a subject defined.');
  }

  const content: { type: string; value: string }[] = [];
  if (!Array.isArray(body.content) || body.content.length === 0) {
    problem('content', 'Unless a valid template_id is provided, the content parameter is required. There must be at least one defined content block.');
  } else {
    body.content.forEach((c: unknown, i) => {
      if (!isRecord(c) || typeof c.type !== 'string' || c.type === '' || typeof c.value !== 'string' || c.value === '') {
        problem(`content.${i}`, 'Each content block must have a type and a value of at least one character.');
        return;
      }
      content.push({ type: c.type, value: c.value });
    });
    const types = content.map((c) => c.type);
    if (types.includes('text/plain') && types[0] !== 'text/plain') problem('content.0.type', 'The text/plain content type must be first.');
    if (new Set(types).size !== types.length) problem('content', 'If present, text/plain and text/html may only be provided once.');
  }

  const args = customArgs(body.custom_args, 'custom_args');
  if (Buffer.byteLength(JSON.stringify(args)) > MAX_CUSTOM_ARGS_BYTES) problem('custom_args', 'Custom args may not exceed 10,000 bytes.');

  let categories: string[] = [];
  if (body.categories !== undefined) {
    if (!Array.isArray(body.categories) || !body.categories.every((c) => typeof c === 'string' && c.length > 0 && c.length <= 255)) {
      problem('categories', 'Categories must be an array of strings of at most 255 characters.');
    } else if (body.categories.length > MAX_CATEGORIES) {
      problem('categories', `You may not have more than ${MAX_CATEGORIES} categories per request.`);
    } else categories = body.categories as string[];
  }

  if (problems.length > 0 || !from) return { ok: false, errors: problems };
  return { ok: true, fields: { personalizations, from, replyTo, subject, content, customArgs: args, categories } };
}
