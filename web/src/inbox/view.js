// The open conversation: its header (customer, presence, status, priority, assignee, escalation),
// the thread, typing, the composer, and the receipts staff send while reading.
import { Composer } from '../shared/composer.js';
import { Thread, TypingIndicator } from '../shared/thread.js';
import { customerLabel, learnName } from './list.js';

const reasons = {
  low_confidence: 'the AI was not confident enough to answer',
  complaint: 'the customer is complaining',
  customer_request: 'the customer asked for a person',
  ai_timeout: 'the AI did not answer in time',
  ai_failed: 'the AI failed to answer',
};

export class ConversationView {
  constructor({ call, me, names, presence, list, announce }) {
    Object.assign(this, { call, me, names, presence, list });
    this.$ = (id) => document.getElementById(id);
    this.conv = null;
    this.thread = new Thread({
      call,
      list: this.$('messages'),
      scroller: this.$('thread-scroll'),
      ours: (m) => m.senderType !== 'customer',
      reader: 'customer',
      announce,
      onRead: (seq) => this.read(seq),
    });
    this.typing = new TypingIndicator(this.$('typing'));
    this.composer = new Composer(this.$('composer'), {
      call,
      conversationId: () => this.conv?.id ?? null,
      onSend: (content) => this.thread.send(content),
    });
    this.$('assign').addEventListener('click', () => {
      const mine = this.conv?.assignedStaffId === me;
      this.update({ assignedStaffId: mine ? null : me });
    });
    this.$('resolve').addEventListener('click', () => this.update({ status: 'resolved' }));
    this.$('back').addEventListener('click', () => this.$('app').classList.remove('conversation-open'));
    this.$('status-select').addEventListener('change', (e) => this.update({ status: e.target.value }));
    this.$('priority-select').addEventListener('change', (e) => this.update({ priority: Number(e.target.value) }));
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState === 'visible' && this.conv) this.read(this.thread.maxSeq);
    });
  }

  async open(conv) {
    if (this.conv?.id === conv.id) return;
    const previous = this.conv;
    this.conv = conv;
    this.readUpTo = 0;
    this.wantRead = 0;
    this.typing.clear();
    this.$('placeholder').hidden = true;
    this.$('app').classList.add('conversation-open');
    this.$('conversation').hidden = false;
    this.render();
    // Staff get every message through the feed; leaving stops the other events of the old one.
    if (previous) this.call('conversation:leave', { conversationId: previous.id }).catch(() => {});
    try {
      const ack = await this.thread.open(conv.id);
      if (this.conv?.id !== conv.id) return;
      for (const m of ack.messages) learnName(this.names, m);
      this.list.render();
      this.updated(ack.conversation ?? conv);
      for (const t of ack.typing ?? []) this.typing.update({ ...t, isTyping: true });
      // The stored state, unless an event this page saw already told a newer one.
      for (const p of ack.presence ?? []) {
        const key = `${p.userType}:${p.userId}`;
        const known = this.presence.get(key);
        if (!known || Date.parse(known.lastSeenAt) < Date.parse(p.lastSeenAt)) this.presence.set(key, p);
      }
      this.showPresence();
      this.read(this.thread.maxSeq, ack.lastReadSeq);
      this.$('composer-input').focus();
    } catch (e) {
      this.$('conv-sub').textContent = `Could not open: ${e.message}`;
    }
  }

  // After a reconnect on a new socket: the thread joins again after the newest seq it holds.
  async catchUp() {
    if (!this.conv) return;
    const page = await this.thread.catchUp().catch(() => null);
    if (page?.conversation) this.updated(page.conversation);
    this.read(this.thread.maxSeq);
  }

  // Marks the conversation read up to `seq` while the page is visible, at most a few times a second.
  read(seq, already = 0) {
    if (!this.conv || document.visibilityState !== 'visible' || seq <= Math.max(already, this.readUpTo ?? 0)) return;
    this.wantRead = Math.max(this.wantRead ?? 0, seq);
    if (this.readTimer) return;
    this.readTimer = setTimeout(async () => {
      this.readTimer = null;
      const conversationId = this.conv?.id;
      const upTo = this.wantRead;
      if (!conversationId || !(upTo >= 1)) return;
      try {
        const { unread } = await this.call('message:read', { conversationId, seq: upTo });
        this.readUpTo = upTo;
        this.list.setUnread(conversationId, unread);
      } catch {
        // rate_limited or offline: the next message or reconnect reads again.
      }
    }, 150);
    this.list.setUnread(this.conv.id, 0);
  }

  async update(fields) {
    if (!this.conv) return;
    try {
      const { conversation } = await this.call('conversation:update', { conversationId: this.conv.id, ...fields });
      this.updated(conversation);
      this.list.upsert(conversation);
    } catch (e) {
      this.$('conv-sub').textContent = `Not changed: ${e.message}`;
    }
  }

  updated(conv) {
    if (conv.id !== this.conv?.id) return;
    this.conv = { ...this.conv, ...conv };
    this.render();
  }

  render() {
    const c = this.conv;
    const name = customerLabel(this.names, c.customerId);
    this.$('conv-name').textContent = name;
    const staffName = (id) => (id === this.me ? 'you' : this.names.get(`staff:${id}`) ?? id);
    const assignee = c.assignedStaffId ? staffName(c.assignedStaffId) : 'nobody';
    this.$('conv-sub').textContent = `${c.channel} · ${c.subject ? `${c.subject} · ` : ''}assigned to ${assignee}`;
    this.$('assign').textContent = c.assignedStaffId === this.me ? 'Unassign' : 'Assign to me';
    this.$('status-select').value = c.status;
    this.$('priority-select').value = String(c.priority);
    this.$('resolve').disabled = c.status === 'resolved';
    const escalation = this.$('escalation');
    escalation.hidden = !c.requiresHuman;
    escalation.textContent = c.requiresHuman
      ? `Needs a human: ${reasons[c.escalationReason] ?? c.escalationReason ?? 'handed over by the AI'}.`
      : '';
    this.showPresence();
  }

  showPresence() {
    if (!this.conv) return;
    const p = this.presence.get(`customer:${this.conv.customerId}`);
    const el = this.$('presence');
    el.dataset.status = p?.status ?? 'unknown';
    el.setAttribute('aria-label', p ? `customer ${p.status}` : 'customer presence unknown');
    el.title = el.getAttribute('aria-label');
  }

  // Events of the feed and the conversation room.
  message(m) {
    if (m.conversationId === this.conv?.id) this.thread.add(m);
    // The list learned the sender's name from it: the header may show it now.
    if (m.conversationId === this.conv?.id && m.senderName) this.render();
  }

  typingEvent(t) {
    if (t.conversationId === this.conv?.id) this.typing.update(t);
  }

  status(s) {
    this.thread.status(s);
  }
}
