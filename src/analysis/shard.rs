//! A shard of an ensemble: the K-th of N deterministic slices of its samples, written
//! `K/N` with 1 ≤ K ≤ N. Parsed from text (`3/10`) and written back the same way, so a
//! flag, a record file and a message all read one rule.

use std::fmt;
use std::str::FromStr;

/// Shard `k` of `n`, counted from 1; `1/1` is the whole run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    pub k: usize,
    pub n: usize,
}

impl Shard {
    /// The whole run: every sample in one shard.
    pub const WHOLE: Shard = Shard { k: 1, n: 1 };

    /// A shard when 1 ≤ `k` ≤ `n`.
    pub fn new(k: usize, n: usize) -> Option<Shard> {
        (k >= 1 && k <= n).then_some(Shard { k, n })
    }

    /// The pair `(k, n)` the ensemble's records hold.
    pub fn pair(self) -> (usize, usize) {
        (self.k, self.n)
    }
}

/// Text that is not `K/N` with 1 ≤ K ≤ N, e.g. `0/3`, `4/3` or `3`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NotAShard;

impl fmt::Display for NotAShard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("not a shard K/N with 1 ≤ K ≤ N")
    }
}

impl std::error::Error for NotAShard {}

impl FromStr for Shard {
    type Err = NotAShard;

    /// `K/N`, blanks allowed around either number.
    fn from_str(text: &str) -> Result<Shard, NotAShard> {
        let (k, n) = text.split_once('/').ok_or(NotAShard)?;
        let k = k.trim().parse().map_err(|_| NotAShard)?;
        let n = n.trim().parse().map_err(|_| NotAShard)?;
        Shard::new(k, n).ok_or(NotAShard)
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.k, self.n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shard_reads_back_as_written() {
        for text in ["1/1", "3/10", "10/10"] {
            let shard: Shard = text.parse().expect("a shard");
            assert_eq!(shard.to_string(), text);
        }
        assert_eq!(" 2 / 3 ".parse(), Ok(Shard { k: 2, n: 3 }));
    }

    #[test]
    fn a_shard_outside_one_to_n_is_refused() {
        for text in ["0/3", "4/3", "3", "/3", "a/b", "-1/3", "1/0", "", "1/2/3"] {
            assert_eq!(text.parse::<Shard>(), Err(NotAShard), "{text}");
        }
    }
}
