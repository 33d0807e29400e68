import type { EntityManager } from '@mikro-orm/postgresql';
import { normalizePhone } from './phone';

export interface ClientRow {
  first_name?: string;
  last_name?: string;
  phone?: string;
  email?: string;
  location_index?: number;
}

export interface RejectedRow {
  row: number;
  reason: string;
}

export interface BatchOutcome {
  imported: number;
  merged: number;
  rejected: RejectedRow[];
}

export const IMPORT_BATCH_SIZE = 500;

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** Stages the rows in batches; returns how many batches there are. */
export async function stageClientImport(em: EntityManager, businessId: number, rows: ClientRow[]): Promise<number> {
  const batches = Math.ceil(rows.length / IMPORT_BATCH_SIZE);
  for (let batchNo = 0; batchNo < batches; batchNo++) {
    const firstRow = batchNo * IMPORT_BATCH_SIZE;
    await em.execute(
      `insert into client_import_batches (business_id, batch_no, first_row, rows) values (?, ?, ?, ?::jsonb)
       on conflict (business_id, batch_no) do nothing`,
      [businessId, batchNo, firstRow, JSON.stringify(rows.slice(firstRow, firstRow + IMPORT_BATCH_SIZE))],
    );
  }
  return batches;
}

/**
 * Imports one staged batch: phones to E.164, emails lower-cased; a row whose phone or email a
 * client already has is merged into that client (filling what it lacks); a row with neither, or
 * with a phone that cannot be read, is rejected and reported. Safe to run again: a processed
 * batch returns its recorded outcome.
 */
export async function importClientBatch(em: EntityManager, businessId: number, batchNo: number, locationIds: number[]): Promise<BatchOutcome> {
  return em.transactional(async (tx) => {
    const [batch] = await tx.execute(
      `select first_row, rows, imported, merged, rejected, processed_at from client_import_batches
       where business_id = ? and batch_no = ? for update`,
      [businessId, batchNo],
    );
    if (!batch) throw new Error(`import batch ${batchNo} of business ${businessId} is not staged`);
    if (batch.processed_at) return { imported: batch.imported, merged: batch.merged, rejected: batch.rejected };

    const rejected: RejectedRow[] = [];
    const accepted: AcceptedRow[] = [];
    (batch.rows as ClientRow[]).forEach((row, i) => {
      const outcome = readRow(row, locationIds);
      if (typeof outcome === 'string') rejected.push({ row: batch.first_row + i, reason: outcome });
      else accepted.push(outcome);
    });

    const result = await tx.execute(
      `with input as (
         select r.*, t.n from jsonb_array_elements(?::jsonb) with ordinality as t(e, n),
           jsonb_to_record(t.e) as r(first_name text, last_name text, phone text, email text, location_id bigint)
       ), matched as (
         select distinct on (i.n) i.*, c.id as client_id from input i
         left join clients c on c.business_id = ? and ((i.phone is not null and c.phone = i.phone) or (i.email is not null and lower(c.email) = i.email))
       ), merged as (
         update clients c set
           first_name = case when c.first_name = '' then m.first_name else c.first_name end,
           last_name = case when c.last_name = '' then m.last_name else c.last_name end,
           phone = coalesce(c.phone, m.phone),
           email = coalesce(c.email, m.email),
           location_id = coalesce(c.location_id, m.location_id),
           updated_at = now()
         from (select distinct on (client_id) * from matched where client_id is not null) m
         where c.id = m.client_id
         returning c.id
       ), inserted as (
         insert into clients (business_id, first_name, last_name, phone, email, location_id)
         select distinct on (coalesce(phone, email)) ?::bigint, first_name, last_name, phone, email, location_id from matched where client_id is null
         on conflict do nothing
         returning id
       )
       select (select count(*) from inserted)::int as imported, (select count(*) from merged)::int as merged`,
      [JSON.stringify(mergeDuplicates(accepted)), businessId, businessId],
    );
    const imported = result[0].imported as number;
    const merged = accepted.length - imported;
    await tx.execute(
      `update client_import_batches set imported = ?, merged = ?, rejected = ?::jsonb, processed_at = now() where business_id = ? and batch_no = ?`,
      [imported, merged, JSON.stringify(rejected), businessId, batchNo],
    );
    return { imported, merged, rejected };
  });
}

interface AcceptedRow {
  first_name: string;
  last_name: string;
  phone: string | null;
  email: string | null;
  location_id: number | null;
}

/** A row made ready to store, or the reason it cannot be. */
function readRow(row: ClientRow, locationIds: number[]): AcceptedRow | string {
  const phone = row.phone ? normalizePhone(String(row.phone)) : undefined;
  const email = row.email ? String(row.email).trim().toLowerCase() : undefined;
  if (row.phone && !phone) return `phone "${row.phone}" is not a valid number`;
  if (email && !EMAIL.test(email)) return `email "${row.email}" is not valid`;
  if (!phone && !email) return 'a client needs a phone or an email';
  return {
    first_name: (row.first_name ?? '').trim(),
    last_name: (row.last_name ?? '').trim(),
    phone: phone ?? null,
    email: email ?? null,
    location_id: row.location_index !== undefined ? (locationIds[row.location_index] ?? null) : null,
  };
}

/** Folds rows that share a phone or an email into the first of them, filling what it lacks. */
function mergeDuplicates(rows: AcceptedRow[]): AcceptedRow[] {
  const kept: AcceptedRow[] = [];
  const byPhone = new Map<string, AcceptedRow>();
  const byEmail = new Map<string, AcceptedRow>();
  for (const row of rows) {
    const same = (row.phone && byPhone.get(row.phone)) || (row.email && byEmail.get(row.email));
    const target = same || { ...row };
    if (same) {
      target.first_name ||= row.first_name;
      target.last_name ||= row.last_name;
      target.phone ??= row.phone;
      target.email ??= row.email;
      target.location_id ??= row.location_id;
    } else {
      kept.push(target);
    }
    if (target.phone) byPhone.set(target.phone, target);
    if (target.email) byEmail.set(target.email, target);
  }
  return kept;
}
