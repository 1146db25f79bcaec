//! Calendar dates without a date library: `YYYY-MM-DD` parsing and age on a day.

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Date {
    pub year: i64,
    pub month: u32,
    pub day: u32,
}

impl Date {
    /// Strict `YYYY-MM-DD` with a real calendar day.
    pub fn parse(s: &str) -> Option<Date> {
        let b = s.as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return None;
        }
        let digits = |r: std::ops::Range<usize>| -> Option<u32> {
            let part = s.get(r)?;
            if part.bytes().all(|c| c.is_ascii_digit()) {
                part.parse().ok()
            } else {
                None
            }
        };
        let year = digits(0..4)?;
        let month = digits(5..7)?;
        let day = digits(8..10)?;
        let year = i64::from(year);
        if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
            return None;
        }
        Some(Date { year, month, day })
    }

    /// The UTC calendar day of a Unix time (days-from-civil inverse, H. Hinnant).
    pub fn from_unix_secs(secs: i64) -> Date {
        let z = secs.div_euclid(86_400) + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        let year = yoe + era * 400 + i64::from(month <= 2);
        Date { year, month, day }
    }

    /// Whole years from `self` (a birthdate) to `today`.
    pub fn age_on(self, today: Date) -> i64 {
        let mut age = today.year - self.year;
        if (today.month, today.day) < (self.month, self.day) {
            age -= 1;
        }
        age
    }
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        _ => 28,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_strictly() {
        assert_eq!(
            Date::parse("1985-04-12"),
            Some(Date {
                year: 1985,
                month: 4,
                day: 12
            })
        );
        assert!(Date::parse("2024-02-29").is_some());
        for bad in [
            "2023-02-29",
            "1985-4-12",
            "1985-13-01",
            "19850412",
            "1985-04-1x",
            "+985-04-12",
        ] {
            assert!(Date::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn unix_to_date_and_age() {
        assert_eq!(
            Date::from_unix_secs(0),
            Date {
                year: 1970,
                month: 1,
                day: 1
            }
        );
        assert_eq!(
            Date::from_unix_secs(1_709_164_800), // 2024-02-29T00:00:00Z
            Date {
                year: 2024,
                month: 2,
                day: 29
            }
        );
        let birth = Date::parse("2010-06-01").unwrap_or(Date {
            year: 0,
            month: 1,
            day: 1,
        });
        assert_eq!(
            birth.age_on(Date {
                year: 2025,
                month: 5,
                day: 31
            }),
            14
        );
        assert_eq!(
            birth.age_on(Date {
                year: 2025,
                month: 6,
                day: 1
            }),
            15
        );
    }
}
