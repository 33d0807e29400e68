import { createHash, randomBytes } from 'node:crypto';
import { EntitySchema, OptionalProps } from '@mikro-orm/core';
import { bigintColumn, bigintId } from './columns';

export const MAX_SESSION_TTL_SECONDS = 7 * 24 * 60 * 60;

export const hashSessionToken = (token: string) => createHash('sha256').update(token).digest('hex');

/** A login session: an opaque random token, kept only as a hash, that expires or is revoked. */
export class Session {
  [OptionalProps]?: 'createdAt';
  id!: number;
  tokenHash!: string;
  businessId!: number;
  staffId?: number | null;
  createdAt: Date = new Date();
  expiresAt!: Date;
  revokedAt?: Date | null;
  lastUsedAt?: Date | null;

  static open(businessId: number, staffId: number | null, ttlSeconds: number, now = new Date()): { session: Session; token: string } {
    if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1 || ttlSeconds > MAX_SESSION_TTL_SECONDS) {
      throw new RangeError(`a session lasts 1 to ${MAX_SESSION_TTL_SECONDS} seconds`);
    }
    const token = `oms_${randomBytes(32).toString('base64url')}`;
    const session = new Session();
    Object.assign(session, { tokenHash: hashSessionToken(token), businessId, staffId, expiresAt: new Date(now.getTime() + ttlSeconds * 1000) });
    return { session, token };
  }

  isLive(now = new Date()): boolean {
    return !this.revokedAt && this.expiresAt > now;
  }

  revoke(at = new Date()): void {
    this.revokedAt ??= at;
  }
}

export const SessionSchema = new EntitySchema<Session>({
  class: Session,
  tableName: 'sessions',
  properties: {
    id: bigintId(),
    tokenHash: { type: 'text' },
    businessId: bigintColumn(),
    staffId: bigintColumn({ nullable: true }),
    createdAt: { type: 'Date', columnType: 'timestamptz', onCreate: () => new Date() },
    expiresAt: { type: 'Date', columnType: 'timestamptz' },
    revokedAt: { type: 'Date', columnType: 'timestamptz', nullable: true },
    lastUsedAt: { type: 'Date', columnType: 'timestamptz', nullable: true },
  },
});
