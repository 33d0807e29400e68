import { emailDomain, isEmail } from '../validate';
import type { SendGridError } from './errors';
import type { SenderFields } from './sender';

interface FieldRule {
  key: keyof SenderFields;
  required: boolean;
  max: number;
  email?: boolean;
}

/** SendGrid's create-sender schema: nickname, from_email and reply_to are required. */
const RULES: Record<string, FieldRule> = {
  nickname: { key: 'nickname', required: true, max: 100 },
  from_email: { key: 'fromEmail', required: true, max: 256, email: true },
  from_name: { key: 'fromName', required: false, max: 256 },
  reply_to: { key: 'replyTo', required: true, max: 256, email: true },
  reply_to_name: { key: 'replyToName', required: false, max: 256 },
  address: { key: 'address', required: false, max: 100 },
  address2: { key: 'address2', required: false, max: 100 },
  city: { key: 'city', required: false, max: 150 },
  state: { key: 'state', required: false, max: 100 },
  zip: { key: 'zip', required: false, max: 10 },
  country: { key: 'country', required: false, max: 100 },
};

export type ParsedSender = { ok: true; fields: SenderFields; domain: string } | { ok: false; errors: SendGridError[] };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Validates a create-sender body, reporting every bad field at once like SendGrid does. */
export function parseSenderFields(body: unknown): ParsedSender {
  if (!isRecord(body)) return { ok: false, errors: [{ field: null, message: 'request body must be a JSON object' }] };
  const fields: SenderFields = {
    nickname: '',
    fromEmail: '',
    fromName: '',
    replyTo: '',
    replyToName: '',
    address: '',
    address2: '',
    city: '',
    state: '',
    zip: '',
    country: '',
  };
  const problems: SendGridError[] = [];
  for (const [field, rule] of Object.entries(RULES)) {
    const raw = body[field];
    if (raw === undefined || raw === null || raw === '') {
      if (rule.required) problems.push({ field, message: `${field} is required` });
      continue;
    }
    if (typeof raw !== 'string') {
      problems.push({ field, message: `${field} must be a string` });
      continue;
    }
    const value = raw.trim();
    if (value.length > rule.max) problems.push({ field, message: `${field} must be at most ${rule.max} characters` });
    else if (rule.email && !isEmail(value)) problems.push({ field, message: `${field} must be a valid email address` });
    fields[rule.key] = value;
  }
  if (problems.length > 0) return { ok: false, errors: problems };
  return { ok: true, fields, domain: emailDomain(fields.fromEmail) };
}
