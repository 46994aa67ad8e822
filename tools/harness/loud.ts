/**
 * Builds a bridge instance from the engine's own bridge class (so its permission checks and
 * `doX` wrappers run as in Rocket.Chat) plus the methods the harness implements. Any other method
 * the engine calls throws an error naming the bridge and the method, so a gap in the harness shows
 * at once instead of being answered with `undefined`.
 */
type AnyFn = (...args: any[]) => unknown; // eslint-disable-line @typescript-eslint/no-explicit-any

const PASS_THROUGH = new Set<PropertyKey>(['then', 'constructor', 'toJSON', 'inspect', 'asymmetricMatch', 'nodeType', '$$typeof']);

export class NotImplementedByHarness extends Error {
	constructor(
		readonly bridge: string,
		readonly method: string,
	) {
		super(`${bridge}.${method} is not implemented by the test harness`);
		this.name = 'NotImplementedByHarness';
	}
}

export function loudBridge<T extends object>(name: string, Base: abstract new () => object, impl: Record<string, AnyFn>): T {
	const instance = new (Base as unknown as new () => object)();
	Object.assign(instance, impl);
	return new Proxy(instance, {
		get(target, prop, receiver) {
			if (prop in target || typeof prop === 'symbol' || PASS_THROUGH.has(prop)) {
				return Reflect.get(target, prop, receiver);
			}
			return () => {
				throw new NotImplementedByHarness(name, String(prop));
			};
		},
	}) as T;
}

/** A plain object bridge (the engine's `IInternal*` interfaces) with the same loud fallback. */
export function loudObject<T extends object>(name: string, impl: Record<string, AnyFn>): T {
	return loudBridge<T>(name, class {} as abstract new () => object, impl);
}
