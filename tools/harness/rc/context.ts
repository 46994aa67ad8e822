/**
 * What every bridge family of the harness shares: the in-memory world, the conversion of a user to
 * what apps receive, the Rocket.Chat server settings, and the events Rocket.Chat fires to apps
 * (IPostMessageSent, IPostLivechatAgentAssigned...) through the engine's listener manager.
 */
import { HarnessUser, HarnessWorld, Json } from '../world';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Any = any;

/**
 * Events Rocket.Chat sends to apps from inside its own code paths. Rocket.Chat fires most of them
 * without awaiting them (`void Apps.self?.triggerEvent(...)`), so neither does the harness; each
 * one is tracked so that a test can wait until every event fired so far has run (`settled`).
 */
export class HarnessEvents {
	/** Set by AppHarness once the engine's AppManager exists: runs one listener interface. */
	dispatch?: (event: string, data: unknown) => Promise<unknown>;
	private readonly pending = new Set<Promise<unknown>>();
	/** Events whose listeners threw (Rocket.Chat logs and ignores them); tests read them. */
	readonly failures: Array<{ event: string; error: unknown }> = [];

	/** Fires an event without waiting for the apps' listeners, as Rocket.Chat does. */
	fire(event: string, data: unknown): void {
		if (!this.dispatch) return;
		const run = this.dispatch(event, data).catch((error: unknown) => void this.failures.push({ event, error }));
		this.pending.add(run);
		void run.finally(() => this.pending.delete(run));
	}

	/** Resolves when every event fired so far, and every event those fired, has run. */
	async settled(): Promise<void> {
		while (this.pending.size) await Promise.all([...this.pending]);
	}
}

export interface BridgeContext {
	world: HarnessWorld;
	events: HarnessEvents;
	/** A user as apps receive it (no credentials). */
	toAppUser(user: HarnessUser | undefined): Json | undefined;
}

export type BridgeMethods = Record<string, (...args: Any[]) => unknown>;
