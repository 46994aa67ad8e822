/**
 * Delivery state in the room: a WhatsApp message sent from a Rocket.Chat message (the modal's
 * template, an agent's reply) shows its status on that message: sent, delivered, read (played for a
 * voice message), or failed with the reason explained. Sends without a room message (templateMessage,
 * campaigns, the automatic messages, which are not posted in the room) carry no `rcMessageId` and are
 * never noted.
 *
 * The status service notes each status it forwarded (`note`); whoever runs it flushes once at the end
 * of the run (`flush`). So a burst of statuses, in one webhook or in several handled by one run, costs
 * one update per message: each update is an edit in Rocket.Chat (marked edited, broadcast to the
 * room's clients; adapters/rocketchat/roomMessages.ts). A state never replaces a later one: notes of
 * one message keep the highest, and the message keeps what it shows when that is as far along.
 */
import { Translator } from '../i18n/translate';
import { Status, STATUS_RANK } from '../status/ordering';
import { MetaError } from '../status/webhook';
import { explainSendError } from '../templates/catalog';
import { inParallel, STATUSES_AT_ONCE } from './parallel';
import { Logger, SentMessage, SettingsReader } from './ports';

/** The statuses a room message shows (`queued` is the send itself; `deleted` is the contact's own doing). */
export type RoomState = 'sent' | 'delivered' | 'read' | 'played' | 'failed';

const STATE_KEYS: Record<Exclude<RoomState, 'failed'>, string> = {
	sent: 'room_state_sent',
	delivered: 'room_state_delivered',
	read: 'room_state_read',
	played: 'room_state_played',
};

export function isRoomState(status: string | undefined): status is RoomState {
	return status === 'failed' || (status !== undefined && status in STATE_KEYS);
}

/** Whether a message showing `shown` keeps it rather than show `next` (it is as far along). */
export function keepsShown(shown: RoomState | undefined, next: RoomState): boolean {
	return shown !== undefined && STATUS_RANK[shown] >= STATUS_RANK[next];
}

/** What one Rocket.Chat message is to show. */
export interface RoomStateUpdate {
	roomId: string;
	rcMessageId: string;
	state: RoomState;
	/** The words shown, in the workspace's language. */
	text: string;
}

/** The Rocket.Chat messages a state is shown on (adapters/rocketchat/roomMessages.ts). */
export interface RoomMessages {
	/**
	 * Shows `update` on its message, unless `keeps(shown)` says the state the message shows now stays.
	 * Answers whether the message was updated (a message that is gone, or not in that room, is not).
	 */
	show(update: RoomStateUpdate, keeps: (shown: RoomState | undefined) => boolean): Promise<boolean>;
}

export interface RoomDeliveryPorts {
	messages: RoomMessages;
	/** `roomDeliveryState`: off, nothing is shown. */
	settings: SettingsReader;
	/** The workspace's language, asked only when there is something to show. */
	translator: () => Promise<Translator>;
	logger?: Logger;
}

interface Due {
	roomId: string;
	rcMessageId: string;
	state: RoomState;
	code?: number;
}

export class RoomDelivery {
	private readonly due = new Map<string, Due>();

	constructor(private readonly ports: RoomDeliveryPorts) {}

	/** A status forwarded for `record`: kept for the flush when the send came from a room message. */
	note(record: SentMessage, status: Status, error?: MetaError): void {
		const { rcMessageId, roomId } = record;
		if (!rcMessageId || !roomId || !isRoomState(status)) return;
		const noted = this.due.get(rcMessageId);
		if (noted && keepsShown(noted.state, status)) return;
		this.due.set(rcMessageId, { roomId, rcMessageId, state: status, code: error?.code });
	}

	/** Shows what was noted, one update per message at most; answers how many messages changed. */
	async flush(): Promise<number> {
		const due = [...this.due.values()];
		this.due.clear();
		if (!due.length || !(await this.ports.settings.get('roomDeliveryState'))) return 0;
		const t = await this.ports.translator();
		let updated = 0;
		await inParallel(due, STATUSES_AT_ONCE, async (entry) => {
			const { roomId, rcMessageId, state } = entry;
			try {
				if (
					await this.ports.messages.show({ roomId, rcMessageId, state, text: this.words(entry, t) }, (shown) =>
						keepsShown(shown, state),
					)
				)
					updated++;
			} catch (error) {
				// The status went to the endpoint already; a room message that cannot change is only logged.
				this.ports.logger?.warn(
					`room delivery state: message ${rcMessageId} not updated: ${error instanceof Error ? error.message : 'error'}`,
				);
			}
		});
		return updated;
	}

	/**
	 * A room message the app sent nothing of (an agent's reply it refused: the 24-hour window closed,
	 * the number gone): shown at once as not sent, with `reason` in the workspace's language, so that
	 * it does not look sent to anyone who reads the room later. Off with the setting, as every state.
	 */
	async notSent(message: { roomId: string; rcMessageId: string }, reason: (t: Translator) => string): Promise<void> {
		if (!(await this.ports.settings.get('roomDeliveryState'))) return;
		const t = await this.ports.translator();
		try {
			await this.ports.messages.show(
				{ ...message, state: 'failed', text: t('room_state_not_sent', { reason: reason(t) }) },
				() => false,
			);
		} catch (error) {
			// The agent was told in a notice already; a room message that cannot change is only logged.
			this.ports.logger?.warn(
				`room delivery state: message ${message.rcMessageId} not marked not sent: ${error instanceof Error ? error.message : 'error'}`,
			);
		}
	}

	private words(entry: Due, t: Translator): string {
		if (entry.state !== 'failed') return t(STATE_KEYS[entry.state]);
		const code = entry.code ?? 0;
		return t('room_state_failed', { reason: t(explainSendError(code).key, { code }) });
	}
}
