// The message box: Enter sends (Shift+Enter makes a new line), typing:start goes out while the
// user types (at most every few seconds, the server's TTL renews it) and typing:stop once they
// pause or empty the box. Sends go through onSend(content); typing through the connection's call().
const RENEW_MS = 3000;  // well inside the default 5 s typing TTL; the server rate-limits starts
const IDLE_MS = 4000;

export class Composer {
  constructor(form, { call, conversationId, onSend }) {
    this.form = form;
    this.input = form.querySelector('textarea');
    this.call = call;
    this.conversationId = conversationId; // () => the id, or null before the conversation exists
    this.onSend = onSend;
    this.lastStart = 0;
    this.idle = null;
    this.input.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        this.submit();
      }
    });
    this.input.addEventListener('input', () => this.typed());
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      this.submit();
    });
  }

  submit() {
    const content = this.input.value.trim();
    if (!content) return;
    this.input.value = '';
    this.stopTyping(false); // the server ends typing on the send itself
    this.onSend(content);
  }

  typed() {
    const id = this.conversationId();
    if (!id) return;
    if (!this.input.value.trim()) return this.stopTyping(true);
    clearTimeout(this.idle);
    this.idle = setTimeout(() => this.stopTyping(true), IDLE_MS);
    if (Date.now() - this.lastStart < RENEW_MS) return;
    this.lastStart = Date.now();
    this.call('typing:start', { conversationId: id }).catch(() => {}); // rate_limited: the dots just lapse
  }

  stopTyping(tell) {
    clearTimeout(this.idle);
    const id = this.conversationId();
    if (tell && this.lastStart && id) this.call('typing:stop', { conversationId: id }).catch(() => {});
    this.lastStart = 0;
  }

  enable(on) {
    this.input.disabled = !on;
    this.form.querySelector('button[type=submit]').disabled = !on;
  }
}
