import Koa from 'koa';
import Router from '@koa/router';
import { credentialAuthenticator } from './auth';
import type { AppDeps } from './deps';
import { Forbidden } from './errors';
import { errorMiddleware } from './middleware/errors';
import { requestLog } from './middleware/request-log';
import { koaPath, validateInput, type Route } from './route';
import { buildOpenApiDocument } from './openapi';
import { docsRoutes } from './routes/docs';
import { healthRoutes } from './routes/health';
import { apiKeyRoutes } from './routes/api-keys';
import { businessSettingsRoutes } from './routes/business-settings';
import { clientRoutes } from './routes/clients';
import { emailRoutes } from './routes/email';
import { conversationRoutes } from './routes/conversations';
import { locationRoutes } from './routes/locations';
import { staffRoutes } from './routes/staffs';
import { messageRoutes } from './routes/messages';
import { onboardingRoutes } from './routes/onboarding';
import { sessionRoutes } from './routes/sessions';
import { smsRoutes } from './routes/sms';
import { twilioRoutes } from './routes/twilio';
import { voiceCallRoutes } from './routes/voice-calls';

/** Every route of the API, in one table: served, documented and swept by the tests from here. */
export function apiRoutes(deps: AppDeps): Route[] {
  return [
    ...healthRoutes(deps),
    ...sessionRoutes(deps),
    ...apiKeyRoutes(deps),
    ...onboardingRoutes(deps),
    ...smsRoutes(deps),
    ...emailRoutes(deps),
    ...twilioRoutes(deps),
    ...voiceCallRoutes(deps),
    ...messageRoutes(deps),
    ...locationRoutes(deps),
    ...businessSettingsRoutes(deps),
    ...clientRoutes(deps),
    ...conversationRoutes(deps),
    ...staffRoutes(deps),
  ];
}

export function createApp(deps: AppDeps): Koa {
  const app = new Koa({ proxy: true });
  const authenticator = deps.authenticator ?? credentialAuthenticator(deps.config.adminApiKey, deps.orm);
  const routes = apiRoutes(deps);
  const document = buildOpenApiDocument(routes, deps.version);
  const router = new Router();

  for (const spec of [...routes, ...docsRoutes(document)]) {
    router[spec.method](koaPath(spec.path), async (ctx) => {
      let principal;
      if (spec.access === 'authenticated' || spec.access === 'admin') {
        principal = await authenticator.authenticate(ctx);
        ctx.state.principal = principal;
        if (spec.access === 'admin' && principal.kind !== 'admin') throw new Forbidden('Only the admin key may do this');
      }
      const input = await validateInput(ctx, spec);
      await spec.handler(ctx, { ...input, principal });
    });
  }

  app.use(requestLog(deps.logger));
  app.use(errorMiddleware);
  app.use(router.routes());
  app.use(router.allowedMethods());
  return app;
}
