//! Rate history at its edges: ring wrap, gaps, out-of-order events, the
//! reach of each ring, sparkline cells.

use super::*;

/// 2026-11-22T10:00:00Z, a whole hour (so minute and hour alignment hold).
const T0: i64 = 1_795_341_600_000;

#[test]
fn counts_land_in_their_second_and_the_current_rate_averages_five() {
    let mut r = RateHistory::full();
    r.add(T0, 1);
    r.add(T0 + 500, 2);
    r.add(T0 + 1000, 5);
    let s = T0 / 1000;
    assert_eq!(r.count(s, s + 1), Some(3));
    assert_eq!(r.count(s + 1, s + 2), Some(5));
    assert_eq!(r.count(s, s + 2), Some(8));
    // 5 complete seconds before T0+2000: 3 + 5 = 8 → 1.6/s; the second
    // under way does not count.
    assert!((r.rate(T0 + 2000) - 1.6).abs() < 1e-9);
    assert_eq!(r.rate(T0 + 1500), 3.0 / 5.0);
    // Five seconds later both have left the current window.
    assert_eq!(r.rate(T0 + 7000), 0.0);
}

#[test]
fn a_gap_zeroes_the_skipped_seconds_and_a_long_one_everything() {
    let mut r = RateHistory::full();
    let s = T0 / 1000;
    r.add(T0, 4);
    r.add(T0 + 10_000, 1);
    assert_eq!(r.count(s, s + 1), Some(4));
    assert_eq!(r.count(s + 1, s + 10), Some(0));
    assert_eq!(r.count(s + 10, s + 11), Some(1));
    // A gap longer than the fine ring: its seconds are gone, but the coarse
    // ring still has the minutes.
    let later = T0 + (FINE_SECONDS as i64 + 120) * 1000;
    r.add(later, 7);
    assert_eq!(r.count(s, s + 11), None, "unaligned and out of the fine ring");
    assert_eq!(r.count(s, s + 60), Some(5));
    assert_eq!(r.count(later / 1000, later / 1000 + 1), Some(7));
}

#[test]
fn the_fine_ring_keeps_exactly_its_seconds() {
    let mut r = RateHistory::full();
    let s0 = T0 / 1000;
    for k in 0..FINE_SECONDS as i64 + 50 {
        r.add((s0 + k) * 1000, (k % 7) as u32 + 1);
    }
    let head = s0 + FINE_SECONDS as i64 + 49;
    let oldest = head - FINE_SECONDS as i64 + 1;
    // The oldest kept second is whole; the one before is out of reach
    // (and the span from it is not minute-aligned).
    assert_eq!(r.count(oldest, oldest + 1), Some(((oldest - s0) % 7) as u64 + 1));
    assert_eq!(r.count(oldest - 1, oldest), None);
    // A minute-aligned span older than the fine ring comes from the coarse ring.
    let m = s0 / 60 * 60;
    let want: u64 = (0..60).map(|k| (k % 7) as u64 + 1).sum();
    assert_eq!(r.count(m, m + 60), Some(want));
}

#[test]
fn the_coarse_ring_keeps_a_day_of_minutes() {
    let mut r = RateHistory::full();
    let s0 = T0 / 1000;
    for k in 0..COARSE_BUCKETS as i64 + 1 {
        r.add((s0 + k * 60) * 1000, 2);
    }
    let newest = s0 + COARSE_BUCKETS as i64 * 60;
    // The first minute fell out when the 1441st arrived.
    assert_eq!(r.count(s0, s0 + 60), None);
    assert_eq!(r.count(s0 + 60, s0 + 120), Some(2));
    assert_eq!(r.count(s0 + 60, newest + 60), Some(2 * COARSE_BUCKETS as u64));
}

#[test]
fn out_of_order_events_count_while_a_ring_reaches_them() {
    let mut r = RateHistory::full();
    let s = T0 / 1000;
    r.add(T0 + 100_000, 1);
    // 100 s back: in every ring but the recent one.
    r.add(T0, 3);
    assert_eq!(r.count(s, s + 1), Some(3));
    assert_eq!(r.rate(T0 + 101_000), 1.0 / 5.0, "the recent ring ignored it");
    // 2 hours back: only the coarse ring reaches.
    r.add(T0 + 100_000 - 7_200_000, 5);
    let m = (T0 + 100_000 - 7_200_000) / 1000 / 60 * 60;
    assert_eq!(r.count(m, m + 60), Some(5));
    // 2 days back: nothing reaches; nothing changes.
    r.add(T0 - 2 * 86_400_000, 9);
    assert_eq!(r.count(m - 86_400, m - 86_400 + 60), None);
}

#[test]
fn counts_saturate_instead_of_wrapping() {
    let mut r = RateHistory::full();
    r.add(T0, u32::MAX);
    r.add(T0, 5);
    assert_eq!(r.count(T0 / 1000, T0 / 1000 + 1), Some(u64::from(u32::MAX)));
}

#[test]
fn a_recent_only_history_has_a_rate_but_no_history() {
    let mut r = RateHistory::recent_only();
    assert!(!r.is_full());
    r.add(T0, 10);
    assert_eq!(r.rate(T0 + 1000), 2.0);
    assert_eq!(r.count(T0 / 1000, T0 / 1000 + 1), None);
    assert_eq!(r.sparkline(T0 + 1000, 60, 10), None);
}

#[test]
fn sparkline_cells_widen_with_the_window() {
    let mut r = RateHistory::full();
    let s = T0 / 1000;
    // One event a second for 15 minutes, plus a burst of 60 in the newest
    // complete second.
    for k in 0..900 {
        r.add((s - 900 + k) * 1000, 1);
    }
    r.add((s - 1) * 1000, 60);
    // 1 minute in 60 cells: a cell per second, the burst in the last.
    let one = r.sparkline(T0, 60, 60).unwrap();
    assert_eq!(one.len(), 60);
    assert!(one[..59].iter().all(|&v| v == 1000), "{one:?}");
    assert_eq!(one[59], 61_000);
    // 15 minutes in 60 cells: 15 s each; the last holds 14 + 61 events.
    let fifteen = r.sparkline(T0, 900, 60).unwrap();
    assert_eq!(fifteen.len(), 60);
    assert!(fifteen[..59].iter().all(|&v| v == 1000));
    assert_eq!(fifteen[59], 75 * 1000 / 15);
    // 5 minutes in 7 cells: 42 or 43 s each, compared as rates.
    let five = r.sparkline(T0, 300, 7).unwrap();
    assert_eq!(five.len(), 7);
    assert!(five[..6].iter().all(|&v| v == 1000), "{five:?}");
    // More cells than seconds: one cell a second.
    assert_eq!(r.sparkline(T0, 60, 200).unwrap().len(), 60);
    // The second under way is not drawn.
    r.add(T0, 1000);
    assert_eq!(r.sparkline(T0, 60, 60).unwrap()[59], 61_000);
}

#[test]
fn the_full_history_size_is_what_it_says() {
    assert_eq!(FULL_HISTORY_BYTES, (960 + 1440) * 4);
    let r = RateHistory::full();
    let t = r.tiers.as_ref().unwrap();
    assert_eq!(
        (t.fine.counts.len() + t.coarse.counts.len()) * 4,
        FULL_HISTORY_BYTES
    );
}
