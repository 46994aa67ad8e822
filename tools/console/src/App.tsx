/**
 * The sandbox's web console: on the left a Rocket.Chat client (the agent or the admin, chosen with a
 * switch: room list, a room's history, a composer for text, files and slash commands, the app's
 * modals); on the right the contacts' phones. The admin also has Administration (AdminPane).
 */
import { Box, Button, ButtonGroup, Icon, Tag, TextAreaInput } from '@rocket.chat/fuselage';
import React, { useCallback, useEffect, useRef, useState } from 'react';

import { AdminPane } from './AdminPane';
import { every, get, Json, post, readAsBase64, time, Who } from './api';
import { inline } from './markdown';
import { Phones } from './Phone';
import { UiKitModalView } from './UiKitModalView';

interface Room {
	id: string;
	name: string;
	kind: 'channel' | 'whatsapp';
	open: boolean;
	servedBy?: string;
	contact?: string;
}

interface State {
	rooms: Room[];
	room: { id: string; messages: Json[] };
	modal: { view: Json; errors: Json | null } | null;
}

const ADMINISTRATION = 'administration';

export function App() {
	const [who, setWho] = useState<Who>('agent');
	const [roomId, setRoomId] = useState<string>('');
	const [state, setState] = useState<State | undefined>();
	const [problem, setProblem] = useState<string>('');
	const refreshRef = useRef<() => Promise<void>>(async () => undefined);

	const refresh = useCallback(async () => {
		const room = roomId === ADMINISTRATION ? '' : roomId;
		const next = await get<State>(`/sandbox/ui/state?user=${who}&room=${encodeURIComponent(room)}`);
		setState(next);
	}, [who, roomId]);
	refreshRef.current = refresh;
	useEffect(() => every(700, () => refreshRef.current()), []);
	useEffect(() => void refresh(), [refresh]);

	const answered = (answer: Json) => {
		const errors = (answer.appErrors as unknown[] | undefined) ?? [];
		setProblem(answer.error ? String(answer.error) : errors.length ? `The app logged an error: ${JSON.stringify(errors[0])}` : '');
		void refresh();
	};

	const rooms = state?.rooms ?? [];
	const current = rooms.find((r) => r.id === (roomId || state?.room.id));
	const showAdmin = who === 'admin' && roomId === ADMINISTRATION;

	return (
		<div className="console">
			<aside className="sidebar">
				<div className="sidebar__top">
					<div className="brand">Rocket.Chat · sandbox</div>
					<div className="switch" role="radiogroup" aria-label="Signed in as">
						{(['agent', 'admin'] as Who[]).map((w) => (
							<button
								key={w}
								role="radio"
								aria-checked={who === w}
								className={who === w ? 'switch__on' : ''}
								onClick={() => {
									setWho(w);
									if (w === 'agent' && roomId === ADMINISTRATION) setRoomId('');
								}}
							>
								{w === 'agent' ? 'Agent' : 'Admin'}
							</button>
						))}
					</div>
				</div>
				<nav className="rooms" aria-label="Rooms">
					<div className="rooms__section">Channels</div>
					{rooms
						.filter((r) => r.kind === 'channel')
						.map((r) => (
							<RoomItem key={r.id} room={r} selected={!showAdmin && current?.id === r.id} onClick={() => setRoomId(r.id)} />
						))}
					<div className="rooms__section">Omnichannel · WhatsApp</div>
					{rooms
						.filter((r) => r.kind === 'whatsapp')
						.map((r) => (
							<RoomItem key={r.id} room={r} selected={!showAdmin && current?.id === r.id} onClick={() => setRoomId(r.id)} />
						))}
					{rooms.some((r) => r.kind === 'whatsapp') ? null : (
						<div className="rooms__empty">No conversation yet: write from a phone.</div>
					)}
					{who === 'admin' ? (
						<>
							<div className="rooms__section">Workspace</div>
							<button
								className={`room-item ${showAdmin ? 'room-item--selected' : ''}`}
								onClick={() => setRoomId(ADMINISTRATION)}
							>
								<Icon name="cog" size="x16" /> Administration
							</button>
						</>
					) : null}
				</nav>
			</aside>
			<main className="main">
				{showAdmin ? (
					<AdminPane />
				) : current ? (
					<RoomView
						key={`${who}:${current.id}`}
						who={who}
						room={current}
						messages={state?.room.messages ?? []}
						onAnswer={answered}
					/>
				) : (
					<Box p="x24">Loading…</Box>
				)}
				{problem ? (
					<div className="problem" role="alert">
						{problem}
					</div>
				) : null}
			</main>
			<Phones />
			{state?.modal ? (
				<UiKitModalView
					key={`${who}:${String(state.modal.view.id)}`}
					who={who}
					view={state.modal.view}
					errors={state.modal.errors}
					onAnswer={answered}
				/>
			) : null}
		</div>
	);
}

function RoomItem(props: { room: Room; selected: boolean; onClick: () => void }) {
	const { room } = props;
	return (
		<button className={`room-item ${props.selected ? 'room-item--selected' : ''}`} onClick={props.onClick} data-room={room.name}>
			<Icon name={room.kind === 'whatsapp' ? 'headset' : 'hashtag'} size="x16" />
			<span className="room-item__name">{room.name}</span>
			{room.kind === 'whatsapp' && !room.open ? <span className="room-item__closed">closed</span> : null}
		</button>
	);
}

function RoomView(props: { who: Who; room: Room; messages: Json[]; onAnswer: (answer: Json) => void }) {
	const { who, room, messages } = props;
	const [draft, setDraft] = useState('');
	const [busy, setBusy] = useState(false);
	const list = useRef<HTMLDivElement>(null);
	const fileInput = useRef<HTMLInputElement>(null);
	useEffect(() => {
		list.current?.scrollTo({ top: list.current.scrollHeight });
	}, [messages.length]);

	const send = async () => {
		const text = draft.trim();
		if (!text || busy) return;
		setBusy(true);
		setDraft('');
		try {
			const answer = text.startsWith('/')
				? await post('/sandbox/ui/command', { user: who, room: room.id, command: text })
				: await post('/sandbox/ui/message', { user: who, room: room.id, text });
			props.onAnswer(answer);
		} finally {
			setBusy(false);
		}
	};
	const upload = async (files: FileList | null) => {
		const file = files?.[0];
		if (!file) return;
		setBusy(true);
		try {
			const data = await readAsBase64(file);
			const description = draft.trim() || undefined;
			setDraft('');
			props.onAnswer(
				await post('/sandbox/ui/upload', {
					user: who,
					room: room.id,
					name: file.name,
					type: file.type || 'application/octet-stream',
					data,
					description,
				}),
			);
		} finally {
			setBusy(false);
			if (fileInput.current) fileInput.current.value = '';
		}
	};

	return (
		<section className="room" aria-label={`Room ${room.name}`}>
			<header className="room__header">
				<Icon name={room.kind === 'whatsapp' ? 'headset' : 'hashtag'} size="x20" />
				<span className="room__title">{room.name}</span>
				{room.kind === 'whatsapp' ? (
					<span className="room__meta">
						WhatsApp +{room.contact} · {room.open ? `served by ${room.servedBy ?? 'nobody (queued)'}` : 'closed'}
					</span>
				) : null}
			</header>
			<div className="room__messages" ref={list} data-qa="room-messages">
				{messages.map((m) => (
					<RoomMessage key={String(m.id)} message={m} />
				))}
			</div>
			<footer className="composer">
				<TextAreaInput
					rows={1}
					value={draft}
					placeholder={`Message ${room.kind === 'whatsapp' ? room.name : `#${room.name}`} (text, or /whatsapp help)`}
					aria-label="Message"
					onChange={(e: React.ChangeEvent<HTMLTextAreaElement>) => setDraft(e.currentTarget.value)}
					onKeyDown={(e: React.KeyboardEvent) => {
						if (e.key === 'Enter' && !e.shiftKey) {
							e.preventDefault();
							void send();
						}
					}}
				/>
				<input ref={fileInput} type="file" hidden aria-label="Upload file" onChange={(e) => void upload(e.currentTarget.files)} />
				<ButtonGroup>
					<Button square title="Upload file" aria-label="Upload file" onClick={() => fileInput.current?.click()} disabled={busy}>
						<Icon name="clip" size="x20" />
					</Button>
					<Button primary onClick={() => void send()} disabled={busy || !draft.trim()}>
						Send
					</Button>
				</ButtonGroup>
			</footer>
		</section>
	);
}

function initials(name: string): string {
	return (
		name
			.split(/\s+/)
			.map((w) => w[0])
			.join('')
			.slice(0, 2)
			.toUpperCase() || '?'
	);
}

/** A message as Rocket.Chat's room draws it: avatar, name, time, text, then its attachments (files, quotes, the app's delivery state). */
function RoomMessage(props: { message: Json }) {
	const m = props.message;
	return (
		<div className={`message ${m.ephemeral ? 'message--ephemeral' : ''}`} data-qa="message">
			<div className={`avatar ${m.fromVisitor ? 'avatar--visitor' : ''}`}>{initials(String(m.author))}</div>
			<div className="message__container">
				<div className="message__header">
					<span className="message__name">{String(m.author)}</span>
					{m.username && m.username !== m.author ? <span className="message__username">@{String(m.username)}</span> : null}
					<span className="message__time">{time(Number(m.at))}</span>
					{m.edited ? <span className="message__edited">(edited)</span> : null}
					{m.ephemeral ? <Tag>Only you can see this message</Tag> : null}
				</div>
				{m.text ? <div className="message__body">{inline(String(m.text))}</div> : null}
				{((m.attachments as Json[]) ?? []).map((a, i) => (
					<Attachment key={i} attachment={a} file={m.file} />
				))}
			</div>
		</div>
	);
}

function Attachment(props: { attachment: Json; file: Json | null }) {
	const a = props.attachment;
	const link: string | undefined = a.title?.link ?? a.title_link;
	const name: string = String(a.title?.value ?? a.title ?? props.file?.name ?? '');
	const type: string = String(props.file?.type ?? '');
	if (link && (a.type === 'file' || a.fileId)) {
		// Rocket.Chat previews an image from its thumbnail (imageUrl); the harness's thumbnail is only the
		// image's first bytes, so the console previews the file itself.
		return (
			<div className="attachment attachment--file">
				{a.description ? <div className="message__body">{String(a.description)}</div> : null}
				{type.startsWith('image/') ? (
					<img className="attachment__image" src={link} alt={name} />
				) : type.startsWith('audio/') ? (
					<audio controls src={link} />
				) : type.startsWith('video/') ? (
					<video controls src={link} className="attachment__image" />
				) : null}
				<a className="attachment__title" href={link} target="_blank" rel="noreferrer">
					<Icon name="file" size="x16" /> {name}
				</a>
			</div>
		);
	}
	if (a.message_link || a.author_name) {
		return (
			<blockquote className="attachment attachment--quote">
				<div className="attachment__author">{String(a.author_name ?? '')}</div>
				<div>{String(a.text ?? '')}</div>
			</blockquote>
		);
	}
	// Rocket.Chat's DefaultAttachment: `color` as the bar at its start (AttachmentBlock's borderInlineStartColor),
	// `text` as markdown. The app's delivery state is one (`whatsapp-status:<state>`; adapters/rocketchat/roomMessages.ts).
	return (
		<div className="attachment" style={a.color ? { borderInlineStartColor: String(a.color) } : undefined}>
			{name ? <div className="attachment__title">{name}</div> : null}
			{a.text ? <div>{inline(String(a.text))}</div> : null}
			{a.description ? <div>{String(a.description)}</div> : null}
		</div>
	);
}
