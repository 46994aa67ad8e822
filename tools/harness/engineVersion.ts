/**
 * Which Apps-Engine the harness runs, and the few places where engines differ for the harness itself.
 *
 * The tests run on the pinned engine (package.json's `@rocket.chat/apps-engine`) unless `APPS_ENGINE`
 * selects another installed one (tools/engine/engines.js; jest.config.js maps the engine's modules).
 * A test that needs a newer engine feature asks `engineAtLeast('1.55.0')` and asserts the older
 * engine's documented degradation otherwise, instead of being skipped.
 */
/* eslint-disable @typescript-eslint/no-explicit-any */
type Any = any;

/** The version of the engine the harness runs (the mapped package's own package.json). */
export function engineVersion(): string {
	return (require('@rocket.chat/apps-engine/package.json') as { version: string }).version;
}

/** Whether the running engine is `version` or newer. */
export function engineAtLeast(version: string, running = engineVersion()): boolean {
	const [a, b] = [running, version].map((v) => v.split('.').map(Number));
	for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i] > b[i];
	return true;
}

/** An app's Deno subprocess controller: `getRuntimeController()` in 1.59 and later, `getDenoRuntime()` in 1.53.1 and 1.55.1 (server/ProxiedApp). */
export function runtimeControllerOf(app: Any): Any {
	return typeof app.getRuntimeController === 'function' ? app.getRuntimeController() : app.getDenoRuntime();
}

/**
 * A message as Rocket.Chat hands it to apps on the running engine's servers. Before Rocket.Chat 8.2
 * (engine 1.60, which added `IMessage.files`), its messages converter mapped neither the message's
 * `files` nor an attachment's `fileId` (apps/meteor/app/apps/server/converters/messages.ts @
 * 00998e59); transformMappedData leaves every field it does not map under `_unmappedProperties_`
 * (converters/transformMappedData.ts), so they come there. From 8.2 both are mapped (`files` by
 * convertMessageFiles, `fileId` in the attachments' map).
 */
export function asAppMessage<T extends Record<string, unknown>>(message: T, running = engineVersion()): T {
	if (engineAtLeast('1.60.0', running)) return message;
	const { files, attachments, ...rest } = message as Record<string, unknown>;
	const unmapped = (value: Record<string, unknown> | undefined, fields: Record<string, unknown>) => {
		const present = Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined));
		return Object.keys(present).length ? { ...(value ?? {}), ...present } : value;
	};
	const old: Record<string, unknown> = { ...rest };
	if (Array.isArray(attachments))
		old.attachments = attachments.map((a: Record<string, unknown>) => {
			const { fileId, ...attachment } = a;
			const moved = unmapped(attachment._unmappedProperties_ as Record<string, unknown> | undefined, { fileId });
			return moved ? { ...attachment, _unmappedProperties_: moved } : attachment;
		});
	else if (attachments !== undefined) old.attachments = attachments;
	const moved = unmapped(rest._unmappedProperties_ as Record<string, unknown> | undefined, { files });
	if (moved) old._unmappedProperties_ = moved;
	return old as T;
}

/**
 * Whether the engine keeps a job run's own log entries. Up to 1.59.0 the Deno runtime answers each
 * request with the log of the latest request it started (deno-runtime/main.ts `requestRouter`,
 * lib/messenger.ts), so what a job logged before an event it caused (a message it posted) started is
 * lost: Rocket.Chat's "Logs" tab does not show it. 1.62 gives each request its own log
 * (lib/wrapAppForRequest.ts).
 */
export function engineKeepsJobLogs(running = engineVersion()): boolean {
	return engineAtLeast('1.62.0', running);
}
