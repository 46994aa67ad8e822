/**
 * `POST /api/apps/public/{appId}/templateMessage`: Rocket.Chat's published contract for sending a
 * template to up to 250 numbers, with per-recipient results (`results`), `invalidContacts`,
 * `clientReference`, `idempotencyKey` and `dryRun`. Errors answer 4xx with a message naming the
 * field (502 or 503 when Meta's template list could not be fetched, core/app/sendTemplates.ts) and
 * a stable `code` for machines (`errorAnswer`); anything unexpected answers a generic 500 (code
 * `internal`) and is logged without request data. The steps
 * are the send-templates service's (core/app/sendTemplates.ts).
 */
import { IHttp, IModify, IPersistence, IRead } from '@rocket.chat/apps-engine/definition/accessors';
import { ApiEndpoint, IApiEndpointInfo, IApiRequest, IApiResponse } from '@rocket.chat/apps-engine/definition/api';

import { errorAnswer, errorContent, SendRefused } from '../../core/app/sendTemplates';
import { acceptedLanguage, translator } from '../../core/i18n/translate';
import { sendTemplatesOf } from '../../adapters/build/templates';

/**
 * Rocket.Chat parses a body as JSON only when it is `application/json` (body-parser's `json()` in
 * apps/meteor/app/apps/server/bridges/router.ts): any other reaches the app as a form's fields or as
 * `{}`, which would be answered as a body missing its fields (`curl -d` without a Content-Type).
 */
const isJson = (contentType: string | undefined) => (contentType ?? '').split(';')[0].trim().toLowerCase() === 'application/json';

export class TemplateMessageEndpoint extends ApiEndpoint {
	public path = 'templateMessage';
	public authRequired = true;

	public async post(
		request: IApiRequest,
		_endpoint: IApiEndpointInfo,
		read: IRead,
		modify: IModify,
		http: IHttp,
		persistence: IPersistence,
	): Promise<IApiResponse> {
		const t = translator(acceptedLanguage(request.headers['accept-language']));
		if (!request.user) return { status: 401, content: { status: 'error', message: t('api_error_unauthenticated') } };
		if (!isJson(request.headers['content-type']))
			return { status: 415, content: errorContent('content_type', t('api_error_content_type')) };
		try {
			const service = await sendTemplatesOf({ read, http, persistence, modify, logger: this.app.getLogger() });
			// The user's id scopes the idempotency key: another user's equal key is another request.
			return await service.templateMessage({ body: request.content, roles: request.user.roles, userId: request.user.id, t });
		} catch (error) {
			// A refusal's status, words and stable code; anything else a generic 500 (code `internal`), logged by name only.
			if (!(error instanceof SendRefused))
				this.app.getLogger().error(`templateMessage failed: ${error instanceof Error ? error.name : 'error'}`);
			return errorAnswer(error, t);
		}
	}
}
