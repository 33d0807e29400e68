import { z } from 'zod';
import type { EntityManager } from '@mikro-orm/postgresql';
import { ApiKey, Business } from '../../db/entities';
import { stageClientImport } from '../../db/client-import';
import type { OnboardingRecord } from '../../db/onboarding-record';
import { onboardWorkflowId, onboardingStatusQuery, type OnboardBusinessInput } from '../../workflows/definitions';
import { accessibleBusiness } from '../auth';
import type { AppDeps } from '../deps';
import { route } from '../route';
import { errorResponses, phoneNumber, textId } from '../schemas/common';

const MAX_CLIENTS = 50_000;

const timezone = z
  .string()
  .max(64)
  .refine((tz) => {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: tz });
      return true;
    } catch {
      return false;
    }
  }, 'not an IANA time zone (e.g. America/New_York)');

const email = z.string().trim().toLowerCase().pipe(z.email()).pipe(z.string().max(254));
const name = z.string().trim().min(1).max(200);

const onboardRequest = z
  .object({
    name,
    timezone,
    locations: z
      .array(
        z.object({
          name,
          address: z.string().max(500).optional(),
          timezone: timezone.optional(),
          email: email.optional(),
          phone_number: phoneNumber.optional(),
          area_code: z.string().regex(/^[2-9]\d{2}$/, 'a three-digit area code').optional(),
        }),
      )
      .min(1)
      .max(50),
    staff: z
      .array(
        z.object({
          first_name: name,
          last_name: z.string().trim().max(200).default(''),
          email: email.optional(),
          phone: phoneNumber.optional(),
          role: z.enum(['owner', 'manager', 'staff']).default('staff'),
          location_indexes: z.array(z.number().int().min(0)).max(50).default([]),
        }),
      )
      .max(500)
      .default([]),
    clients: z
      .array(
        z.object({
          first_name: z.string().max(200).optional(),
          last_name: z.string().max(200).optional(),
          phone: z.string().max(64).optional(),
          email: z.string().max(254).optional(),
          location_index: z.number().int().min(0).optional(),
        }),
      )
      .max(MAX_CLIENTS)
      .default([]),
    email: z.object({ from_address: email, from_name: name }).optional(),
  })
  .superRefine((body, ctx) => {
    body.locations.forEach((l, i) => {
      if (l.phone_number && l.area_code) ctx.addIssue({ code: 'custom', path: ['locations', i, 'area_code'], message: 'give phone_number or area_code, not both' });
    });
    body.staff.forEach((s, i) =>
      s.location_indexes.forEach((index, j) => {
        if (index >= body.locations.length) ctx.addIssue({ code: 'custom', path: ['staff', i, 'location_indexes', j], message: 'no location has this index' });
      }),
    );
  })
  .meta({ id: 'OnboardRequest' });

const stepSchema = z.object({
  name: z.string(),
  status: z.enum(['PENDING', 'RUNNING', 'COMPLETED', 'SKIPPED', 'FAILED', 'COMPENSATED']),
  started_at: z.string().nullable(),
  finished_at: z.string().nullable(),
  error: z.string().nullable(),
  detail: z.record(z.string(), z.unknown()).optional(),
});
const statusSchema = z
  .object({
    business_id: z.number().int(),
    workflow_id: z.string().nullable(),
    status: z.enum(['ONBOARDING', 'ACTIVE', 'FAILED']),
    steps: z.array(stepSchema),
    progress: z.number().min(0).max(1),
    error: z.string().nullable(),
  })
  .meta({ id: 'OnboardingStatus' });

export function onboardingRoutes({ orm, temporal, config }: AppDeps) {
  return [
    route({
      method: 'post', path: '/business/onboard', tag: 'business', summary: 'Onboard a business', access: 'admin',
      description:
        'Admin key only. Creates the business and starts workflow `onboardBusiness`, a saga of steps: locations, staff, ' +
        'client import (phones to E.164, duplicates merged, bad rows reported), a Twilio number per location (by ' +
        '`phone_number` or `area_code`, webhooks pointed at omega), the email sender verified through SendGrid, the API ' +
        'key, activation. On failure what was bought is released and the business ends FAILED. The business API key is ' +
        'shown only in this response and works once the business is ACTIVE. Follow progress with the onboarding-status endpoint.',
      body: onboardRequest,
      bodyLimitBytes: 16 * 1024 * 1024,
      responses: {
        202: {
          description: 'Onboarding started',
          schema: z.object({ business_id: z.number(), workflow_id: z.string(), status: z.literal('ONBOARDING'), api_key: z.string() }).meta({ id: 'OnboardAccepted' }),
        },
        ...errorResponses,
      },
      handler: async (ctx, { body }) => {
        const em = orm.em.fork() as EntityManager;
        const { business, key, plaintext, batches } = await em.transactional(async (tx) => {
          const business = new Business(body.name, body.timezone);
          await tx.persistAndFlush(business);
          business.onboardingWorkflowId = onboardWorkflowId(business.id);
          const { key, plaintext } = ApiKey.issue(business.id, { state: 'PENDING', name: 'onboarding' });
          tx.persist(key);
          const batches = await stageClientImport(tx, business.id, body.clients);
          await tx.flush();
          return { business, key, plaintext, batches };
        });
        const input: OnboardBusinessInput = {
          businessId: business.id,
          apiKeyId: key.id,
          locations: body.locations.map((l) => ({
            name: l.name,
            address: l.address,
            timezone: l.timezone ?? body.timezone,
            email: l.email,
            phoneNumber: l.phone_number,
            areaCode: l.area_code,
          })),
          staff: body.staff.map((s) => ({
            firstName: s.first_name,
            lastName: s.last_name,
            email: s.email,
            phone: s.phone,
            role: s.role,
            locationIndexes: s.location_indexes,
          })),
          clientBatches: batches,
          email: body.email ? { fromAddress: body.email.from_address, fromName: body.email.from_name } : undefined,
        };
        await temporal.workflow.start('onboardBusiness', { taskQueue: config.temporal.taskQueue, workflowId: business.onboardingWorkflowId!, args: [input] });
        ctx.status = 202;
        ctx.body = { business_id: business.id, workflow_id: business.onboardingWorkflowId, status: 'ONBOARDING', api_key: plaintext };
      },
    }),
    route({
      method: 'get', path: '/business/{business_id}/onboarding-status', tag: 'business', summary: 'Get business onboarding status', access: 'authenticated',
      description: 'Live from the workflow while it runs; from the database after.',
      params: z.object({ business_id: textId }),
      responses: { 200: { description: 'Progress', schema: statusSchema }, ...errorResponses },
      handler: async (ctx, { params, principal }) => {
        const em = orm.em.fork() as EntityManager;
        const business = await accessibleBusiness(em, principal!, params.business_id);
        let record: Partial<OnboardingRecord> = business.onboarding;
        if (business.status === 'ONBOARDING' && business.onboardingWorkflowId) {
          record = await temporal.workflow.getHandle(business.onboardingWorkflowId).query(onboardingStatusQuery).catch(() => record);
        }
        ctx.body = {
          business_id: business.id,
          workflow_id: business.onboardingWorkflowId ?? null,
          status: record.status ?? business.status,
          steps: record.steps ?? [],
          progress: record.progress ?? (business.status === 'ACTIVE' ? 1 : 0),
          error: record.error ?? null,
        };
      },
    }),
  ];
}
