/**
 * The Graph client whose message sends go through the sending number's pacer (pacer.ts), so that
 * every sender of the app (templateMessage, the modal, the outbound provider, agents' replies,
 * automatic and free-form messages, campaign jobs) shares one pace per number. Only
 * `POST /{phone-number-id}/messages` with a message is paced; read receipts, template lists and
 * media are not messages Meta counts against the throughput.
 */
import { GraphApiError } from '../errors';
import { GraphClient, GraphClientOptions, SendResult } from '../graph/GraphClient';
import { Booking, PaceOptions, realClock, NumberPacer, PacerRegistry } from './pacer';
import { SEND_WINDOW_MS } from './budget';

/** How a send waits for its turn (pacer.ts PaceOptions); `deadline` defaults to SEND_WINDOW_MS after the call. */
export type PacedSendOptions = PaceOptions;

/** A pacer per number that reads Meta's error codes from the Graph client's errors. */
export function graphPacers(): PacerRegistry {
	return new PacerRegistry(
		(ratePerSecond) =>
			new NumberPacer({ ratePerSecond, metaCode: (error) => (error instanceof GraphApiError ? error.graphCode : undefined) }),
	);
}

export class PacedGraphClient extends GraphClient {
	constructor(
		options: GraphClientOptions,
		private readonly pacers: PacerRegistry,
		private readonly ratePerSecond: number,
		private readonly now: () => number = realClock.now,
	) {
		super(options);
	}

	sendMessage(phoneNumberId: string, payload: object, options: PacedSendOptions = {}): Promise<SendResult> {
		const deadline = options.deadline ?? this.now() + SEND_WINDOW_MS;
		return this.pacerOf(phoneNumberId).run(() => super.sendMessage(phoneNumberId, payload), { ...options, deadline });
	}

	/** Books `count` sends of the number if the last would start within `withinMs` (NumberPacer.admit). */
	admit(phoneNumberId: string, count: number, withinMs: number, options: { book?: boolean } = {}): Booking | undefined {
		return this.pacerOf(phoneNumberId).admit(count, withinMs, options);
	}

	private pacerOf(phoneNumberId: string): NumberPacer {
		return this.pacers.pacerFor(phoneNumberId, this.ratePerSecond);
	}
}
