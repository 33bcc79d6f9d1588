//! Derived parameters: a parameter written as a formula of others (`param k_on =
//! k_off / IC50`) takes its value from them, once per parameter set, in the model's
//! `derivation` order. A formula reads parameters, the declared starting amount of a
//! species (as declared, not as a genotype or a run leaves it), an input's declared
//! value, compartment sizes, and lets evaluated at those declared amounts, so a
//! balance that makes the declared state a resting state can be written against it.

use super::{Model, ParamId, Var};

/// A derived parameter whose formula gave no finite number for the values it read.
#[derive(Clone, Debug, PartialEq)]
pub struct NotFiniteDerived {
    pub param: ParamId,
    pub name: String,
    pub value: f64,
}

impl std::fmt::Display for NotFiniteDerived {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the derived parameter `{}` is {} for these values",
            self.name, self.value
        )
    }
}

impl std::error::Error for NotFiniteDerived {}

impl Model {
    /// Evaluates every derived parameter from the current values of the free ones, in
    /// `derivation` order, and stores the results; the first that is not finite is the
    /// error (the ones after it are still evaluated, so every value is this set's).
    pub fn derive(&mut self) -> Result<(), NotFiniteDerived> {
        let species = self.initial_state();
        let inputs = self.input_values();
        let mut lets = vec![f64::NAN; self.lets.len()];
        let mut first = None;
        for k in 0..self.derivation.len() {
            let value = {
                let model = &*self;
                let value = |v: Var| model.value_of(v, &species, &inputs, &lets);
                match self.derivation[k] {
                    Var::Let(id) => self.lets[id.index()].expr.eval(&value),
                    Var::Param(id) => match &self.params[id.index()].formula {
                        Some(d) => d.expr.eval(&value),
                        None => continue,
                    },
                    _ => continue,
                }
            };
            match self.derivation[k] {
                Var::Let(id) => lets[id.index()] = value,
                Var::Param(id) => {
                    let p = &mut self.params[id.index()];
                    p.value = value;
                    if !value.is_finite() && first.is_none() {
                        first = Some(NotFiniteDerived {
                            param: id,
                            name: p.name.clone(),
                            value,
                        });
                    }
                }
                _ => {}
            }
        }
        first.map_or(Ok(()), Err)
    }

    /// The parameters with a formula, in the order they are derived.
    pub fn derived_params(&self) -> impl Iterator<Item = ParamId> + '_ {
        self.derivation.iter().filter_map(|v| match v {
            Var::Param(id) => Some(*id),
            _ => None,
        })
    }
}
