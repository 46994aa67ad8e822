/**
 * `GET /api/apps/public/{appId}/campaign?id=` answers a campaign's counts by status;
 * `DELETE /api/apps/public/{appId}/campaign?id=` cancels it (the recipients left are not sent; a run
 * on another instance reads the cancel within a second: core/app/cancelWatch.ts).
 * Campaigns are templateMessage's `async: true` (core/app/campaigns.ts), beyond Rocket.Chat's
 * published contract (docs/templateMessage.openapi.yaml). Only the user who started the campaign,
 * or an admin, may do either: 404 for an unknown id, 403 for someone else's. Every error answer
 * carries a stable `code` besides its words (core/app/sendTemplates.ts `errorAnswer`).
 */
import { IHttp, IModify, IPersistence, IRead } from '@rocket.chat/apps-engine/definition/accessors';
import { ApiEndpoint, IApiEndpointInfo, IApiRequest, IApiResponse } from '@rocket.chat/apps-engine/definition/api';

import { CampaignView } from '../../core/app/campaigns';
import { errorAnswer, errorContent, SendRefused } from '../../core/app/sendTemplates';
import { acceptedLanguage, translator } from '../../core/i18n/translate';
import { campaignsOf } from '../../adapters/build/campaigns';

type Action = 'status' | 'cancel';

export class CampaignEndpoint extends ApiEndpoint {
	public path = 'campaign';
	public authRequired = true;

	public get(
		request: IApiRequest,
		_e: IApiEndpointInfo,
		read: IRead,
		modify: IModify,
		http: IHttp,
		persistence: IPersistence,
	): Promise<IApiResponse> {
		return this.answer('status', request, { read, modify, http, persistence });
	}

	public delete(
		request: IApiRequest,
		_e: IApiEndpointInfo,
		read: IRead,
		modify: IModify,
		http: IHttp,
		persistence: IPersistence,
	): Promise<IApiResponse> {
		return this.answer('cancel', request, { read, modify, http, persistence });
	}

	private async answer(
		action: Action,
		request: IApiRequest,
		acc: { read: IRead; modify: IModify; http: IHttp; persistence: IPersistence },
	): Promise<IApiResponse> {
		const t = translator(acceptedLanguage(request.headers['accept-language']));
		const user = request.user;
		if (!user) return { status: 401, content: { status: 'error', message: t('api_error_unauthenticated') } };
		const id = campaignIdOf(request);
		if (!id) return { status: 400, content: errorContent('campaign_missing_id', t('api_error_campaign_missing_id')) };
		if (id.length > CAMPAIGN_ID_MAX)
			return {
				status: 400,
				content: errorContent(
					'field_too_long',
					t('api_error_field_too_long', { field: 'id', max: CAMPAIGN_ID_MAX, given: id.length }),
				),
			};
		try {
			const service = await campaignsOf(acc);
			const caller = { id: user.id, roles: user.roles };
			const campaign: CampaignView = action === 'cancel' ? await service.cancel(id, caller) : await service.status(id, caller);
			return { status: 200, content: { success: true, campaign } };
		} catch (error) {
			// A refusal's status, words and stable code; anything else a generic 500 (code `internal`), logged by name only.
			if (!(error instanceof SendRefused))
				this.app.getLogger().error(`campaign ${action} failed: ${error instanceof Error ? error.name : 'error'}`);
			return errorAnswer(error, t);
		}
	}
}

/** A campaign's id has at most this many characters (the app's ids have 24): a longer one is refused as too long. */
export const CAMPAIGN_ID_MAX = 64;

/** The campaign's id: `?id=`, or `id` in a JSON body; undefined when there is none (its length is checked by the caller). */
export function campaignIdOf(request: Pick<IApiRequest, 'query' | 'content'>): string | undefined {
	const fromQuery = request.query?.id;
	const fromBody = (request.content as { id?: unknown } | undefined)?.id;
	const id = typeof fromQuery === 'string' && fromQuery ? fromQuery : typeof fromBody === 'string' ? fromBody : undefined;
	return id || undefined;
}
