// A conversation's messages on screen, kept right across reconnects: every message is keyed by
// its seq, so one that arrives twice (the staff feed and a join's history) shows once, and a
// message whose seq jumps past the newest one held makes the thread fetch the gap. Our own sends
// show at once under their clientId and become the stored message when the ack (or the history)
// brings it. Used by the inbox's conversation view and the widget.
import { h, newClientId } from './dom.js';
import { messageElement, regroup, senderLabel, setTick } from './message_view.js';

const OLDER_PAGE = 50;

export class Thread {
  // call: the connection's call(); list: the <ol> of messages inside a scrolling container;
  // ours(m): whether a message is on our side (gets ticks); reader: the other side's readerType
  // ('customer' or 'staff'), whose receipts move our ticks; announce(text): the live region;
  // onRead(seq): the newest seq of theirs on screen, for a receipt.
  constructor({ call, list, scroller, ours, reader, announce = () => {}, onRead = () => {} }) {
    Object.assign(this, { call, list, scroller, ours, reader, announce, onRead });
    this.reset(null);
    scroller.addEventListener('scroll', () => {
      if (scroller.scrollTop < 60) this.loadOlder();
    });
  }

  reset(conversationId) {
    this.conversationId = conversationId;
    this.bySeq = new Map();      // seq -> element
    this.pending = new Map();    // clientId -> {content, el}
    this.maxSeq = 0;
    this.minSeq = Infinity;
    this.hasOlder = false;
    this.loadingOlder = false;
    this.readSeq = 0;            // the other side's watermarks
    this.deliveredSeq = 0;
    this.list.replaceChildren();
  }

  // Opens a conversation we hold nothing of: the newest page, live at once.
  async open(conversationId) {
    this.reset(conversationId);
    let ack;
    try {
      ack = await this.call('conversation:join', { conversationId });
    } catch (e) {
      if (e.code !== 'conflict') throw e;
      // Already joined on this socket (a join whose ack was lost): read the newest page instead.
      const page = await this.call('message:history', { conversationId, limit: OLDER_PAGE });
      ack = { messages: page.messages, hasOlder: page.more, typing: [] };
    }
    if (this.conversationId !== conversationId) return ack;
    this.hasOlder = !!ack.hasOlder;
    for (const m of ack.messages) this.add(m, { quiet: true });
    this.startMarks(ack);
    this.scrollToEnd();
    return ack;
  }

  // After a reconnect on a new socket: join again after the newest seq held, page by page.
  async catchUp() {
    const conversationId = this.conversationId;
    if (!conversationId) return null;
    for (;;) {
      let page;
      try {
        page = await this.call('conversation:join', { conversationId, sinceSeq: this.maxSeq });
      } catch (e) {
        if (e.code !== 'conflict') throw e;
        await this.fillGap(Infinity);
        return null;
      }
      if (this.conversationId !== conversationId) return page;
      for (const m of page.messages) this.add(m);
      this.startMarks(page);
      if (!page.more) return page;
    }
  }

  // A message from the server (an event, a join or history page, or our own ack).
  add(m, { quiet = false } = {}) {
    if (m.conversationId && m.conversationId !== this.conversationId) return false;
    if (this.bySeq.has(m.seq)) return false;
    const local = m.clientId ? this.pending.get(m.clientId) : undefined;
    if (local && this.ours(m)) this.pending.delete(m.clientId);
    const ours = this.ours(m);
    const el = messageElement(m, { ours, tick: this.tickOf(m.seq) });
    if (local) local.el.remove();
    this.insert(el, m.seq);
    const gap = this.maxSeq > 0 && m.seq > this.maxSeq + 1;
    const expected = this.maxSeq;
    this.maxSeq = Math.max(this.maxSeq, m.seq);
    this.minSeq = Math.min(this.minSeq, m.seq);
    if (gap) this.fillGap(m.seq, expected);
    if (!ours && !quiet) {
      this.announce(`${senderLabel(m)}: ${m.content}`);
      this.onRead(this.maxSeq);
    }
    return true;
  }

  insert(el, seq) {
    const nearEnd = this.scroller.scrollHeight - this.scroller.scrollTop - this.scroller.clientHeight < 80;
    let before = null;
    for (const [s, other] of this.bySeq) if (s > seq && (!before || s < Number(before.dataset.seq))) before = other;
    // Stored messages go before our pending ones, which stay last until acked.
    before ??= this.list.querySelector('.msg[data-client-id]:not([data-seq])');
    this.list.insertBefore(el, before);
    regroup(el);
    this.bySeq.set(seq, el);
    if (nearEnd && !before?.dataset.seq) this.scrollToEnd();
  }

  // Fetches the messages between `expected` and `seq` that have not arrived (a live event that ran
  // ahead of the history), at most a page at a time.
  async fillGap(seq, expected = this.maxSeq) {
    const conversationId = this.conversationId;
    try {
      const before = seq === Infinity ? undefined : seq;
      const limit = seq === Infinity ? 100 : Math.min(100, Math.max(1, seq - expected - 1));
      const page = await this.call('message:history', { conversationId, ...(before ? { beforeSeq: before } : {}), limit });
      if (this.conversationId === conversationId) for (const m of page.messages) this.add(m, { quiet: true });
    } catch {
      // The next reconnect's catch-up covers it.
    }
  }

  async loadOlder() {
    if (!this.hasOlder || this.loadingOlder || !this.conversationId) return;
    this.loadingOlder = true;
    const conversationId = this.conversationId;
    try {
      const page = await this.call('message:history', { conversationId, beforeSeq: this.minSeq, limit: OLDER_PAGE });
      if (this.conversationId !== conversationId) return;
      const fromBottom = this.scroller.scrollHeight - this.scroller.scrollTop;
      for (const m of page.messages) this.add(m, { quiet: true });
      this.hasOlder = page.more;
      this.scroller.scrollTop = this.scroller.scrollHeight - fromBottom;
    } catch {
      // Scrolling up again retries.
    } finally {
      this.loadingOlder = false;
    }
  }

  // Shows `content` at once and sends it; `create` replaces message:send for a first message
  // (the widget's conversation:create), and answers the stored message.
  async send(content, create) {
    const clientId = newClientId();
    const el = messageElement({ clientId, content, senderType: 'me', senderName: 'You' }, { ours: true, tick: 'sending' });
    this.pending.set(clientId, { content, el, create });
    this.list.append(el);
    this.scrollToEnd();
    await this.deliver(clientId);
  }

  async deliver(clientId) {
    const item = this.pending.get(clientId);
    if (!item) return;
    setTick(item.el, 'sending');
    try {
      const stored = item.create
        ? await item.create(item.content, clientId)
        : await this.call('message:send', { conversationId: this.conversationId, content: item.content, clientId });
      this.add(stored, { quiet: true });
    } catch (e) {
      if (this.pending.get(clientId) !== item) return;
      // The same clientId on retry: the server answers the original if the first try was stored.
      setTick(item.el, 'failed', () => this.deliver(clientId));
      item.el.title = e.message;
    }
  }

  // message:status from the other side moves our ticks.
  status(s) {
    if (s.conversationId !== this.conversationId || s.readerType !== this.reader) return;
    this.marks({ read: s.status === 'read' ? s.seq : 0, delivered: s.seq });
  }

  // The other side's watermarks as a join found them (readMarks: everyone's, stored).
  startMarks(ack) {
    for (const m of ack.readMarks ?? [])
      if (m.readerType === this.reader) this.marks({ read: m.lastReadSeq, delivered: m.lastDeliveredSeq });
  }

  // The other side's watermarks, from its receipts, the join's snapshot or what this page kept.
  marks({ read = 0, delivered = 0 }) {
    this.readSeq = Math.max(this.readSeq, read);
    this.deliveredSeq = Math.max(this.deliveredSeq, delivered, read);
    for (const [seq, el] of this.bySeq) if (el.classList.contains('ours')) setTick(el, this.tickOf(seq));
  }

  tickOf(seq) {
    if (seq <= this.readSeq) return 'read';
    if (seq <= this.deliveredSeq) return 'delivered';
    return 'sent';
  }

  scrollToEnd() {
    this.scroller.scrollTop = this.scroller.scrollHeight;
  }
}

// "Alice is typing…" with the dots: who types now, each until their stop or expiry.
export class TypingIndicator {
  constructor(el) {
    this.el = el;
    this.typists = new Map(); // userType:userId -> {name, timer}
    this.render();
  }

  update(t) {
    const key = `${t.userType}:${t.userId}`;
    clearTimeout(this.typists.get(key)?.timer);
    this.typists.delete(key);
    if (t.isTyping) {
      // The server says when it stops; the timer only guards against a lost stop.
      const left = t.expiresAt ? Date.parse(t.expiresAt) - Date.now() : 6000;
      const timer = setTimeout(() => this.update({ ...t, isTyping: false }), Math.min(Math.max(left, 1000), 15000) + 1000);
      const name = t.userType === 'ai' ? 'Assistant' : t.name ?? t.userId;
      this.typists.set(key, { name, timer });
    }
    this.render();
  }

  clear() {
    for (const { timer } of this.typists.values()) clearTimeout(timer);
    this.typists.clear();
    this.render();
  }

  render() {
    const names = [...this.typists.values()].map((t) => t.name);
    this.el.hidden = names.length === 0;
    this.el.replaceChildren(
      h('span', { class: 'dots', 'aria-hidden': 'true' }, h('i'), h('i'), h('i')),
      names.length ? `${names.join(', ')} ${names.length > 1 ? 'are' : 'is'} typing…` : '',
    );
  }
}
