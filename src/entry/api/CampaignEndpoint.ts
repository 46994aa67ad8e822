/**
 * `GET /api/apps/public/{appId}/campaign?id=` answers a campaign's counts by status;
 * `DELETE /api/apps/public/{appId}/campaign?id=` cancels it (the recipients left are not sent; a run
 * on another instance reads the cancel within a second: core/app/cancelWatch.ts).
 * Campaigns are templateMessage's `async: true` (core/app/campaigns.ts), beyond Rocket.Chat's
 * published contract (docs/templateMessage.openapi.yaml). Only the user who started the campaign,
 * or an admin, may do either: 404 for an unknown id, 403 for someone else's.
 */
import { IHttp, IModify, IPersistence, IRead } from '@rocket.chat/apps-engine/definition/accessors';
import { ApiEndpoint, IApiEndpointInfo, IApiRequest, IApiResponse } from '@rocket.chat/apps-engine/definition/api';

import { CampaignView } from '../../core/app/campaigns';
import { explainError } from '../../core/app/explain';
import { SendRefused } from '../../core/app/sendTemplates';
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
		if (!id) return { status: 400, content: { success: false, error: t('api_error_campaign_missing_id') } };
		try {
			const service = await campaignsOf(acc);
			const caller = { id: user.id, roles: user.roles };
			const campaign: CampaignView = action === 'cancel' ? await service.cancel(id, caller) : await service.status(id, caller);
			return { status: 200, content: { success: true, campaign } };
		} catch (error) {
			if (error instanceof SendRefused) {
				const explained = explainError(error, t);
				return { status: explained.status, content: { success: false, error: explained.text } };
			}
			this.app.getLogger().error(`campaign ${action} failed: ${error instanceof Error ? error.name : 'error'}`);
			return { status: 500, content: { success: false, error: t('api_error_internal') } };
		}
	}
}

/** The campaign's id: `?id=`, or `id` in a JSON body. At most 64 characters. */
function campaignIdOf(request: IApiRequest): string | undefined {
	const fromQuery = request.query?.id;
	const fromBody = (request.content as { id?: unknown } | undefined)?.id;
	const id = typeof fromQuery === 'string' && fromQuery ? fromQuery : typeof fromBody === 'string' ? fromBody : undefined;
	return id && id.length <= 64 ? id : undefined;
}
