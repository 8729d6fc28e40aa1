// The SMS app's threads: received messages from the inbox and its live events, sent ones
// remembered in this browser (the gateway's inbox holds what a handset received).

const KEEP_SENT = 200;

/** 79261234567 for the ways people write a Russian mobile number; anything else unchanged. */
export function peerOf(number) {
  const digits = number.replace(/[\s()-]/g, "");
  const match = /^(?:\+7|7|8)?(9\d{9})$/.exec(digits);
  return match ? `7${match[1]}` : digits;
}

export class Threads {
  constructor(msisdn) {
    this.msisdn = msisdn;
    this.byPeer = new Map();
    this.unread = new Map();
    this.lastId = 0;
    for (const sent of this.#loadSent()) this.#add(sent.to, { ...sent, dir: "out" });
  }

  /** A received message (an inbox item or an `sms` event); false when already known. */
  received(item) {
    const list = this.byPeer.get(item.from) || [];
    if (list.some((m) => m.dir === "in" && m.id === item.id)) return false;
    this.#add(item.from, { id: item.id, dir: "in", text: item.text, at: item.received_at });
    this.lastId = Math.max(this.lastId, item.id);
    return true;
  }

  sent(to, text, id, at = new Date().toISOString()) {
    const message = { id, to, text, at };
    this.#add(to, { ...message, dir: "out" });
    const all = [...this.#loadSent(), message].slice(-KEEP_SENT);
    try {
      localStorage.setItem(this.#key(), JSON.stringify(all));
    } catch {
      // Storage full or disabled: the thread still shows it until the page reloads.
    }
  }

  markUnread(peer) {
    this.unread.set(peer, (this.unread.get(peer) || 0) + 1);
  }

  markRead(peer) {
    this.unread.delete(peer);
  }

  unreadTotal() {
    let total = 0;
    for (const n of this.unread.values()) total += n;
    return total;
  }

  /** Peers, the latest conversation first. */
  peers() {
    const last = (peer) => Date.parse(this.byPeer.get(peer).at(-1).at);
    return [...this.byPeer.keys()].sort((a, b) => last(b) - last(a));
  }

  messages(peer) {
    return this.byPeer.get(peer) || [];
  }

  #add(peer, message) {
    const list = this.byPeer.get(peer) || [];
    list.push(message);
    list.sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
    this.byPeer.set(peer, list);
  }

  #key() {
    return `webphone.sent.${this.msisdn}`;
  }

  #loadSent() {
    try {
      const saved = JSON.parse(localStorage.getItem(this.#key()) || "[]");
      return Array.isArray(saved) ? saved : [];
    } catch {
      return [];
    }
  }
}
