//! The built-in demo stream: a fixture embedded in the binary, looped in real time.
//!
//! Each loop is paced by the file's PCRs; continuity counters, PCRs and PTS/DTS are rewritten so
//! that the loops join into one continuous stream that decoders play without a hiccup.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

use crate::framer::TS_PACKET;
use crate::stream::{Registry, Role};

/// The embedded fixture: 640x480 MPEG-1 video with B-pictures, 25 fps, MP2 audio, 2 s.
pub static DEMO_TS: &[u8] = include_bytes!("../../fixtures/bench_480p_bf2.ts");

/// PCR ticks per second.
const PCR_HZ: u64 = 27_000_000;
/// 33-bit timestamp wrap.
const TS_WRAP: u64 = 1 << 33;

/// A transport stream prepared for looping.
pub struct Looper {
    packets: Vec<[u8; TS_PACKET]>,
    /// 90 kHz ticks added to the timestamps per loop.
    loop_ticks: u64,
    first_pcr: u64,
    /// Loops done.
    round: u64,
    next: usize,
    cc: HashMap<u16, u8>,
}

fn pid(p: &[u8]) -> u16 {
    (u16::from(p[1] & 0x1f) << 8) | u16::from(p[2])
}

fn pcr_of(p: &[u8]) -> Option<u64> {
    if p[3] & 0x20 == 0 || p[4] < 7 || p[5] & 0x10 == 0 {
        return None;
    }
    let b = &p[6..12];
    let base = (u64::from(b[0]) << 25)
        | (u64::from(b[1]) << 17)
        | (u64::from(b[2]) << 9)
        | (u64::from(b[3]) << 1)
        | (u64::from(b[4]) >> 7);
    let ext = (u64::from(b[4] & 1) << 8) | u64::from(b[5]);
    Some(base * 300 + ext)
}

fn set_pcr(p: &mut [u8], pcr: u64) {
    let base = (pcr / 300) % TS_WRAP;
    let ext = pcr % 300;
    p[6] = (base >> 25) as u8;
    p[7] = (base >> 17) as u8;
    p[8] = (base >> 9) as u8;
    p[9] = (base >> 1) as u8;
    p[10] = ((base & 1) << 7) as u8 | 0x7e | (ext >> 8) as u8;
    p[11] = ext as u8;
}

/// Offset of the PES header's PTS within the packet, and whether a DTS follows.
fn pes_timestamps(p: &[u8]) -> Option<(usize, bool)> {
    if p[1] & 0x40 == 0 || p[3] & 0x10 == 0 {
        return None;
    }
    let start = if p[3] & 0x20 != 0 {
        5 + usize::from(p[4])
    } else {
        4
    };
    let pes = p.get(start..start + 19)?;
    if pes[..3] != [0, 0, 1] || pes[6] & 0xc0 != 0x80 {
        return None;
    }
    match pes[7] >> 6 {
        2 => Some((start + 9, false)),
        3 => Some((start + 9, true)),
        _ => None,
    }
}

fn read_ts(b: &[u8]) -> u64 {
    (u64::from(b[0] & 0x0e) << 29)
        | (u64::from(b[1]) << 22)
        | (u64::from(b[2] >> 1) << 15)
        | (u64::from(b[3]) << 7)
        | (u64::from(b[4]) >> 1)
}

fn write_ts(b: &mut [u8], v: u64) {
    let v = v % TS_WRAP;
    b[0] = (b[0] & 0xf0) | ((v >> 29) as u8 & 0x0e) | 1;
    b[1] = (v >> 22) as u8;
    b[2] = ((v >> 14) as u8 & 0xfe) | 1;
    b[3] = (v >> 7) as u8;
    b[4] = ((v << 1) as u8 & 0xfe) | 1;
}

impl Looper {
    /// Prepares `ts` (whole packets; anything else is dropped). `None` if it has no PCR.
    pub fn new(ts: &[u8]) -> Option<Looper> {
        let packets: Vec<[u8; TS_PACKET]> = ts
            .chunks_exact(TS_PACKET)
            .filter(|p| p[0] == 0x47)
            .filter_map(|p| p.try_into().ok())
            .collect();
        let pcrs: Vec<u64> = packets.iter().filter_map(|p| pcr_of(p)).collect();
        let first_pcr = *pcrs.first()?;
        // Loop length: per PID, the timestamp span plus one frame; the longest wins.
        let mut stamps: HashMap<u16, Vec<u64>> = HashMap::new();
        for p in &packets {
            if let Some((at, _)) = pes_timestamps(p) {
                stamps
                    .entry(pid(p))
                    .or_default()
                    .push(read_ts(&p[at..at + 5]));
            }
        }
        let mut loop_ticks = 0;
        for mut v in stamps.into_values() {
            v.sort_unstable();
            v.dedup();
            let frame = v.windows(2).map(|w| w[1] - w[0]).min().unwrap_or(3600);
            let span = v.last().copied().unwrap_or(0) - v.first().copied().unwrap_or(0);
            loop_ticks = loop_ticks.max(span + frame);
        }
        if loop_ticks == 0 {
            let last = *pcrs.last()?;
            loop_ticks = (last - first_pcr) / 300 + 3600;
        }
        Some(Looper {
            packets,
            loop_ticks,
            first_pcr,
            round: 0,
            next: 0,
            cc: HashMap::new(),
        })
    }

    /// The next run of packets up to and including the next one carrying a PCR, with the time
    /// (since the start of the first loop) at which to send it.
    pub fn next_batch(&mut self, out: &mut Vec<u8>) -> Duration {
        let mut due = None;
        while due.is_none() {
            if self.next == self.packets.len() {
                self.next = 0;
                self.round += 1;
            }
            let mut p = self.packets[self.next];
            self.next += 1;
            let offset = self.round * self.loop_ticks;
            if let Some(pcr) = pcr_of(&p) {
                let pcr = pcr + offset * 300;
                set_pcr(&mut p, pcr);
                let ticks = pcr.saturating_sub(self.first_pcr);
                due = Some(Duration::from_nanos(
                    (u128::from(ticks) * 1_000_000_000 / u128::from(PCR_HZ)) as u64,
                ));
            }
            if let Some((at, dts)) = pes_timestamps(&p) {
                let pts = read_ts(&p[at..at + 5]);
                write_ts(&mut p[at..at + 5], pts + offset);
                if dts {
                    let d = read_ts(&p[at + 5..at + 10]);
                    write_ts(&mut p[at + 5..at + 10], d + offset);
                }
            }
            if p[3] & 0x10 != 0 {
                let cc = self.cc.entry(pid(&p)).or_insert(p[3] & 15);
                p[3] = (p[3] & 0xf0) | *cc;
                *cc = (*cc + 1) & 15;
            }
            out.extend_from_slice(&p);
        }
        due.unwrap_or_default()
    }
}

/// Publishes the embedded fixture as stream `name` until `cancel`.
pub async fn run(registry: Arc<Registry>, name: String, cancel: CancellationToken) {
    let Some(mut looper) = Looper::new(DEMO_TS) else {
        warn!("demo stream: the embedded fixture has no PCR");
        return;
    };
    let handle = match registry.open(&name, Role::Publisher) {
        Ok(h) => h,
        Err(e) => {
            warn!(stream = %name, ?e, "demo stream not started");
            return;
        }
    };
    let stream = Arc::clone(handle.stream());
    let id = stream.add_publisher(true);
    info!(stream = %name, "demo stream publishing (embedded fixture, looped in real time)");
    let start = Instant::now();
    let mut buf = Vec::new();
    loop {
        buf.clear();
        let due = looper.next_batch(&mut buf);
        if !stream.publish(id, &buf, buf.len()) {
            info!(stream = %name, "demo stream replaced by a publisher");
            return;
        }
        tokio::select! {
            () = cancel.cancelled() => break,
            () = tokio::time::sleep_until(start + due) => {}
        }
    }
    stream.remove_publisher(id);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loops_are_continuous() {
        const ROUNDS: u64 = 2;
        let mut l = Looper::new(DEMO_TS).unwrap();
        assert!(
            l.loop_ticks >= 180_000 && l.loop_ticks < 200_000,
            "{}",
            l.loop_ticks
        );
        let mut out = Vec::new();
        let mut last = Duration::ZERO;
        while l.round < ROUNDS {
            let due = l.next_batch(&mut out);
            assert!(due >= last);
            last = due;
        }
        assert!(
            last >= Duration::from_millis(1900 * (ROUNDS - 1)),
            "{last:?}"
        );
        // Whole loops only: a picture cut at the end would be reported as damaged.
        out.truncate(l.packets.len() * TS_PACKET * ROUNDS as usize);
        // The two loops decode as one stream without a warning.
        let mut d = wasmpeg::Decoder::new(wasmpeg::DecoderConfig::default());
        d.push(&out);
        d.finish();
        let (mut frames, mut warnings) = (0, Vec::new());
        while let Some(e) = d.next_event() {
            match e {
                wasmpeg::DecoderEvent::Video(_) => frames += 1,
                wasmpeg::DecoderEvent::Warning(w) => warnings.push(w),
                _ => {}
            }
        }
        assert!(warnings.is_empty(), "{warnings:?}");
        assert!(frames >= 100, "{frames}");
        // Continuity counters never jump.
        let mut cc: HashMap<u16, u8> = HashMap::new();
        for p in out.chunks_exact(TS_PACKET).filter(|p| p[3] & 0x10 != 0) {
            if let Some(prev) = cc.insert(pid(p), p[3] & 15) {
                assert_eq!((prev + 1) & 15, p[3] & 15);
            }
        }
    }
}
