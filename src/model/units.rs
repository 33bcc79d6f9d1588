//! Units: the model's base units and the conversion of every literal into them.
//!
//! A unit is a product of time and concentration atoms; its dimension is the pair of
//! exponents. Conversion multiplies by each atom's size in base units, so `2 /s` in a
//! model with minutes becomes 120.

use crate::syntax::ast::{Unit, UnitAtom};

/// Exponents of time and concentration: `/uM/min` is `{ time: -1, conc: -1 }`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Dim {
    pub time: i32,
    pub conc: i32,
}

impl Dim {
    pub const NONE: Dim = Dim { time: 0, conc: 0 };
    pub const TIME: Dim = Dim { time: 1, conc: 0 };
    pub const CONC: Dim = Dim { time: 0, conc: 1 };

    pub const RATE: Dim = Dim { time: -1, conc: 1 };

    pub fn powi(self, n: i32) -> Dim {
        Dim {
            time: self.time.saturating_mul(n),
            conc: self.conc.saturating_mul(n),
        }
    }

    /// Reads like "a concentration", "a time", "concentration per time".
    pub fn describe(self) -> String {
        match (self.time, self.conc) {
            (0, 0) => "a plain number".to_string(),
            (1, 0) => "a time".to_string(),
            (0, 1) => "a concentration".to_string(),
            (-1, 0) => "per time".to_string(),
            (-1, 1) => "concentration per time".to_string(),
            (-1, -1) => "per concentration per time".to_string(),
            (-1, -2) => "per concentration squared per time".to_string(),
            (t, c) => format!("time^{t}·concentration^{c}"),
        }
    }
}

impl std::ops::Mul for Dim {
    type Output = Dim;
    fn mul(self, other: Dim) -> Dim {
        Dim {
            time: self.time.saturating_add(other.time),
            conc: self.conc.saturating_add(other.conc),
        }
    }
}

impl std::ops::Div for Dim {
    type Output = Dim;
    fn div(self, other: Dim) -> Dim {
        Dim {
            time: self.time.saturating_sub(other.time),
            conc: self.conc.saturating_sub(other.conc),
        }
    }
}

/// The model's base units: every value inside the engine is in these.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BaseUnits {
    pub time: UnitAtom,
    pub concentration: UnitAtom,
}

impl Default for BaseUnits {
    /// Minutes and micromolar: synaptic signalling happens over minutes to days at
    /// nano- to micromolar concentrations, so values stay near 1.
    fn default() -> BaseUnits {
        BaseUnits {
            time: UnitAtom::Minute,
            concentration: UnitAtom::MicroMolar,
        }
    }
}

pub fn atom_dim(atom: UnitAtom) -> Dim {
    if is_time(atom) { Dim::TIME } else { Dim::CONC }
}

pub fn is_time(atom: UnitAtom) -> bool {
    matches!(
        atom,
        UnitAtom::Second | UnitAtom::Minute | UnitAtom::Hour | UnitAtom::Day
    )
}

/// Size in seconds or molar.
fn si(atom: UnitAtom) -> f64 {
    match atom {
        UnitAtom::Second => 1.0,
        UnitAtom::Minute => 60.0,
        UnitAtom::Hour => 3600.0,
        UnitAtom::Day => 86400.0,
        UnitAtom::NanoMolar => 1e-9,
        UnitAtom::MicroMolar => 1e-6,
        UnitAtom::MilliMolar => 1e-3,
        UnitAtom::Molar => 1.0,
    }
}

pub fn dim(unit: &Unit) -> Dim {
    let mut d = Dim::NONE;
    for (atom, exp) in &unit.factors {
        let a = atom_dim(*atom);
        d.time = d.time.saturating_add(a.time.saturating_mul(*exp));
        d.conc = d.conc.saturating_add(a.conc.saturating_mul(*exp));
    }
    d
}

impl BaseUnits {
    /// The factor that turns a value in `unit` into base units.
    pub fn factor(&self, unit: &Unit) -> f64 {
        unit.factors
            .iter()
            .map(|(atom, exp)| {
                let base = if is_time(*atom) {
                    self.time
                } else {
                    self.concentration
                };
                (si(*atom) / si(base)).powi(*exp)
            })
            .product()
    }

    /// Seconds in one base time unit, for converting times given on the command line.
    pub fn time_in_seconds(&self) -> f64 {
        si(self.time)
    }
}

/// A time written alone, as on the command line or in the manifest (`180 min`, `7d`,
/// `7d + 1h`), converted to base units. It is the `time` of the language
/// (`time = quantity { "+" quantity }`, as in `run 7 d + 4 h every 10 min`), summed term
/// by term as the checker sums it, except that a term may go without a unit: alone on
/// a flag a number is in base units. `None` when the text is not such a sum of times,
/// or the time is negative or not finite. `file` only names where the text came from,
/// for the parser's spans.
pub fn parse_time(file: crate::syntax::FileId, text: &str, units: &BaseUnits) -> Option<f64> {
    let time = crate::syntax::parse_time(file, text).ok()?;
    let mut value = 0.0;
    for q in &time.terms {
        value += match &q.unit {
            None => q.number.value,
            Some(u) if dim(u) == Dim::TIME => q.number.value * units.factor(u),
            Some(_) => return None,
        };
    }
    (value.is_finite() && value >= 0.0).then_some(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::Sources;

    fn time(text: &str) -> Option<f64> {
        let mut sources = Sources::new();
        let id = sources.add("--until", "--until", text);
        parse_time(id, text, &BaseUnits::default())
    }

    #[test]
    fn a_time_on_a_flag_is_a_sum_of_quantities_as_in_a_file() {
        assert_eq!(time("7d + 1h"), Some(7.0 * 1440.0 + 60.0));
        assert_eq!(time("7 d + 4 h + 30 s"), Some(7.0 * 1440.0 + 240.0 + 0.5));
        assert_eq!(time("90min"), Some(90.0));
        assert_eq!(time("2h + 15"), Some(135.0));
        assert_eq!(time("-1 h + 2 h"), Some(60.0));
    }

    #[test]
    fn a_time_that_is_not_a_sum_of_times_is_refused() {
        for text in [
            "7d - 1h",
            "(7d + 1h)",
            "7d + 1 uM",
            "2 * 1h",
            "-1min",
            "7d +",
            "1h + -2h",
            "soon",
        ] {
            assert_eq!(time(text), None, "{text}");
        }
    }
}
