import { BigIntType } from '@mikro-orm/core';

/** Ids are bigint in the database and plain numbers in JSON (safe far beyond any row count we keep). */
export const bigintId = () => ({ type: new BigIntType('number'), primary: true, autoincrement: true }) as const;

export const bigintColumn = (options: { nullable?: boolean } = {}) =>
  ({ type: new BigIntType('number'), nullable: options.nullable ?? false }) as const;

export const timestamps = () =>
  ({
    createdAt: { type: 'Date', columnType: 'timestamptz', onCreate: () => new Date() },
    updatedAt: { type: 'Date', columnType: 'timestamptz', onCreate: () => new Date(), onUpdate: () => new Date() },
  }) as const;
