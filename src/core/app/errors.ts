/**
 * The contact's message cannot be put in a room yet: Rocket.Chat refuses a new room while no agent
 * is online ('no-agent-online', unless "Accept chats with no agents online" is on). The message
 * waits in the webhook inbox, not counted as a failed attempt, and is tried again by the runs
 * (core/app/webhookBatch.ts `InboxEntry.waitingRoutes`: once per refused room in a run, each
 * message at least every WAITING_FULL_CHECK_MS).
 */
export class WaitingForAgent extends Error {
	/**
	 * @param route What the room was asked for (`<phone number id>:<department>:<agent username>`):
	 * a processing run that finds it refused leaves the other messages waiting for it alone.
	 */
	constructor(readonly route?: string) {
		super('waiting for an agent to be online');
		this.name = 'WaitingForAgent';
	}
}
