import { z } from 'zod';
import { normalizePhone } from '../../db/phone';

const MAX_ID = Number.MAX_SAFE_INTEGER;

/** An id in a JSON body: a positive integer. */
export const bodyId = z.number().int().positive().max(MAX_ID);

/** An id in a path or query string: digits only, read as a positive integer. */
export const textId = z
  .string()
  .regex(/^\d{1,16}$/, 'must be a positive integer')
  .transform(Number)
  .pipe(z.number().int().positive().max(MAX_ID));

export const phoneNumber = z
  .string()
  .max(32)
  .transform((value, ctx) => {
    const normalized = normalizePhone(value);
    if (!normalized) {
      ctx.addIssue({ code: 'custom', message: 'not a valid phone number (E.164, e.g. +15551234567)' });
      return z.NEVER;
    }
    return normalized;
  })
  .meta({ description: 'Phone number; normalised to E.164', example: '+15551234567' });

export const requestId = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces')
  .meta({ description: 'Idempotency key of a send (≤ 128 chars)' });

/** PostgreSQL's timestamptz reads years 0001..9999 from text; year 0 and beyond 9999 cannot be stored. */
export const timestamp = z.iso
  .datetime({ offset: true })
  .transform((v) => new Date(v))
  .refine((d) => d.getUTCFullYear() >= 1 && d.getUTCFullYear() <= 9999, 'must be between years 0001 and 9999');

/** A status word of our own, in any case, from `allowed`. */
export const statusWordOf = <const T extends readonly [string, ...string[]]>(allowed: T) =>
  z
    .string()
    .max(20)
    .transform((v) => v.trim().toUpperCase())
    .pipe(z.enum(allowed));

export const httpErrorSchema = z
  .object({ detail: z.string() })
  .meta({ id: 'HTTPError', description: 'An error with a human readable reason' });

export const validationErrorSchema = z
  .object({
    detail: z.array(
      z.object({
        loc: z.array(z.union([z.string(), z.number()])),
        msg: z.string(),
        type: z.string(),
      }),
    ),
  })
  .meta({ id: 'HTTPValidationError', description: 'One entry per bad field' });

export const errorResponses = {
  401: { description: 'Missing or invalid credentials', schema: httpErrorSchema },
  403: { description: 'Not allowed for this key or tenant', schema: httpErrorSchema },
  404: { description: 'Unknown id, or an id of another business', schema: httpErrorSchema },
  422: { description: 'Invalid request', schema: validationErrorSchema },
} as const;
