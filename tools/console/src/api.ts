/** The sandbox's console API (tools/sandbox/consoleApi.ts), JSON in and out. */
/* eslint-disable @typescript-eslint/no-explicit-any */
export type Json = Record<string, any>;

export type Who = 'agent' | 'admin';

export async function get<T = Json>(path: string): Promise<T> {
	const res = await fetch(path, { cache: 'no-store' });
	return (await res.json()) as T;
}

export async function post<T = Json>(path: string, body: unknown): Promise<T> {
	const res = await fetch(path, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
	return (await res.json()) as T;
}

/** A file as base64, for the JSON API. */
export function readAsBase64(file: File): Promise<string> {
	return new Promise((resolve, reject) => {
		const reader = new FileReader();
		reader.onload = () => resolve(String(reader.result).replace(/^data:[^,]*,/, ''));
		reader.onerror = () => reject(reader.error);
		reader.readAsDataURL(file);
	});
}

/** Calls `fn` every `ms` while mounted; `fn` runs once at once. */
export function every(ms: number, fn: () => Promise<void>): () => void {
	let stopped = false;
	let timer: number | undefined;
	const tick = async () => {
		try {
			await fn();
		} catch {
			// the sandbox is restarting or stopped: the next tick tries again
		}
		if (!stopped) timer = window.setTimeout(tick, ms);
	};
	void tick();
	return () => {
		stopped = true;
		if (timer !== undefined) window.clearTimeout(timer);
	};
}

export const time = (at: number): string => new Date(at).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
