/**
 * In-memory twins of the persistence-backed ports, for the services' unit tests and the store
 * contract suites (test/unit/core/app/contracts): each behaves as its persistence store does.
 */
import { ConnectedNumber } from '../numbers/ConnectedNumber';
import { MessageLink, MessageLog, Numbers, SentMessage } from './ports';

const copy = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;
const dayOf = (iso: string) => iso.slice(0, 10);

export class MemoryMessageLog implements MessageLog {
	private messages: SentMessage[] = [];
	private links: MessageLink[] = [];
	/** wamid -> the day it was seen. */
	private seen = new Map<string, string>();
	/** `kind:key` -> the day it was marked. */
	private marks = new Map<string, string>();

	async record(message: SentMessage): Promise<void> {
		this.messages.push(copy(message));
	}

	async resolve(message: SentMessage): Promise<void> {
		const { pending: _pending, pendingGroup, ...answered } = message;
		this.messages.push(copy(answered));
		if (!pendingGroup) this.messages = this.messages.filter((m) => !(m.pending && m.sendId === message.sendId));
	}

	async recordPending(messages: SentMessage[]): Promise<void> {
		for (const message of messages) await this.record(message);
	}

	async removePending(group: string): Promise<void> {
		this.messages = this.messages.filter((m) => !(m.pending && m.pendingGroup === group));
	}

	async findByBatch(batch: string): Promise<SentMessage[]> {
		return this.messages.filter((m) => m.batch === batch).map(copy);
	}

	async pendingSends(): Promise<SentMessage[]> {
		return this.messages.filter((m) => m.pending).map(copy);
	}

	async update(message: SentMessage): Promise<void> {
		if (!message.wamid) throw new Error('MessageLog: only recorded messages with a wamid are updated');
		this.replace(message);
	}

	async saveStatuses(messages: SentMessage[]): Promise<void> {
		for (const message of messages) if (message.wamid) this.replace(message);
	}

	private replace(message: SentMessage): void {
		const index = this.messages.findIndex((m) => m.wamid === message.wamid);
		if (index >= 0) this.messages[index] = copy(message);
	}

	async findByWamid(wamid: string): Promise<SentMessage | undefined> {
		const found = this.messages.find((m) => m.wamid === wamid);
		return found && copy(found);
	}

	async latestRouting(phoneNumberId: string, mobileNo: string): Promise<SentMessage | undefined> {
		const sends = this.messages.filter((m) => m.phoneNumberId === phoneNumberId && (m.mobileNo === mobileNo || m.waId === mobileNo));
		const found = sends
			.filter((m) => m.targetAgent || m.targetDepartment)
			.sort((a, b) => a.sentAt.localeCompare(b.sentAt))
			.pop();
		return found && copy(found);
	}

	async link(link: MessageLink): Promise<void> {
		this.links.push(copy(link));
	}

	async linkOfWamid(wamid: string): Promise<MessageLink | undefined> {
		return this.findLink((l) => l.wamid === wamid);
	}

	async linkOfUpload(uploadId: string): Promise<MessageLink | undefined> {
		return this.findLink((l) => l.uploadId === uploadId);
	}

	async linkOfMessage(rcMessageId: string): Promise<MessageLink | undefined> {
		return this.findLink((l) => l.rcMessageId === rcMessageId);
	}

	async isSeen(wamid: string): Promise<boolean> {
		return this.seen.has(wamid);
	}

	async markSeen(wamid: string): Promise<void> {
		this.seen.set(wamid, dayOf(new Date().toISOString()));
	}

	async hasMark(kind: string, key: string): Promise<boolean> {
		return this.marks.has(`${kind}:${key}`);
	}

	async mark(kind: string, key: string): Promise<void> {
		this.marks.set(`${kind}:${key}`, dayOf(new Date().toISOString()));
	}

	async unmark(kind: string, key: string): Promise<void> {
		this.marks.delete(`${kind}:${key}`);
	}

	async removeDay(isoDay: string): Promise<number> {
		const before = this.messages.length + this.links.length + this.seen.size + this.marks.size;
		this.messages = this.messages.filter((m) => dayOf(m.sentAt) !== isoDay);
		this.links = this.links.filter((l) => dayOf(l.at) !== isoDay);
		for (const map of [this.seen, this.marks]) for (const [key, day] of [...map]) if (day === isoDay) map.delete(key);
		return before - (this.messages.length + this.links.length + this.seen.size + this.marks.size);
	}

	private findLink(match: (link: MessageLink) => boolean): MessageLink | undefined {
		const found = this.links.find(match);
		return found && copy(found);
	}
}

export class MemoryNumbers implements Numbers {
	private readonly numbers = new Map<string, ConnectedNumber>();

	async list(): Promise<ConnectedNumber[]> {
		return [...this.numbers.values()].map(copy).sort((a, b) => a.connectedAt.localeCompare(b.connectedAt));
	}

	async get(phoneNumberId: string): Promise<ConnectedNumber | undefined> {
		const found = this.numbers.get(phoneNumberId);
		return found && copy(found);
	}

	async save(number: ConnectedNumber): Promise<void> {
		this.numbers.set(number.phoneNumberId, copy(number));
	}

	async replace(number: ConnectedNumber): Promise<boolean> {
		if (!this.numbers.has(number.phoneNumberId)) return false;
		this.numbers.set(number.phoneNumberId, copy(number));
		return true;
	}

	async remove(phoneNumberId: string): Promise<boolean> {
		return this.numbers.delete(phoneNumberId);
	}
}
