// The conversation list of one status tab: pages from conversation:list (more on scroll), kept
// live by the staff feed (conversation:new / :updated, message:new, unread), ordered as the
// server orders it: priority first (1 is most urgent), then the latest activity.
import { h, shortTime } from '../shared/dom.js';
import { channelIcon } from '../shared/icons.js';

const PAGE = 30;

// A customer without a known name, by their id: "visitor-<hex>" (a widget session) as "Visitor
// 1a2b3c", a channel customer ("sms:+1555…", "email:dana@…") as the phone or address.
export function customerLabel(names, id) {
  if (!id) return 'Unknown customer';
  const known = names.get(id);
  if (known) return known;
  const visitor = /^visitor-([0-9a-f]{6})/.exec(id);
  if (visitor) return `Visitor ${visitor[1]}`;
  const channel = /^(?:sms|whatsapp|instagram|email):(.+)$/.exec(id);
  return channel ? channel[1] : id;
}

// Names come from messages: customers by their id, staff as "staff:<id>" (the ids may overlap).
export function learnName(names, m) {
  if (!m.senderName) return;
  if (m.senderType === 'customer') names.set(m.senderId, m.senderName);
  else if (m.senderType === 'staff') names.set(`staff:${m.senderId}`, m.senderName);
}
const EARLY_MAX = 500;

export class ConversationList {
  // names: a Map customerId -> display name, shared with the conversation view.
  constructor({ call, ul, scroller, empty, more, names, me, onOpen }) {
    Object.assign(this, { call, ul, scroller, empty, more, names, me, onOpen });
    this.status = 'open';
    this.openId = null;
    this.rows = new Map(); // id -> {conv, unread, preview, el}
    this.early = new Map(); // id -> {unread, preview}: feed messages of conversations not listed (yet)
    scroller.addEventListener('scroll', () => {
      if (scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 120) this.loadMore();
    });
  }

  async show(status) {
    this.status = status;
    this.rows.clear();
    this.cursor = undefined;
    this.done = false;
    this.loading = null; // a page still loading for the previous tab is dropped when it comes
    this.ul.replaceChildren();
    await this.loadMore();
  }

  reload() {
    return this.show(this.status);
  }

  async loadMore() {
    if (this.done || this.loading) return;
    const load = (this.loading = { status: this.status });
    this.more.hidden = false;
    try {
      const page = await this.call('conversation:list',
        { status: load.status, limit: PAGE, ...(this.cursor ? { cursor: this.cursor } : {}) });
      if (this.loading !== load) return;
      for (const c of page.conversations) this.upsert(c, { unread: c.unread });
      this.cursor = page.nextCursor;
      this.done = !page.nextCursor;
    } catch {
      // Scrolling again (or the next reconnect) retries.
    } finally {
      if (this.loading === load) {
        this.loading = null;
        this.more.hidden = true;
        this.render();
      }
    }
  }

  // A conversation from a page or the feed: listed while its status is this tab's.
  upsert(conv, { unread } = {}) {
    const row = this.rows.get(conv.id);
    if (conv.status !== this.status) {
      if (row) {
        this.rows.delete(conv.id);
        this.render();
      }
      return;
    }
    if (row) {
      row.conv = { ...row.conv, ...conv };
      if (unread !== undefined) row.unread = unread;
    } else {
      const early = this.early.get(conv.id);
      this.early.delete(conv.id);
      // A listed row carries its customer's name and last message (conversation:list).
      if (conv.customerName && conv.customerId && !this.names.has(conv.customerId)) this.names.set(conv.customerId, conv.customerName);
      const listed = conv.lastMessage ? { ...conv.lastMessage, content: conv.lastMessage.preview } : null;
      const fresh = { conv, unread: unread ?? early?.unread ?? 0, preview: early?.preview ?? listed, el: null };
      this.rows.set(conv.id, fresh);
    }
    this.render();
  }

  // message:new from the feed: the preview, the time, the unread badge, and the row moves up.
  message(m) {
    learnName(this.names, m);
    const mine = m.senderType === 'staff' && m.senderId === this.me;
    const counts = !mine && m.conversationId !== this.openId;
    const row = this.rows.get(m.conversationId);
    if (!row) {
      const early = this.early.get(m.conversationId) ?? { unread: 0 };
      early.unread += counts ? 1 : 0;
      early.preview = m;
      this.early.set(m.conversationId, early);
      if (this.early.size > EARLY_MAX) this.early.delete(this.early.keys().next().value);
      return;
    }
    row.preview = m;
    row.conv = { ...row.conv, lastSeq: Math.max(row.conv.lastSeq ?? 0, m.seq), lastMessageAt: m.createdAt };
    if (counts) row.unread += 1;
    this.render();
  }

  setUnread(conversationId, count) {
    const row = this.rows.get(conversationId);
    if (row && row.unread !== count) {
      row.unread = count;
      this.render();
    }
  }

  select(id) {
    this.openId = id;
    this.render();
  }

  sorted() {
    const activity = (c) => Date.parse(c.lastMessageAt ?? c.createdAt) || 0;
    return [...this.rows.values()].sort((a, b) =>
      a.conv.priority - b.conv.priority || activity(b.conv) - activity(a.conv) || (a.conv.id < b.conv.id ? -1 : 1));
  }

  render() {
    const rows = this.sorted();
    for (const row of rows) this.draw(row);
    const els = rows.map((row) => row.el);
    const current = [...this.ul.children];
    // Rows are drawn in place; the list is rebuilt only when the order changed.
    if (els.length !== current.length || els.some((el, i) => el !== current[i])) {
      const focused = document.activeElement?.closest?.('li[data-id]');
      this.ul.replaceChildren(...els);
      // Keyboard focus stays on the row it was on.
      if (focused && els.includes(focused)) focused.querySelector('button').focus();
    }
    this.empty.hidden = rows.length > 0 || !this.done;
    const unread = rows.reduce((n, row) => n + (row.conv.id === this.openId ? 0 : row.unread), 0);
    document.title = `${unread ? `(${unread}) ` : ''}Inbox · ringcast`;
  }

  // Draws a row into its element (made once, so a click or the focus on it survives live updates).
  draw(row) {
    const c = row.conv;
    const name = customerLabel(this.names, c.customerId);
    const p = row.preview;
    const preview = p ? `${p.senderType === 'customer' ? '' : p.senderType === 'ai' ? 'AI: ' : 'You: '}${p.content}` : c.subject ?? '';
    const unread = row.unread > 0 && c.id !== this.openId;
    if (!row.el) {
      row.el = h('li', { dataset: { id: c.id } }, h('button', { type: 'button', onclick: () => this.onOpen(row.conv) }));
    }
    const button = row.el.firstChild;
    button.className = `row${unread ? ' unread' : ''}`;
    if (c.id === this.openId) button.setAttribute('aria-current', 'true');
    else button.removeAttribute('aria-current');
    button.setAttribute('aria-label',
      `${name}${unread ? `, ${row.unread} unread` : ''}${c.requiresHuman ? ', needs a human' : ''}, priority ${c.priority}`);
    button.replaceChildren(
      channelIcon(c.channel),
      h('span', { class: 'name' }, name),
      h('time', { class: 'time', datetime: c.lastMessageAt ?? c.createdAt }, shortTime(c.lastMessageAt ?? c.createdAt)),
      h('span', { class: 'preview' }, preview),
      h('span', { class: 'marks' },
        c.requiresHuman ? h('span', { class: 'human', title: `Needs a human${c.escalationReason ? `: ${c.escalationReason}` : ''}` }, 'Human') : null,
        c.priority !== 3 ? h('span', { class: 'prio', dataset: { priority: c.priority }, title: `Priority ${c.priority}` }, `P${c.priority}`) : null,
        unread ? h('span', { class: 'badge unread-badge', 'aria-hidden': 'true' }, String(row.unread)) : null));
  }
}
