/** Where a sender's verification stands: `pending` until the sandbox "clicks the link" (or gives up). */
export type VerificationStatus = 'pending' | 'verified' | 'failed';

/** The sender fields a client sets (SendGrid's request body, camel-cased; '' when not given). */
export interface SenderFields {
  nickname: string;
  fromEmail: string;
  fromName: string;
  replyTo: string;
  replyToName: string;
  address: string;
  address2: string;
  city: string;
  state: string;
  zip: string;
  country: string;
}

/** A sender identity as the sandbox stores it (what tests assert on). Deleted senders are kept, flagged. */
export interface SandboxVerifiedSender extends SenderFields {
  id: number;
  verified: boolean;
  locked: boolean;
  status: VerificationStatus;
  createdAt: Date;
  verifiedAt: Date | null;
  /** When the sandbox gave up on verifying it (magic domain fail.example). */
  failedAt: Date | null;
  deleted: boolean;
  deletedAt: Date | null;
  /** The create request's JSON body as received. */
  request: Record<string, unknown>;
}

/** The verified-sender JSON as SendGrid's v3 API renders it. */
export function toSenderResource(s: SandboxVerifiedSender): Record<string, unknown> {
  return {
    id: s.id,
    nickname: s.nickname,
    from_email: s.fromEmail,
    from_name: s.fromName,
    reply_to: s.replyTo,
    reply_to_name: s.replyToName,
    address: s.address,
    address2: s.address2,
    state: s.state,
    city: s.city,
    zip: s.zip,
    country: s.country,
    verified: s.verified,
    locked: s.locked,
  };
}

/** Deep copy, so callers cannot mutate the store (by hand: see phoneNumberSnapshot on structuredClone and Dates). */
export function senderSnapshot(s: SandboxVerifiedSender): SandboxVerifiedSender {
  return {
    ...s,
    createdAt: new Date(s.createdAt),
    verifiedAt: s.verifiedAt && new Date(s.verifiedAt),
    failedAt: s.failedAt && new Date(s.failedAt),
    deletedAt: s.deletedAt && new Date(s.deletedAt),
    request: JSON.parse(JSON.stringify(s.request)) as Record<string, unknown>,
  };
}
