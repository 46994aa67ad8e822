/**
 * The contacts' phones, drawn like WhatsApp: the chat with the business number, templates with their
 * header (media or text), body, footer and buttons, the agent's replies and files. The contact writes
 * text and sends files. A phone that shows a message of the number reads it: Meta's sent, delivered
 * and read statuses go to the app (the sandbox's simulator sends the status webhook).
 */
import { Icon } from '@rocket.chat/fuselage';
import React, { useEffect, useRef, useState } from 'react';

import { every, get, Json, post, readAsBase64, time } from './api';

interface Contact {
	waId: string;
	name: string;
}

export function Phones() {
	const [contacts, setContacts] = useState<Contact[]>([]);
	const [selected, setSelected] = useState<string>('');
	const [chat, setChat] = useState<Json[]>([]);
	const selectedRef = useRef(selected);
	selectedRef.current = selected;

	useEffect(
		() =>
			every(700, async () => {
				const contact = selectedRef.current;
				const answer = await get(`/sandbox/ui/phone?contact=${encodeURIComponent(contact)}`);
				setContacts(answer.contacts);
				if (!contact && answer.contacts.length) setSelected(answer.contacts[0].waId);
				if (contact === selectedRef.current) setChat(answer.chat);
			}),
		[],
	);
	useEffect(() => setChat([]), [selected]);

	// What the phone shows, it reads (the chat is open): Meta reports read for the number's messages.
	useEffect(() => {
		const unread = chat.filter((m) => m.direction === 'out' && m.status !== 'read').map((m) => String(m.wamid));
		if (unread.length && selected && document.visibilityState === 'visible')
			void post('/sandbox/ui/phone/read', { contact: selected, wamids: unread });
	}, [chat, selected]);

	const contact = contacts.find((c) => c.waId === selected);
	return (
		<aside className="phones" aria-label="Contacts’ phones">
			<div className="phones__tabs" role="tablist">
				{contacts.map((c) => (
					<button
						key={c.waId}
						role="tab"
						aria-selected={c.waId === selected}
						className={c.waId === selected ? 'tab--on' : ''}
						onClick={() => setSelected(c.waId)}
					>
						{c.name}
					</button>
				))}
			</div>
			{contact ? <Phone key={contact.waId} contact={contact} chat={chat} /> : null}
		</aside>
	);
}

function Phone(props: { contact: Contact; chat: Json[] }) {
	const { contact, chat } = props;
	const [draft, setDraft] = useState('');
	const [sending, setSending] = useState(false);
	const list = useRef<HTMLDivElement>(null);
	const fileInput = useRef<HTMLInputElement>(null);
	useEffect(() => {
		list.current?.scrollTo({ top: list.current.scrollHeight });
	}, [chat.length]);

	const send = async () => {
		const text = draft.trim();
		if (!text) return;
		setSending(true);
		setDraft('');
		try {
			await post('/sandbox/ui/phone/send', { contact: contact.waId, text });
		} finally {
			setSending(false);
		}
	};
	const sendFile = async (files: FileList | null) => {
		const file = files?.[0];
		if (!file) return;
		setSending(true);
		try {
			const caption = draft.trim() || undefined;
			setDraft('');
			await post('/sandbox/ui/phone/send', {
				contact: contact.waId,
				name: file.name,
				type: file.type || 'application/octet-stream',
				data: await readAsBase64(file),
				caption,
			});
		} finally {
			setSending(false);
			if (fileInput.current) fileInput.current.value = '';
		}
	};

	return (
		<div className="phone" data-qa="phone" aria-label={`${contact.name}’s phone`}>
			<div className="phone__bar">
				<div className="phone__avatar">SS</div>
				<div>
					<div className="phone__title">Sandbox Support</div>
					<div className="phone__subtitle">
						{contact.name} · +{contact.waId}
					</div>
				</div>
			</div>
			<div className="phone__chat" ref={list} data-qa="phone-chat">
				{chat.map((m) => (
					<Bubble key={String(m.wamid)} message={m} />
				))}
			</div>
			<div className="phone__composer">
				<input ref={fileInput} type="file" hidden aria-label="Attach" onChange={(e) => void sendFile(e.currentTarget.files)} />
				<button
					className="phone__attach"
					title="Attach"
					aria-label="Attach"
					onClick={() => fileInput.current?.click()}
					disabled={sending}
				>
					<Icon name="clip" size="x20" />
				</button>
				<input
					className="phone__input"
					value={draft}
					placeholder="Message"
					aria-label="Message on the phone"
					onChange={(e) => setDraft(e.currentTarget.value)}
					onKeyDown={(e) => {
						if (e.key === 'Enter') void send();
					}}
				/>
				<button
					className="phone__send"
					aria-label="Send on the phone"
					onClick={() => void send()}
					disabled={sending || !draft.trim()}
				>
					<Icon name="send" size="x20" />
				</button>
			</div>
		</div>
	);
}

/** Ticks: the contact's messages turn blue when the app sent its read receipt; the number's show what this phone reported. */
function Ticks(props: { status: string }) {
	const { status } = props;
	return (
		<span className={`ticks ticks--${status}`} title={status} data-status={status}>
			{status === 'sent' ? '✓' : '✓✓'}
		</span>
	);
}

function Media(props: { m: Json }) {
	const { m } = props;
	const src = m.mediaId ? `/sandbox/ui/media/${encodeURIComponent(String(m.mediaId))}` : undefined;
	const type = String(m.type);
	if (type === 'image' || type === 'sticker') {
		return src ? (
			<img className="bubble__image" src={src} alt={String(m.caption ?? 'photo')} />
		) : (
			<div className="bubble__doc">
				<Icon name="image" size="x16" /> {String(m.mediaLink ?? 'image')}
			</div>
		);
	}
	if (type === 'video')
		return src ? (
			<video className="bubble__image" controls src={src} />
		) : (
			<div className="bubble__doc">
				<Icon name="video" size="x16" /> {String(m.mediaLink ?? 'video')}
			</div>
		);
	if (type === 'audio')
		return src ? (
			<audio controls src={src} />
		) : (
			<div className="bubble__doc">
				<Icon name="mic" size="x16" /> audio
			</div>
		);
	return (
		<a className="bubble__doc" href={src ?? m.mediaLink} target="_blank" rel="noreferrer">
			<Icon name="file" size="x20" /> <span>{String(m.filename ?? 'document')}</span>
		</a>
	);
}

function TemplateBubble(props: { m: Json }) {
	const t = props.m.rendered as Json | undefined;
	if (!t) return <div className="bubble__text">Template {String(props.m.template?.name)}</div>;
	return <RenderedTemplate t={t} />;
}

/** A carousel's cards, side by side and scrolled sideways as WhatsApp shows them: each its header, text and buttons. */
function Cards(props: { cards: Json[] }) {
	return (
		<div className="bubble__cards" data-qa="cards">
			{props.cards.map((card, index) => (
				<div key={index} className="bubble__card" data-qa="card">
					<RenderedTemplate t={card} />
					{((card.buttons as string[] | undefined) ?? []).map((b, i) => (
						<div key={i} className="bubble__card-button">
							{b}
						</div>
					))}
				</div>
			))}
		</div>
	);
}

function RenderedTemplate(props: { t: Json }) {
	const t = props.t;
	const header = t.header as Json | undefined;
	return (
		<>
			{header ? (
				header.format === 'TEXT' ? (
					<div className="bubble__header">{String(header.text)}</div>
				) : header.format === 'DOCUMENT' ? (
					<div className="bubble__doc">
						<Icon name="file" size="x20" /> <span>{String(header.filename ?? header.link ?? 'document')}</span>
					</div>
				) : header.format === 'IMAGE' ? (
					<div className="bubble__media-placeholder">
						<Icon name="image" size="x16" /> {String(header.link ?? 'image')}
					</div>
				) : header.format === 'PRODUCT' ? (
					<div className="bubble__media-placeholder">
						<Icon name="bag" size="x16" /> {String(header.productId ?? 'product')}
					</div>
				) : header.format === 'VIDEO' ? (
					<div className="bubble__media-placeholder">
						<Icon name="video" size="x16" /> {String(header.link ?? 'video')}
					</div>
				) : (
					<div className="bubble__media-placeholder">
						<Icon name="pin-map" size="x16" /> location
					</div>
				)
			) : null}
			<div className="bubble__text">{String(t.body)}</div>
			{t.footer ? <div className="bubble__footer">{String(t.footer)}</div> : null}
			{Array.isArray(t.cards) ? <Cards cards={t.cards as Json[]} /> : null}
		</>
	);
}

function Bubble(props: { message: Json }) {
	const m = props.message;
	const mine = m.direction === 'in';
	const buttons = (m.rendered?.buttons as string[] | undefined) ?? [];
	return (
		<div className={`bubble-row ${mine ? 'bubble-row--mine' : ''}`}>
			<div className={`bubble ${mine ? 'bubble--mine' : ''}`} data-qa="bubble" data-type={String(m.type)}>
				{m.type === 'template' ? <TemplateBubble m={m} /> : m.type === 'text' ? null : <Media m={m} />}
				{m.text ? <div className="bubble__text">{String(m.text)}</div> : null}
				{m.caption ? <div className="bubble__text">{String(m.caption)}</div> : null}
				<div className="bubble__meta">
					{time(Number(m.at))} <Ticks status={String(m.status)} />
				</div>
			</div>
			{buttons.length ? (
				<div className="bubble__buttons">
					{buttons.map((b) => (
						<div key={b} className="bubble__button">
							{b}
						</div>
					))}
				</div>
			) : null}
		</div>
	);
}
