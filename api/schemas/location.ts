import { z } from 'zod';
import type { Location } from '../../db/entities';
import { paginated } from './pagination';

export const locationSchema = z
  .object({
    id: z.number().int(),
    name: z.string(),
    address: z.string().nullable(),
    timezone: z.string().meta({ example: 'America/Chicago' }),
    phone_number: z.string().nullable().meta({ description: 'The location\'s SMS and voice number, E.164' }),
    email: z.string().nullable(),
  })
  .meta({ id: 'Location' });

export const locationPageSchema = paginated(locationSchema, 'LocationPage');

export type LocationJson = z.infer<typeof locationSchema>;

export function locationJson(l: Location): LocationJson {
  return {
    id: l.id,
    name: l.name,
    address: l.address ?? null,
    timezone: l.timezone,
    phone_number: l.phoneNumber ?? null,
    email: l.email ?? null,
  };
}
