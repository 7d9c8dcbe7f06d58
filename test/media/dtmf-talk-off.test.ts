/**
 * Talk-off: more than a minute of synthetic speech (espeak-ng, several languages, voices
 * and speeds), resampled by ffmpeg to 8 and 16 kHz, must not make the inband detector
 * report a single digit — at the speech's own level, attenuated, and amplified into clipping.
 * A positive control (tones appended to, and mixed under, the same speech) proves the
 * pipeline feeds the detector what we think.
 */
import { execFileSync } from 'node:child_process';
import { beforeAll, expect, it } from 'vitest';
import { detectDtmfTones, generateDtmfSequence } from '../../harness/media/dtmf/index.ts';
import { describeWithPeers } from '../support/peers.ts';

const SPEECH: [voice: string, text: string][] = [
  [
    'en',
    'Good morning. Thank you for calling the customer service line. Your call is important to us. Please listen carefully, as our menu options have recently changed. For billing questions, press one. For technical support, press two. To hear these options again, stay on the line. Seven, eight, nine, zero, star, hash.',
  ],
  [
    'en-us+f3',
    'She sells sea shells by the sea shore, and the shells she sells are surely seashells. Peter Piper picked a peck of pickled peppers. How much wood would a woodchuck chuck if a woodchuck could chuck wood? Eeeeee. Oooooo. Aaaaaah. Mmmmmm.',
  ],
  [
    'de',
    'Guten Tag, Sie sind mit der Telefonzentrale verbunden. Bitte haben Sie einen Moment Geduld, der nächste freie Mitarbeiter ist gleich für Sie da. Vielen Dank für Ihren Anruf und auf Wiederhören.',
  ],
  [
    'fr+m3',
    'Bonjour et bienvenue. Toutes nos lignes sont actuellement occupées. Veuillez patienter, votre correspondant va vous répondre dans quelques instants. Merci de votre compréhension.',
  ],
  [
    'es+f2',
    'Hola, buenas tardes. Gracias por llamar. En este momento todos nuestros agentes están ocupados. Por favor, permanezca en la línea y será atendido en breve.',
  ],
  [
    'it',
    'Buongiorno, benvenuti nel servizio clienti. La preghiamo di attendere in linea per non perdere la priorità acquisita. Grazie per la pazienza.',
  ],
];

/** Speech as 16-bit PCM at `rate`: espeak-ng WAV on stdout, resampled by ffmpeg on pipes. */
function speech(rate: number): Int16Array {
  const parts: Int16Array[] = [];
  for (const [voice, text] of SPEECH) {
    const wav = execFileSync('espeak-ng', ['-v', voice, '-s', '150', '--stdout', text], {
      maxBuffer: 1 << 26,
      timeout: 20_000,
    });
    const raw = execFileSync(
      'ffmpeg',
      [
        '-hide_banner',
        '-loglevel',
        'error',
        '-f',
        'wav',
        '-i',
        'pipe:0',
        '-ac',
        '1',
        '-ar',
        String(rate),
        '-f',
        's16le',
        'pipe:1',
      ],
      { input: wav, maxBuffer: 1 << 26, timeout: 20_000 },
    );
    parts.push(new Int16Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + (raw.length & ~1))));
  }
  const out = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function scaled(pcm: Int16Array, gainDb: number): Float64Array {
  const g = 10 ** (gainDb / 20);
  return Float64Array.from(pcm, (v) => Math.max(-32768, Math.min(32767, v * g)));
}

describeWithPeers(['espeak-ng', 'ffmpeg'], 'DTMF talk-off with espeak-ng speech', () => {
  for (const rate of [8000, 16000]) {
    let pcm: Int16Array = new Int16Array(0);
    beforeAll(() => {
      pcm = speech(rate);
    });

    it(`has at least 60 s of real speech at ${rate} Hz`, () => {
      expect(pcm.length / rate).toBeGreaterThanOrEqual(60);
      const rms = Math.sqrt(pcm.reduce((s, v) => s + v * v, 0) / pcm.length);
      expect(rms).toBeGreaterThan(500);
    });

    it.each([0, -12, 8])(`yields no digit from speech at ${rate} Hz, gain %i dB`, (gainDb) => {
      const tones = detectDtmfTones(scaled(pcm, gainDb), { sampleRate: rate });
      expect(tones.map((t) => `${t.digit}@${Math.round(t.startMs)}ms`)).toEqual([]);
    });

    it(`still hears real digits after and under the same speech at ${rate} Hz (control)`, () => {
      const digits = '0123456789*#ABCD';
      const tones = generateDtmfSequence(digits, {
        sampleRate: rate,
        levelDbm0: -8,
        durationMs: 70,
        pauseMs: 70,
      });
      const after = new Float64Array(pcm.length + tones.length);
      after.set(pcm);
      after.set(tones, pcm.length);
      expect(
        detectDtmfTones(after, { sampleRate: rate })
          .map((t) => t.digit)
          .join(''),
      ).toBe(digits);
      // Mixed under speech 20 dB down.
      const under = scaled(pcm.subarray(rate * 5, rate * 5 + tones.length), -20);
      for (let i = 0; i < tones.length; i++) under[i]! += tones[i]!;
      expect(
        detectDtmfTones(under, { sampleRate: rate })
          .map((t) => t.digit)
          .join(''),
      ).toBe(digits);
    });
  }
});
