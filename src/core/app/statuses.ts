/**
 * Forwarding statuses: Meta's status of a message the app sent (or a contact's revoke of it) becomes
 * an event for the Message Status Endpoint URL (through the send log), a failure is told to the
 * agents of the room the message left from, and a template's status change updates the template
 * cache. The delivery round to the URL is in delivery.ts.
 */
import { Translator } from '../i18n/translate';
import { fromMetaStatus } from '../status/ordering';
import { InboundMessageEvent, StatusEvent, TemplateStatusEvent } from '../status/webhook';
import { explainSendError, TemplateCatalog } from '../templates/catalog';
import { mayReportOn, WebhookScope } from '../webhook/tenancy';
import { MessageLog, Numbers, SentMessage, TemplateCache } from './ports';
import { SendLog } from './sendLog';

/** Tells the members of a room something (an ephemeral notice from the app's user). A room that is gone is skipped. */
export interface RoomNotifier {
	notifyRoom(roomId: string, text: string): Promise<void>;
}

/** Refusals for the app's log: one line a minute per cause at most (adapters/refusals.ts). */
export interface Refusals {
	refuse(cause: string, text: string): void;
}

export interface StatusPorts {
	messages: MessageLog;
	sendLog: SendLog;
	notifier: RoomNotifier;
	/** The workspace's language, asked only when there is something to say. */
	translator: () => Promise<Translator>;
	numbers: Numbers;
	templates: TemplateCache;
	refusals: Refusals;
}

const describeNumber = (id: string) => (id ? `number ${id.length > 32 ? `${id.slice(0, 32)}…` : id}` : 'no number');

export class StatusService {
	constructor(private readonly ports: StatusPorts) {}

	/** Meta's status of a message the app sent: forwarded once, in order; a failure is told to the room. */
	async handleStatus(event: StatusEvent, scope: WebhookScope | undefined): Promise<void> {
		const status = fromMetaStatus(event.status);
		const record = status ? await this.ports.messages.findByWamid(event.wamid) : undefined;
		if (!record || !status || !this.reportsOnOwnMessage(event, record, scope)) return;
		const error = event.errors?.[0];
		const forwarded = await this.ports.sendLog.forward(record, {
			status,
			timestamp: event.timestamp,
			error,
			pricingCategory: event.pricingCategory,
		});
		if (forwarded && status === 'failed' && record.roomId) await this.noticeFailure(record, error?.code);
	}

	/** A contact deleted a message of the app's (Meta's revoke): forwarded as `deleted`. */
	async handleRevoke(event: InboundMessageEvent, scope: WebhookScope | undefined): Promise<void> {
		const record = event.originalMessageId ? await this.ports.messages.findByWamid(event.originalMessageId) : undefined;
		if (record && this.reportsOnOwnMessage(event, record, scope))
			await this.ports.sendLog.forward(record, { status: 'deleted', timestamp: event.timestamp });
	}

	/** Meta paused, disabled or deleted a template (or approved one): the template cache follows at once. */
	async templateStatusChanged(event: TemplateStatusEvent): Promise<void> {
		const numbers = (await this.ports.numbers.list()).filter((n) => n.wabaId === event.wabaId);
		if (!numbers.length) return;
		await new TemplateCatalog(this.ports.templates, async () => [], 0).applyStatusUpdate(event);
	}

	/**
	 * A status, or a contact's revoke, may speak only of a message sent from its own number, and only
	 * when the webhook's signature vouches for that number: any other is dropped and logged.
	 */
	private reportsOnOwnMessage(
		event: { phoneNumberId: string; kind: string },
		record: SentMessage,
		scope: WebhookScope | undefined,
	): boolean {
		if (mayReportOn(scope, event.phoneNumberId, record.phoneNumberId)) return true;
		this.ports.refusals.refuse(
			'foreign-message',
			`webhook: a ${event.kind} event of ${describeNumber(event.phoneNumberId)} about a message sent from another number, dropped`,
		);
		return false;
	}

	/** A message sent from a room failed later: the agents of the room are told why, in the workspace's language. */
	private async noticeFailure(record: SentMessage, code: number | undefined): Promise<void> {
		const t = await this.ports.translator();
		const reason = t(explainSendError(code ?? 0).key, { code: code ?? 0 });
		await this.ports.notifier.notifyRoom(
			record.roomId as string,
			t('status_failed_notice', { recipient: record.mobileNo, message: record.message.slice(0, 80), reason }),
		);
	}
}
