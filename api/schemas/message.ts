import { z } from 'zod';
import type { Message } from '../../db/entities';
import { CALL_STATUSES } from '../../db/call-log';
import { CHANNELS, DIRECTIONS, MESSAGE_STATUSES } from '../../db/message-status';

const iso = z.string().meta({ format: 'date-time' });

const callLogSchema = z
  .object({
    status: z.enum(CALL_STATUSES),
    answered: z.boolean(),
    answered_by_staff_id: z.number().int().nullable(),
    answered_by: z.string().nullable().meta({ description: 'Who picked up, as Twilio names the leg: `client:staff_<id>` or a number' }),
    unanswered_outcome: z.enum(['no-answer', 'busy', 'failed', 'canceled']).nullable(),
    ended_status: z.enum(CALL_STATUSES).nullable(),
    ended_at: iso.nullable(),
    duration_s: z.number().int().nullable().meta({ description: 'Seconds of conversation' }),
    recording_url: z.string().nullable(),
    voicemail_url: z.string().nullable(),
    voicemail_duration_s: z.number().int().nullable(),
    missed: z.boolean().meta({ description: 'An inbound call nobody picked up' }),
    text_back_message_id: z.number().int().nullable().meta({ description: 'The SMS sent to the caller after a missed call' }),
  })
  .meta({ id: 'CallLog' });

export const messageSchema = z
  .object({
    message_id: z.number().int(),
    id: z.number().int(),
    business_id: z.number().int(),
    conversation_id: z.number().int().nullable(),
    client_id: z.number().int().nullable(),
    channel: z.enum(CHANNELS),
    direction: z.enum(DIRECTIONS),
    status: z.enum(MESSAGE_STATUSES),
    body: z.string().nullable(),
    subject: z.string().nullable(),
    text: z.string().nullable(),
    html: z.string().nullable(),
    from: z.string().nullable(),
    to: z.string().nullable(),
    media_urls: z.array(z.string()),
    request_id: z.string().nullable(),
    provider_message_id: z.string().nullable(),
    error_code: z.string().nullable(),
    error_message: z.string().nullable(),
    attempts: z.number().int(),
    is_read: z.boolean(),
    staff_id: z.number().int().nullable(),
    send_at: iso.nullable(),
    hold: z
      .object({ reason: z.enum(['quiet_hours', 'pacing']), until: iso.nullable() })
      .nullable()
      .meta({ description: 'Why a due message is still waiting, and until when' }),
    call: callLogSchema.nullable().meta({ description: 'Voice only: the call this entry logs' }),
    created_at: iso,
    sent_at: iso.nullable(),
    delivered_at: iso.nullable(),
    updated_at: iso,
  })
  .meta({ id: 'Message' });

export type MessageJson = z.infer<typeof messageSchema>;

const isoOrNull = (d?: Date | null) => (d ? d.toISOString() : null);

export function messageJson(m: Message): MessageJson {
  return {
    message_id: m.id,
    id: m.id,
    business_id: m.businessId,
    conversation_id: m.conversationId ?? null,
    client_id: m.clientId ?? null,
    channel: m.channel,
    direction: m.direction,
    status: m.status,
    body: m.body ?? null,
    subject: m.subject ?? null,
    text: m.channel === 'email' ? (m.body ?? null) : null,
    html: m.html ?? null,
    from: m.fromAddress ?? null,
    to: m.toAddress ?? null,
    media_urls: m.mediaUrls,
    request_id: m.requestId ?? null,
    provider_message_id: m.providerMessageId ?? null,
    error_code: m.errorCode ?? null,
    error_message: m.errorMessage ?? null,
    attempts: m.attempts,
    is_read: m.isRead,
    staff_id: m.staffId ?? null,
    send_at: isoOrNull(m.sendAt),
    hold: m.holdReason ? { reason: m.holdReason, until: isoOrNull(m.holdUntil) } : null,
    call: m.call ?? null,
    created_at: m.createdAt.toISOString(),
    sent_at: isoOrNull(m.sentAt),
    delivered_at: isoOrNull(m.deliveredAt),
    updated_at: m.updatedAt.toISOString(),
  };
}
