//! Plain data for the `datetime` types, in the fields their pickled state carries.

/// `datetime.date`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Date {
    /// Year, 1–9999.
    pub year: u16,
    /// Month, 1–12.
    pub month: u8,
    /// Day, 1–31.
    pub day: u8,
}

/// `datetime.time`; `tzinfo` is a reference to a tzinfo object when set.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Time {
    /// Hour, 0–23.
    pub hour: u8,
    /// Minute.
    pub minute: u8,
    /// Second.
    pub second: u8,
    /// Microsecond, 0–999999.
    pub microsecond: u32,
    /// PEP 495 fold.
    pub fold: bool,
    /// The tzinfo object, if any.
    pub tzinfo: Option<super::Value>,
}

/// `datetime.datetime`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DateTime {
    /// The date part.
    pub date: Date,
    /// The time part, with fold and tzinfo.
    pub time: Time,
}

/// `datetime.timedelta`, normalised as Python keeps it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TimeDelta {
    /// Days (may be negative).
    pub days: i32,
    /// Seconds, 0–86399.
    pub seconds: i32,
    /// Microseconds, 0–999999.
    pub microseconds: i32,
}

impl Date {
    /// Decode the 4-byte pickled state (`year_hi, year_lo, month, day`).
    pub(crate) fn from_state(b: &[u8]) -> Option<Date> {
        let d = Date { year: u16::from_be_bytes([b[0], b[1]]), month: b[2], day: b[3] };
        ((1..=12).contains(&d.month) && (1..=31).contains(&d.day) && (1..=9999).contains(&d.year)).then_some(d)
    }

    pub(crate) fn state(&self) -> [u8; 4] {
        let y = self.year.to_be_bytes();
        [y[0], y[1], self.month, self.day]
    }
}

impl Time {
    /// Decode the 6-byte pickled state (`hour|fold<<7, minute, second, us[3]`).
    pub(crate) fn from_state(b: &[u8], tzinfo: Option<super::Value>) -> Option<Time> {
        let fold = b[0] & 0x80 != 0;
        let t = Time {
            hour: b[0] & 0x7f,
            minute: b[1],
            second: b[2],
            microsecond: u32::from_be_bytes([0, b[3], b[4], b[5]]),
            fold,
            tzinfo,
        };
        (t.hour < 24 && t.minute < 60 && t.second < 60 && t.microsecond < 1_000_000).then_some(t)
    }

    pub(crate) fn state(&self) -> [u8; 6] {
        let us = self.microsecond.to_be_bytes();
        [self.hour | if self.fold { 0x80 } else { 0 }, self.minute, self.second, us[1], us[2], us[3]]
    }
}

impl DateTime {
    /// Decode the 10-byte pickled state (date with fold in the month's high bit, then time).
    pub(crate) fn from_state(b: &[u8], tzinfo: Option<super::Value>) -> Option<DateTime> {
        let fold = b[2] & 0x80 != 0;
        let date = Date::from_state(&[b[0], b[1], b[2] & 0x7f, b[3]])?;
        let mut time = Time::from_state(&b[4..10], tzinfo)?;
        time.fold = fold;
        Some(DateTime { date, time })
    }

    pub(crate) fn state(&self) -> [u8; 10] {
        let d = self.date.state();
        let mut t = self.time.state();
        t[0] &= 0x7f;
        let month = d[2] | if self.time.fold { 0x80 } else { 0 };
        [d[0], d[1], month, d[3], t[0], t[1], t[2], t[3], t[4], t[5]]
    }
}
