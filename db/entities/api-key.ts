import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { EntitySchema, OptionalProps } from '@mikro-orm/core';
import { bigintColumn, bigintId } from './columns';

export type ApiKeyState = 'PENDING' | 'ACTIVE' | 'REVOKED';

const KEY_FORMAT = /^omk_([a-z0-9]{12})_([A-Za-z0-9_-]{43})$/;

const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');

/**
 * A business's API key. The key itself (`omk_<prefix>_<secret>`) is shown once, when issued;
 * we keep its prefix, to find it, and a hash of the whole, to check it.
 */
export class ApiKey {
  [OptionalProps]?: 'state' | 'createdAt' | 'name';
  id!: number;
  businessId!: number;
  name: string = 'default';
  prefix!: string;
  secretHash!: string;
  state: ApiKeyState = 'ACTIVE';
  createdAt: Date = new Date();
  lastUsedAt?: Date | null;
  revokedAt?: Date | null;

  /** A new key and its plain text, which is never stored. */
  static issue(businessId: number, options: { name?: string; state?: ApiKeyState } = {}): { key: ApiKey; plaintext: string } {
    const prefix = randomBytes(9).toString('base64url').toLowerCase().replace(/[^a-z0-9]/g, '0').slice(0, 12);
    const plaintext = `omk_${prefix}_${randomBytes(32).toString('base64url')}`;
    const key = new ApiKey();
    Object.assign(key, { businessId, prefix, secretHash: sha256(plaintext), name: options.name ?? 'default', state: options.state ?? 'ACTIVE' });
    return { key, plaintext };
  }

  /** The prefix to look a presented key up by, or undefined when it is not shaped like one of ours. */
  static prefixOf(presented: string): string | undefined {
    return KEY_FORMAT.exec(presented)?.[1];
  }

  matches(presented: string): boolean {
    return timingSafeEqual(Buffer.from(sha256(presented), 'hex'), Buffer.from(this.secretHash, 'hex'));
  }

  isUsable(): boolean {
    return this.state === 'ACTIVE';
  }

  activate(): void {
    if (this.state === 'PENDING') this.state = 'ACTIVE';
  }

  revoke(at = new Date()): void {
    if (this.state === 'REVOKED') return;
    this.state = 'REVOKED';
    this.revokedAt = at;
  }
}

export const ApiKeySchema = new EntitySchema<ApiKey>({
  class: ApiKey,
  tableName: 'api_keys',
  properties: {
    id: bigintId(),
    businessId: bigintColumn(),
    name: { type: 'text' },
    prefix: { type: 'text' },
    secretHash: { type: 'text' },
    state: { type: 'text' },
    createdAt: { type: 'Date', columnType: 'timestamptz', onCreate: () => new Date() },
    lastUsedAt: { type: 'Date', columnType: 'timestamptz', nullable: true },
    revokedAt: { type: 'Date', columnType: 'timestamptz', nullable: true },
  },
});
