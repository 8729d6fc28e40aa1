// What the handset plays: keypad tones (DTMF, ITU-T Q.23) and spoken prompts.

const LOW = { 1: 697, 2: 697, 3: 697, A: 697, 4: 770, 5: 770, 6: 770, B: 770,
  7: 852, 8: 852, 9: 852, C: 852, "*": 941, 0: 941, "#": 941, D: 941 };
const HIGH = { 1: 1209, 4: 1209, 7: 1209, "*": 1209, 2: 1336, 5: 1336, 8: 1336, 0: 1336,
  3: 1477, 6: 1477, 9: 1477, "#": 1477, A: 1633, B: 1633, C: 1633, D: 1633 };
const TONE_SECONDS = 0.15;
let audio = null;

/** What was played and said, for whoever looks (the browser tests read it). */
export const played = { tones: [], spoken: [] };

/** The dual tone of a keypad key; false when the browser has no audio. */
export function tone(key) {
  const low = LOW[key];
  const high = HIGH[key];
  const Context = window.AudioContext || window.webkitAudioContext;
  if (!low || !Context) return false;
  try {
    audio = audio || new Context();
    if (audio.state === "suspended") audio.resume();
    const start = audio.currentTime;
    const end = start + TONE_SECONDS;
    const gain = audio.createGain();
    gain.gain.setValueAtTime(0, start);
    gain.gain.linearRampToValueAtTime(0.12, start + 0.01);
    gain.gain.setValueAtTime(0.12, end - 0.02);
    gain.gain.linearRampToValueAtTime(0, end);
    gain.connect(audio.destination);
    for (const frequency of [low, high]) {
      const oscillator = audio.createOscillator();
      oscillator.frequency.value = frequency;
      oscillator.connect(gain);
      oscillator.start(start);
      oscillator.stop(end);
    }
  } catch {
    return false;
  }
  played.tones.push({ key, frequencies: [low, high] });
  return true;
}

/** Say a prompt in the subscriber's language, cutting off the one before. */
export function speak(text, locale) {
  if (!text || !("speechSynthesis" in window)) return false;
  window.speechSynthesis.cancel();
  const utterance = new SpeechSynthesisUtterance(text);
  utterance.lang = locale === "en" ? "en-GB" : "ru-RU";
  window.speechSynthesis.speak(utterance);
  played.spoken.push({ text, lang: utterance.lang });
  return true;
}

export function hush() {
  if ("speechSynthesis" in window) window.speechSynthesis.cancel();
}
